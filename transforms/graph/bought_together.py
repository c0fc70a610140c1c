"""gold.bought_together: "frequently bought together", each item's strongest co-purchase partners."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.graph.copurchase import EDGE_TYPES

_PREFERENCE = "_preference"
_PICK = "_pick"


def bought_together(edges: DataFrame, top_n: int) -> DataFrame:
    """The `top_n` partners of every item, strongest first.

    A partner linked by both edge types keeps its same_order edge (bought in one order says more than
    bought by one user). Partners rank by shrunk lift, then support, then partner id. Lift alone would put
    partners first that are bought a few times and nearly always with the item (rare items); confidence
    alone, partners that everyone buys (popular items); the shrunk lift needs both a lift above 1 and the
    support to back it (transforms/graph/copurchase.py).

    Args:
        edges: SRC, DST, EDGE_TYPE, SUPPORT, CONFIDENCE, LIFT, SHRUNK_LIFT (gold.copurchase_edges rows).
        top_n: partners per item.

    Returns:
        ITEM_ID, RANK (1 = strongest), PARTNER_ID, EDGE_TYPE, SUPPORT, CONFIDENCE, LIFT, SHRUNK_LIFT.
    """
    if top_n < 1:
        raise ValueError(f"graph.bought_together_top_n must be >= 1, got {top_n}")
    preference = F.array_position(F.array(*[F.lit(t) for t in EDGE_TYPES]), F.col(C.EDGE_TYPE))
    by_strength = (F.col(C.SHRUNK_LIFT).desc(), F.col(C.SUPPORT).desc())
    per_pair = Window.partitionBy(C.SRC, C.DST).orderBy(F.col(_PREFERENCE).asc(), *by_strength)
    strongest = Window.partitionBy(C.SRC).orderBy(*by_strength, F.col(C.DST).asc())
    return (
        edges.withColumn(_PREFERENCE, preference)
        .withColumn(_PICK, F.row_number().over(per_pair))
        .where(F.col(_PICK) == 1)
        .withColumn(C.RANK, F.row_number().over(strongest))
        .where(F.col(C.RANK) <= top_n)
        .select(
            F.col(C.SRC).alias(C.ITEM_ID),
            F.col(C.RANK).cast("int").alias(C.RANK),
            F.col(C.DST).alias(C.PARTNER_ID),
            C.EDGE_TYPE,
            C.SUPPORT,
            C.CONFIDENCE,
            C.LIFT,
            C.SHRUNK_LIFT,
        )
    )
