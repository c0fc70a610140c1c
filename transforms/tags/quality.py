"""Tag quality per snapshot: coverage, value distribution and drift (population stability index).

A broken upstream shows up as a coverage drop or a drift spike: PSI = sum over buckets of
(share now - share before) * ln(share now / share before); above 0.25 is usually read as a major shift.
Buckets are the values of boolean and enum tags, each element of list tags, and fixed magnitude bands of
number tags (so two snapshots always share their bins).
"""

from __future__ import annotations

import datetime as dt
import itertools

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from shop_platform.catalogs import TagCatalog
from transforms import columns as C

# A share of 0 would make the logarithm infinite; empty buckets count as this share instead.
EMPTY_SHARE = 1e-4
NUMBER_BANDS = (0.0, 1.0, 10.0, 100.0, 1_000.0, 10_000.0)
_BUCKET, _COUNT, _SHARE = "_bucket", "_count", "_share"


def _number_band(value: Column) -> Column:
    band = F.when(value < 0, F.lit("<0")).when(value == 0, F.lit("0"))
    for low, high in itertools.pairwise(NUMBER_BANDS):
        band = band.when(value <= high, F.lit(f"({low:g},{high:g}]"))
    return band.otherwise(F.lit(f">{NUMBER_BANDS[-1]:g}"))


def value_buckets(snapshot: DataFrame, catalog: TagCatalog) -> DataFrame:
    """TAG_ID, _BUCKET, _COUNT: how many users (list elements, for list tags) fall in each bucket."""
    number_tags = [t.id for t in catalog.tags if t.value_type == "number"]
    list_tags = [t.id for t in catalog.tags if t.value_type == "list"]
    tag = F.col(C.TAG_ID)
    bucket = (
        F.when(tag.isin(*number_tags), _number_band(F.col(C.VALUE_NUM)))
        .when(tag.isin(*list_tags), F.lit(None))
        .otherwise(F.col(C.VALUE))
    )
    scalar = snapshot.where(~tag.isin(*list_tags)).select(C.TAG_ID, bucket.alias(_BUCKET))
    elements = snapshot.where(tag.isin(*list_tags)).select(C.TAG_ID, F.explode(C.VALUE_LIST).alias(_BUCKET))
    return scalar.unionByName(elements).groupBy(C.TAG_ID, _BUCKET).agg(F.count(F.lit(1)).alias(_COUNT))


def _shares(buckets: DataFrame) -> DataFrame:
    total = F.sum(_COUNT).over(Window.partitionBy(C.TAG_ID))
    return buckets.select(C.TAG_ID, _BUCKET, (F.col(_COUNT) / total).alias(_SHARE))


def tag_quality(
    snapshot: DataFrame, previous: DataFrame | None, users: int, catalog: TagCatalog, snapshot_date: dt.date
) -> DataFrame:
    """One row per catalog tag: TAG_ID, USERS_WITH_VALUE, COVERAGE (of `users`), DISTINCT_VALUES,
    DISTRIBUTION (bucket -> share), PSI against `previous` (null without one), SNAPSHOT_DATE.

    Args:
        snapshot: gold.tag_snapshots rows of the snapshot date.
        previous: gold.tag_snapshots rows of the snapshot before, or None.
        users: Users in the snapshot's profile (the coverage denominator).
        catalog: The tag catalog (every tag gets a row, also one no user has a value for).
        snapshot_date: The snapshot date.
    """
    spark = snapshot.sparkSession
    tags = spark.createDataFrame([(t.id,) for t in catalog.tags], f"{C.TAG_ID} string")
    counts = snapshot.groupBy(C.TAG_ID).agg(
        F.countDistinct(C.USER_ID).alias(C.USERS_WITH_VALUE),
        F.countDistinct(C.VALUE).alias(C.DISTINCT_VALUES),
    )
    now = _shares(value_buckets(snapshot, catalog))
    distribution = now.groupBy(C.TAG_ID).agg(
        F.map_from_entries(F.array_sort(F.collect_list(F.struct(_BUCKET, _SHARE)))).alias(C.DISTRIBUTION)
    )
    if previous is None:
        psi = tags.select(C.TAG_ID, F.lit(None).cast("double").alias(C.PSI))
    else:
        before = _shares(value_buckets(previous, catalog)).withColumnRenamed(_SHARE, "_before")
        p_now = F.greatest(F.coalesce(F.col(_SHARE), F.lit(0.0)), F.lit(EMPTY_SHARE))
        p_before = F.greatest(F.coalesce(F.col("_before"), F.lit(0.0)), F.lit(EMPTY_SHARE))
        psi = (
            now.join(before, on=[C.TAG_ID, _BUCKET], how="full")
            .groupBy(C.TAG_ID)
            .agg(F.sum((p_now - p_before) * F.log(p_now / p_before)).alias(C.PSI))
        )
    with_value = F.coalesce(F.col(C.USERS_WITH_VALUE), F.lit(0))
    return (
        tags.join(counts, on=[C.TAG_ID], how="left")
        .join(distribution, on=[C.TAG_ID], how="left")
        .join(psi, on=[C.TAG_ID], how="left")
        .select(
            C.TAG_ID,
            with_value.alias(C.USERS_WITH_VALUE),
            (with_value / F.lit(max(users, 1))).alias(C.COVERAGE),
            F.coalesce(F.col(C.DISTINCT_VALUES), F.lit(0)).alias(C.DISTINCT_VALUES),
            C.DISTRIBUTION,
            C.PSI,
            F.lit(snapshot_date).alias(C.SNAPSHOT_DATE),
        )
    )
