"""Campaigns: windows inside the period, hash-randomised treatment/control assignment, and planted uplift.

Windows never overlap (each campaign sits in its own equal segment of the period), so a session is in at
most one campaign and a treated user's conversion probability is lifted by at most one campaign at a time.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator.funnel import lifted_probability
from sample_shop.generator.literals import nth
from sample_shop.generator.random import uniform
from transforms import columns as C
from transforms.vocabulary import CONTROL, TREATMENT

CAMPAIGN_NAMES = (
    "Autumn member days",
    "Double 11 warm-up",
    "Weekend flash sale",
    "New arrivals week",
    "Home refresh",
    "Back to school",
)
TREATMENT_SHARE = 0.5


def campaign_windows(
    base: DataFrame, seed: int, start_date: dt.date, days: int, count: int, duration_days: int
) -> DataFrame:
    """One campaign per row of `base` (`spark.range(count)`), each inside its own segment of the period.

    Returns:
        CAMPAIGN_ID ("cmp01", ...), CAMPAIGN_NAME, START_DATE, END_DATE (inclusive, local dates).
    """
    if count and duration_days > days // count:
        raise ValueError(
            f"generator.campaigns.duration_days = {duration_days} does not fit {count} non-overlapping "
            f"campaigns in generator.days = {days}"
        )
    segment = days // max(count, 1)
    k = F.col(TC.RANGE_ID)
    first_day = k * F.lit(segment) + F.floor(
        uniform(seed, "campaign_start", k) * (segment - duration_days + 1)
    )
    start = F.date_add(F.lit(start_date), first_day.cast("int"))
    return base.select(
        F.format_string("cmp%02d", k + F.lit(1)).alias(C.CAMPAIGN_ID),
        nth(CAMPAIGN_NAMES, F.pmod(k, F.lit(len(CAMPAIGN_NAMES)))).alias(C.CAMPAIGN_NAME),
        start.alias(C.START_DATE),
        F.date_add(start, duration_days - 1).alias(C.END_DATE),
    )


def is_eligible(seed: int, eligible_share: float) -> Column:
    """Whether the row's user (USER_IDX, REGISTRATION_DATE) is in the row's campaign (CAMPAIGN_ID, START_DATE).

    Only users registered before the campaign starts can be targeted; of those, `eligible_share` are.
    """
    drawn = uniform(seed, "eligible", C.CAMPAIGN_ID, C.USER_IDX) < F.lit(eligible_share)
    return drawn & (F.col(C.REGISTRATION_DATE) < F.col(C.START_DATE))


def is_treated(seed: int) -> Column:
    """Whether an eligible user of the row's campaign is in the treatment group (else control)."""
    return uniform(seed, "treatment", C.CAMPAIGN_ID, C.USER_IDX) < F.lit(TREATMENT_SHARE)


def campaign_assignments(
    users: DataFrame, campaigns: DataFrame, seed: int, eligible_share: float
) -> DataFrame:
    """Eligible users of every campaign with their group, like the marketing tool's export.

    Returns:
        CAMPAIGN_ID, USER_IDX, USER_ID, GROUP (TREATMENT or CONTROL).
    """
    # A cross join on purpose: every user is a candidate for every campaign; campaigns are a handful of rows.
    return (
        users.join(F.broadcast(campaigns), how="cross")
        .where(is_eligible(seed, eligible_share))
        .select(
            C.CAMPAIGN_ID,
            C.USER_IDX,
            C.USER_ID,
            F.when(is_treated(seed), F.lit(TREATMENT)).otherwise(F.lit(CONTROL)).alias(C.GROUP),
        )
    )


