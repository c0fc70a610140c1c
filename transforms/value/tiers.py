"""Value tiers: customers ranked by CLV within their snapshot date, cut at configured top shares."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.settings import ValueTier
from transforms import columns as C

# percentile_approx's accuracy: a relative rank error of 1 / accuracy, 1e-5 of the customers at a cut.
_ACCURACY = 100_000


def with_value_tiers(values: DataFrame, tiers: Sequence[ValueTier]) -> DataFrame:
    """`values` plus VALUE_TIER (the tier's id) and VALUE_TIER_RANK (1 = the highest tier).

    A customer is in the first tier whose cut their CLV exceeds: the cut of a tier with top share s is the
    date's (1 - s) quantile of CLV, so at most s of the customers exceed it (ties at a cut stay below it).
    Quantiles come from Spark's percentile_approx per date, a distributed sketch rather than a sort of all
    customers in one task.

    Args:
        values: Rows with SNAPSHOT_DATE and CLV.
        tiers: Highest first; the last has top_share 1 (everyone reaches its cut).
    """
    shares = [1.0 - t.top_share for t in tiers[:-1]]
    if not shares:
        return values.select("*", F.lit(tiers[0].id).alias(C.VALUE_TIER), F.lit(1).alias(C.VALUE_TIER_RANK))
    cuts = values.groupBy(C.SNAPSHOT_DATE).agg(F.percentile_approx(C.CLV, shares, _ACCURACY).alias("_cuts"))
    clv = F.col(C.CLV)
    tier, rank = F.lit(tiers[-1].id), F.lit(len(tiers))
    # Built from the lowest tier up, so the highest cut a customer exceeds decides.
    for index in range(len(tiers) - 2, -1, -1):
        reached = clv > F.col("_cuts")[index]
        tier = F.when(reached, F.lit(tiers[index].id)).otherwise(tier)
        rank = F.when(reached, F.lit(index + 1)).otherwise(rank)
    # One row of cuts per date: the join keeps one row per customer.
    return values.join(F.broadcast(cuts), on=[C.SNAPSHOT_DATE], how="inner").select(
        *values.columns, tier.alias(C.VALUE_TIER), rank.alias(C.VALUE_TIER_RANK)
    )
