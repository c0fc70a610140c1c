"""How well the rule tags and the lifecycle find what the generator planted: personas and churners.

Tags never see a persona; they only see behaviour. A tag that describes a persona's behaviour should be
far more common among that persona's users than among everyone else's: `persona_value_shares` gives, for
every value of every boolean or enum tag, the share of each persona's users holding it, the share among
the users of all other personas, and their ratio (lift).

A planted churner has no events from its churn day on. `churn_detection` follows each churner through
the daily snapshots: was it already flagged (e.g. lifecycle at_risk or churned) on its churn day, and
how many days after its churn day was it first flagged.
"""

from __future__ import annotations

from collections.abc import Collection

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from sample_shop import columns as TC
from transforms import columns as C

BOOLEAN_TRUE = "true"


def persona_value_shares(snapshot: DataFrame, personas: DataFrame, tag_ids: Collection[str]) -> DataFrame:
    """Per tag value and persona: how many of the persona's users hold it, against all other personas.

    Args:
        snapshot: tags_as_of rows of one snapshot date (USER_ID, TAG_ID, VALUE, VALUE_BOOL).
        personas: USER_ID, PERSONA for the users to score (bots left out by the caller).
        tag_ids: The tags to score; boolean tags count their true value, other tags every value.

    Returns:
        TAG_ID, VALUE, PERSONA, USERS (the persona's users in the snapshot), TAGGED (of them, holding the
        value), SHARE, OTHERS_USERS, OTHERS_TAGGED, OTHERS_SHARE (the same over every other persona),
        LIFT = SHARE / OTHERS_SHARE (null when no other user holds the value).
    """
    in_snapshot = snapshot.select(C.USER_ID).distinct().join(personas, on=C.USER_ID)
    persona_users = in_snapshot.groupBy(TC.PERSONA).agg(F.count(F.lit(1)).alias(C.USERS))
    held = (
        snapshot.where(F.col(C.TAG_ID).isin(*tag_ids) & (F.col(C.VALUE_BOOL).isNull() | F.col(C.VALUE_BOOL)))
        .join(in_snapshot, on=C.USER_ID)
        .groupBy(C.TAG_ID, C.VALUE, TC.PERSONA)
        .agg(F.countDistinct(C.USER_ID).alias(TC.TAGGED))
    )
    # Every persona gets a row for every value some user holds, with 0 where none of its users does.
    values = held.select(C.TAG_ID, C.VALUE).distinct()
    grid = (
        values.crossJoin(persona_users)
        .join(held, on=[C.TAG_ID, C.VALUE, TC.PERSONA], how="left")
        .fillna(0, subset=[TC.TAGGED])
    )
    everyone = Window.partitionBy(C.TAG_ID, C.VALUE)
    others_users = F.sum(C.USERS).over(everyone) - F.col(C.USERS)
    others_tagged = F.sum(TC.TAGGED).over(everyone) - F.col(TC.TAGGED)
    return (
        grid.select(
            C.TAG_ID,
            C.VALUE,
            TC.PERSONA,
            F.col(C.USERS).cast("long").alias(C.USERS),
            F.col(TC.TAGGED).cast("long").alias(TC.TAGGED),
            others_users.cast("long").alias(TC.OTHERS_USERS),
            others_tagged.cast("long").alias(TC.OTHERS_TAGGED),
        )
        .withColumn(C.SHARE, _share(TC.TAGGED, C.USERS))
        .withColumn(TC.OTHERS_SHARE, _share(TC.OTHERS_TAGGED, TC.OTHERS_USERS))
        .withColumn(C.LIFT, F.col(C.SHARE) / F.nullif(F.col(TC.OTHERS_SHARE), F.lit(0.0)))
    )