def with_campaign(sessions: DataFrame, campaigns: DataFrame, seed: int, eligible_share: float) -> DataFrame:
    """Add CAMPAIGN_ID (the campaign whose window holds the session's day, or null), ELIGIBLE and TREATED.

    Expects USER_IDX, REGISTRATION_DATE and EVENT_DATE. Windows do not overlap, so the range join matches
    at most one campaign and never multiplies sessions.
    """
    in_window = (F.col(C.EVENT_DATE) >= F.col(C.START_DATE)) & (F.col(C.EVENT_DATE) <= F.col(C.END_DATE))
    joined = sessions.join(
        F.broadcast(campaigns.select(C.CAMPAIGN_ID, C.START_DATE, C.END_DATE)), in_window, "left"
    )
    eligible = F.col(C.CAMPAIGN_ID).isNotNull() & is_eligible(seed, eligible_share)
    return joined.select(
        *sessions.columns,
        C.CAMPAIGN_ID,
        F.coalesce(eligible, F.lit(False)).alias(TC.ELIGIBLE),
        F.coalesce(eligible & is_treated(seed), F.lit(False)).alias(TC.TREATED),
    )


def planted_uplift(plans: DataFrame, assignments: DataFrame, conversion_lift: float) -> DataFrame:
    """The planted effect of each campaign, as an analyst would estimate it from treatment vs control.

    Definition: the expected ABSOLUTE uplift in the share of eligible users who place at least one order
    during the campaign window. For an eligible user with in-window sessions s, each converting
    independently with base probability p_s, P(at least one order) is 1 - prod(1 - p_s) untreated and
    1 - prod(1 - p'_s) treated, with p'_s = min(p_s * (1 + conversion_lift), MAX_ORDER_PROB). The
    user's uplift is their difference, computed through sums of log(1 - p); users without sessions in
    the window contribute 0. planted_uplift is the mean over all eligible users (both groups), which is
    what E[share ordering | treatment] - E[share ordering | control] estimates on clean events.

    Args:
        plans: Planned sessions with CAMPAIGN_ID, ELIGIBLE, USER_IDX and P_BASE.
        assignments: From `campaign_assignments`.
        conversion_lift: Relative lift of a treated user's per-session conversion probability.

    Returns:
        CAMPAIGN_ID, PLANTED_UPLIFT.
    """
    lifted = lifted_probability(F.col(TC.P_BASE), conversion_lift)
    per_user = (
        plans.where(F.col(TC.ELIGIBLE))
        .groupBy(C.CAMPAIGN_ID, C.USER_IDX)
        .agg(
            F.sum(F.log1p(-F.col(TC.P_BASE))).alias("_log_none_base"),
            F.sum(F.log1p(-lifted)).alias("_log_none_lifted"),
        )
        .select(
            C.CAMPAIGN_ID,
            C.USER_IDX,
            (F.exp(F.col("_log_none_base")) - F.exp(F.col("_log_none_lifted"))).alias(TC.PLANTED_UPLIFT),
        )
    )
    # Left join from the assignments: eligible users without sessions in the window count, with 0.
    return (
        assignments.join(per_user, on=[C.CAMPAIGN_ID, C.USER_IDX], how="left")
        .groupBy(C.CAMPAIGN_ID)
        .agg(F.avg(F.coalesce(F.col(TC.PLANTED_UPLIFT), F.lit(0.0))).alias(TC.PLANTED_UPLIFT))
        .select(C.CAMPAIGN_ID, TC.PLANTED_UPLIFT)
    )


def raw_campaigns(campaigns: DataFrame) -> DataFrame:
    """The marketing tool's campaign list `raw/campaigns/`: CAMPAIGN_ID, CAMPAIGN_NAME, START_DATE, END_DATE."""
    return campaigns.select(C.CAMPAIGN_ID, C.CAMPAIGN_NAME, C.START_DATE, C.END_DATE)


def raw_assignments(assignments: DataFrame) -> DataFrame:
    """The marketing tool's audience export `raw/campaign_assignments/`: CAMPAIGN_ID, USER_ID, GROUP."""
    return assignments.select(C.CAMPAIGN_ID, C.USER_ID, C.GROUP)
