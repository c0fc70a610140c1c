"""Does the campaign evaluation recover the uplift the sample-data generator planted?

The generator plants, per campaign, the expected absolute uplift in the share of assigned users who order
in the campaign window (truth/campaigns, PLANTED_UPLIFT). The evaluation estimates the same quantity as
the conversion metric's absolute uplift: the planted value should lie inside its confidence interval, with
and without CUPED.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.truth.reports import Check
from transforms import columns as C
from transforms import tables
from transforms.campaigns.ab_test import CONVERSION


def uplift_recovery(results: DataFrame, truth: DataFrame) -> DataFrame:
    """Per campaign of the truth: the planted uplift against the measured conversion uplift.

    Args:
        results: gold.campaign_results rows of one run date.
        truth: truth/campaigns (CAMPAIGN_ID, PLANTED_UPLIFT on every assigned user's row).

    Returns:
        CAMPAIGN_ID, PLANTED_UPLIFT, ABSOLUTE_UPLIFT, ABSOLUTE_CI_LOW, ABSOLUTE_CI_HIGH, PLANTED_IN_CI,
        CUPED_UPLIFT, CUPED_CI_LOW, CUPED_CI_HIGH, PLANTED_IN_CUPED_CI, COMPLETE; a campaign the results do
        not hold keeps null measurements and false flags.
    """
    planted = truth.groupBy(C.CAMPAIGN_ID).agg(F.first(TC.PLANTED_UPLIFT).alias(TC.PLANTED_UPLIFT))
    conversion = results.where(F.col(C.METRIC) == F.lit(CONVERSION))
    # One conversion row per campaign and run date: the left join keeps one row per planted campaign.
    joined = planted.join(conversion, on=[C.CAMPAIGN_ID], how="left")

    def inside(low: str, high: str) -> F.Column:
        return F.coalesce(F.col(TC.PLANTED_UPLIFT).between(F.col(low), F.col(high)), F.lit(False))

    return joined.select(
        C.CAMPAIGN_ID,
        TC.PLANTED_UPLIFT,
        C.ABSOLUTE_UPLIFT,
        C.ABSOLUTE_CI_LOW,
        C.ABSOLUTE_CI_HIGH,
        inside(C.ABSOLUTE_CI_LOW, C.ABSOLUTE_CI_HIGH).alias(TC.PLANTED_IN_CI),
        C.CUPED_UPLIFT,
        C.CUPED_CI_LOW,
        C.CUPED_CI_HIGH,
        inside(C.CUPED_CI_LOW, C.CUPED_CI_HIGH).alias(TC.PLANTED_IN_CUPED_CI),
        C.COMPLETE,
    ).orderBy(C.CAMPAIGN_ID)


def interval(row: dict, estimate: str, low: str, high: str) -> str:
    """ "0.0360 [0.0020, 0.0700]", or "n/a" when the results hold no estimate."""
    if row[estimate] is None:
        return "n/a"
    return f"{row[estimate]:.4f} [{row[low]:.4f}, {row[high]:.4f}]"


def checks_for(recovery: list[dict]) -> list[Check]:
    """One check per planted campaign: the planted uplift lies in the measured interval."""
    checks = []
    for row in recovery:
        measured = row[C.ABSOLUTE_UPLIFT]
        detail = (
            f"{tables.CAMPAIGN_RESULTS.name} has no conversion row for the campaign"
            if measured is None
            else f"planted {row[TC.PLANTED_UPLIFT]:.4f}, measured "
            + interval(row, C.ABSOLUTE_UPLIFT, C.ABSOLUTE_CI_LOW, C.ABSOLUTE_CI_HIGH)
        )
        checks.append(
            Check(
                f"campaign_{row[C.CAMPAIGN_ID]}_in_ci",
                measured,
                row[TC.PLANTED_UPLIFT],
                bool(row[TC.PLANTED_IN_CI]),
                detail,
            )
        )
    return checks