def churn_detection(tag_values: DataFrame, churn: DataFrame, flagged_values: Collection[str]) -> DataFrame:
    """Per planted churner whose churn day lies within the snapshots: when a tag first flagged it.

    Args:
        tag_values: One tag's values over the daily snapshots: USER_ID, VALUE, SNAPSHOT_DATE.
        churn: truth/churn: USER_ID, CHURN_DATE (no events on or after it).
        flagged_values: The values that mean "flagged" (e.g. at_risk and churned).

    Returns:
        USER_ID, CHURN_DATE, FLAGGED_ON_CHURN_DAY (the snapshot of the churn day holds a flagged value),
        FIRST_FLAG_DATE (first snapshot on or after the churn day with a flagged value, null if none),
        LAG_DAYS (FIRST_FLAG_DATE - CHURN_DATE), DAYS_OBSERVED (last snapshot - CHURN_DATE). Churners whose
        churn day has no snapshot are left out.
    """
    snapshot_dates = tag_values.select(C.SNAPSHOT_DATE).distinct()
    churners = churn.join(snapshot_dates.withColumnRenamed(C.SNAPSHOT_DATE, TC.CHURN_DATE), on=TC.CHURN_DATE)
    last_snapshot = snapshot_dates.agg(F.max(C.SNAPSHOT_DATE).alias(TC.LAST_SNAPSHOT_DATE))
    flagged: Column = F.col(C.VALUE).isin(*flagged_values)
    after = (
        tag_values.join(churners, on=C.USER_ID)
        .where(F.col(C.SNAPSHOT_DATE) >= F.col(TC.CHURN_DATE))
        .groupBy(C.USER_ID)
        .agg(
            F.max(F.when(flagged & (F.col(C.SNAPSHOT_DATE) == F.col(TC.CHURN_DATE)), True)).alias(
                TC.FLAGGED_ON_CHURN_DAY
            ),
            F.min(F.when(flagged, F.col(C.SNAPSHOT_DATE))).alias(TC.FIRST_FLAG_DATE),
        )
    )
    return (
        churners.join(after, on=C.USER_ID, how="left")
        .crossJoin(last_snapshot)
        .select(
            C.USER_ID,
            TC.CHURN_DATE,
            F.coalesce(F.col(TC.FLAGGED_ON_CHURN_DAY), F.lit(False)).alias(TC.FLAGGED_ON_CHURN_DAY),
            TC.FIRST_FLAG_DATE,
            F.datediff(TC.FIRST_FLAG_DATE, TC.CHURN_DATE).alias(TC.LAG_DAYS),
            F.datediff(TC.LAST_SNAPSHOT_DATE, TC.CHURN_DATE).alias(TC.DAYS_OBSERVED),
        )
    )


def summarise_churn_detection(detection: DataFrame, settled_days: int) -> DataFrame:
    """One row: churners, flagged on their churn day, flagged by the last snapshot, lag percentiles.

    Args:
        detection: `churn_detection` rows.
        settled_days: Churners observed for more than this many days after their churn day are "settled":
            any rule that flags a user after that many silent days must have flagged all of them.

    Returns:
        CHURNERS, FLAGGED_ON_CHURN_DAY, FLAGGED_BY_LAST_SNAPSHOT, MEDIAN_LAG_DAYS, P90_LAG_DAYS,
        SETTLED_CHURNERS, SETTLED_FLAGGED.
    """
    settled = F.col(TC.DAYS_OBSERVED) > F.lit(settled_days)
    return detection.agg(
        F.count(F.lit(1)).alias(TC.CHURNERS),
        F.count(F.when(F.col(TC.FLAGGED_ON_CHURN_DAY), True)).alias(TC.FLAGGED_ON_CHURN_DAY),
        F.count(TC.FIRST_FLAG_DATE).alias(TC.FLAGGED_BY_LAST_SNAPSHOT),
        F.percentile(TC.LAG_DAYS, F.lit(0.5)).alias(TC.MEDIAN_LAG_DAYS),
        F.percentile(TC.LAG_DAYS, F.lit(0.9)).alias(TC.P90_LAG_DAYS),
        F.count(F.when(settled, True)).alias(TC.SETTLED_CHURNERS),
        F.count(F.when(settled & F.col(TC.FIRST_FLAG_DATE).isNotNull(), True)).alias(TC.SETTLED_FLAGGED),
    )


def flagged_share(tag_values: DataFrame, users: DataFrame, flagged_values: Collection[str]) -> DataFrame:
    """One row: of `users` (USER_ID) in one snapshot's `tag_values`, how many hold a flagged value.

    With the users who never churned, this is the false-alarm rate the churn detection is read against.

    Returns:
        USERS, FLAGGED_USERS, SHARE.
    """
    scored = tag_values.join(users, on=C.USER_ID)
    return scored.agg(
        F.countDistinct(C.USER_ID).alias(C.USERS),
        F.countDistinct(F.when(F.col(C.VALUE).isin(*flagged_values), F.col(C.USER_ID))).alias(
            TC.FLAGGED_USERS
        ),
    ).withColumn(C.SHARE, _share(TC.FLAGGED_USERS, C.USERS))


def _share(part: str, whole: str) -> Column:
    return F.col(part) / F.nullif(F.col(whole), F.lit(0))
