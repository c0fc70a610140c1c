"""Trending popularity: what is popular now, an item's interaction strength weighed by how recent it is.

The popularity baseline sums the training matrix, whose strengths age with `interactions.half_life_days`
(14 days by default): a slow memory that suits stable tastes. Where popularity drifts (new items, seasons,
a catalogue that turns over) most of the next days' purchases go to what was popular in the last few days,
so this ranking halves a day's strength every `half_life_days` of its age at the as-of date:

    trend(item) = sum over days d <= T of strength(item, d) * 0.5 ** ((T - d) / half_life_days)
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C


def trending_items(daily: DataFrame, *, as_of: dt.date, half_life_days: float) -> DataFrame:
    """Every item's trend score as of the end of `as_of` and its rank (1 = most trending, ties by item id).

    Args:
        daily: USER_ID, ITEM_ID, STRENGTH, EVENT_DATE (gold.user_item_daily); days after `as_of` are ignored.
        half_life_days: Days after which a day's strength counts half.

    Returns:
        ITEM_ID, RANK, SCORE: one row per item with a positive score.
    """
    if half_life_days <= 0:
        raise ValueError(f"the trend's half_life_days must be positive, got {half_life_days}")
    age_days = F.datediff(F.lit(as_of), F.col(C.EVENT_DATE)).cast("double")
    weight = F.pow(F.lit(0.5), age_days / F.lit(float(half_life_days)))
    # One global ordering: a window without partitions runs on one task, fine for a catalogue's items.
    most_trending_first = Window.orderBy(F.col(C.SCORE).desc(), F.col(C.ITEM_ID))
    return (
        daily.where(F.col(C.EVENT_DATE) <= F.lit(as_of))
        .groupBy(C.ITEM_ID)
        .agg(F.sum(F.col(C.STRENGTH) * weight).alias(C.SCORE))
        .where(F.col(C.SCORE) > F.lit(0.0))
        .select(C.ITEM_ID, F.row_number().over(most_trending_first).cast("int").alias(C.RANK), C.SCORE)
    )
