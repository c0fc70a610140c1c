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
from transforms.tags.intervals import covering

# A share of 0 would make the logarithm infinite; empty buckets count as this share instead.
EMPTY_SHARE = 1e-4
NUMBER_BANDS = (0.0, 1.0, 10.0, 100.0, 1_000.0, 10_000.0)
_BUCKET, _COUNT, _SHARE = "_bucket", "_count", "_share"
_DAY, _DELTA, _NEXT = "_day", "_delta", "_next"
# A tag's value in every typed form, and the keys of a value count: the value on a date.
_VALUE_KEYS = [C.TAG_ID, C.VALUE, C.VALUE_NUM, C.VALUE_LIST]
_COUNT_KEYS = [C.TAG_ID, C.SNAPSHOT_DATE, C.VALUE, C.VALUE_NUM, C.VALUE_LIST]


def _number_band(value: Column) -> Column:
    band = F.when(value < 0, F.lit("<0")).when(value == 0, F.lit("0"))
    for low, high in itertools.pairwise(NUMBER_BANDS):
        band = band.when(value <= high, F.lit(f"({low:g},{high:g}]"))
    return band.otherwise(F.lit(f">{NUMBER_BANDS[-1]:g}"))


def value_counts(snapshots: DataFrame) -> DataFrame:
    """TAG_ID, SNAPSHOT_DATE, VALUE, VALUE_NUM, VALUE_LIST, _COUNT: how many users hold each value of each
    tag on each snapshot date. A range's long snapshots are one row per user, tag and date (a hundred
    million at 100k users x 30 days): every quality measure is read from these counts instead."""
    return snapshots.groupBy(*_COUNT_KEYS).agg(F.count(F.lit(1)).alias(_COUNT))


def interval_value_counts(history: DataFrame, first: dt.date, last: dt.date) -> DataFrame:
    """`value_counts` of the snapshots `first`..`last` from tag history intervals, without a row per user,
    tag and date: each interval adds 1 to its value's count on its first day in the range and takes it away
    on its VALID_TO, and a running sum per value over those days gives the count until the next change.
    Reads rows proportional to the intervals (a few per user and tag a month), where the long snapshots
    are one per user, tag and date.

    Args:
        history: gold.tag_history rows (HISTORY_COLUMNS) that hold the snapshots of every date from
            `first` to `last` (intervals outside the range are left out).
        first, last: The range.

    Returns:
        The columns of `value_counts`, a row per tag, date of the range and value some user holds.
    """
    after = F.lit(last + dt.timedelta(days=1))
    start = F.greatest(F.col(C.VALID_FROM), F.lit(first))
    end = F.least(F.coalesce(F.col(C.VALID_TO), after), after)
    changes = (
        history.where(covering(first, last))
        .select(
            *_VALUE_KEYS,
            F.explode(
                F.array(
                    F.struct(start.alias(_DAY), F.lit(1).alias(_DELTA)),
                    F.struct(end.alias(_DAY), F.lit(-1).alias(_DELTA)),
                )
            ).alias("_change"),
        )
        .groupBy(*_VALUE_KEYS, F.col("_change")[_DAY].alias(_DAY))
        .agg(F.sum(F.col("_change")[_DELTA]).alias(_DELTA))
    )
    by_value = Window.partitionBy(*_VALUE_KEYS).orderBy(_DAY)
    running = changes.select(
        *_VALUE_KEYS,
        _DAY,
        F.sum(_DELTA).over(by_value.rowsBetween(Window.unboundedPreceding, 0)).alias(_COUNT),
        F.lead(_DAY).over(by_value).alias(_NEXT),
    )
    # The last change of a value is the range's end (its count 0), so every stretch before it has a next.
    held = running.where((F.col(_COUNT) > 0) & (F.col(_DAY) <= F.lit(last)))
    return held.select(
        *_VALUE_KEYS,
        F.explode(F.sequence(F.col(_DAY), F.date_sub(F.col(_NEXT), 1))).alias(C.SNAPSHOT_DATE),
        _COUNT,
    ).select(*_COUNT_KEYS, _COUNT)


def value_buckets(counts: DataFrame, catalog: TagCatalog) -> DataFrame:
    """TAG_ID, SNAPSHOT_DATE, _BUCKET, _COUNT: how many users (list elements, for list tags) fall in each
    bucket of each snapshot, from `value_counts`."""
    number_tags = [t.id for t in catalog.tags if t.value_type == "number"]
    list_tags = [t.id for t in catalog.tags if t.value_type == "list"]
    tag = F.col(C.TAG_ID)
    bucket = (
        F.when(tag.isin(*number_tags), _number_band(F.col(C.VALUE_NUM)))
        .when(tag.isin(*list_tags), F.lit(None))
        .otherwise(F.col(C.VALUE))
    )
    keys = [C.TAG_ID, C.SNAPSHOT_DATE]
    scalar = counts.where(~tag.isin(*list_tags)).select(*keys, bucket.alias(_BUCKET), _COUNT)
    elements = counts.where(tag.isin(*list_tags)).select(
        *keys, F.explode(C.VALUE_LIST).alias(_BUCKET), _COUNT
    )
    return scalar.unionByName(elements).groupBy(*keys, _BUCKET).agg(F.sum(_COUNT).alias(_COUNT))


def _shares(buckets: DataFrame) -> DataFrame:
    total = F.sum(_COUNT).over(Window.partitionBy(C.TAG_ID, C.SNAPSHOT_DATE))
    return buckets.select(C.TAG_ID, C.SNAPSHOT_DATE, _BUCKET, (F.col(_COUNT) / total).alias(_SHARE))


def tag_quality(
    snapshots: DataFrame,
    previous: DataFrame | None,
    users: DataFrame,
    catalog: TagCatalog,
    first_date: dt.date,
) -> DataFrame:
    """`quality_of_counts` of long tag snapshot rows (USER_ID, TAG_ID, VALUE, VALUE_NUM, VALUE_LIST,
    SNAPSHOT_DATE; one per user, tag and date) of every date of a range. The call itself reads `snapshots`
    once, into per-value counts (a local checkpoint, as the graph algorithms do): Spark does not reuse the
    aggregation across the measures' differently pruned plans, and would explode and shuffle the long rows
    once per measure."""
    return quality_of_counts(value_counts(snapshots).localCheckpoint(), previous, users, catalog, first_date)


def quality_of_counts(
    by_value: DataFrame,
    previous: DataFrame | None,
    users: DataFrame,
    catalog: TagCatalog,
    first_date: dt.date,
) -> DataFrame:
    """One row per catalog tag and snapshot date of a range of consecutive dates: TAG_ID, USERS_WITH_VALUE,
    COVERAGE (of the date's users), DISTINCT_VALUES, DISTRIBUTION (bucket -> share), PSI against the
    snapshot before (null for the first date without `previous`), SNAPSHOT_DATE.

    Args:
        by_value: `value_counts` (or `interval_value_counts`) of every date of the range; every measure
            reads it, so give a computed frame (e.g. a local checkpoint), not a plan over the snapshots.
        previous: Long rows of the snapshot before `first_date`, or None when there is none.
        users: SNAPSHOT_DATE, USERS: the range's dates and the users in each date's profile (the coverage
            denominator); every tag gets a row per date, also one no user has a value for.
        catalog: The tag catalog.
        first_date: The range's first date, the one `previous` is the snapshot before.
    """
    spark = by_value.sparkSession
    tags = spark.createDataFrame([(t.id,) for t in catalog.tags], f"{C.TAG_ID} string")
    keys = [C.TAG_ID, C.SNAPSHOT_DATE]
    # (user, tag, date) is unique in a snapshot, so rows count users.
    counts = by_value.groupBy(*keys).agg(
        F.sum(_COUNT).alias(C.USERS_WITH_VALUE), F.countDistinct(C.VALUE).alias(C.DISTINCT_VALUES)
    )
    now = _shares(value_buckets(by_value, catalog))
    distribution = now.groupBy(*keys).agg(
        F.map_from_entries(F.array_sort(F.collect_list(F.struct(_BUCKET, _SHARE)))).alias(C.DISTRIBUTION)
    )
    # Each date's shares against the day before's: the range's own, shifted by a day, and `previous`'s.
    before = now.select(
        C.TAG_ID, F.date_add(F.col(C.SNAPSHOT_DATE), 1).alias(C.SNAPSHOT_DATE), _BUCKET, _SHARE
    )
    if previous is not None:
        first = previous.drop(C.SNAPSHOT_DATE).select("*", F.lit(first_date).alias(C.SNAPSHOT_DATE))
        before = before.unionByName(_shares(value_buckets(value_counts(first), catalog)))
    before = before.withColumnRenamed(_SHARE, "_before")
    p_now = F.greatest(F.coalesce(F.col(_SHARE), F.lit(0.0)), F.lit(EMPTY_SHARE))
    p_before = F.greatest(F.coalesce(F.col("_before"), F.lit(0.0)), F.lit(EMPTY_SHARE))
    psi = (
        now.join(before, on=[*keys, _BUCKET], how="full")
        .groupBy(*keys)
        .agg(F.sum((p_now - p_before) * F.log(p_now / p_before)).alias(C.PSI))
    )
    if previous is None:
        psi = psi.where(F.col(C.SNAPSHOT_DATE) != F.lit(first_date))
    with_value = F.coalesce(F.col(C.USERS_WITH_VALUE), F.lit(0))
    # tags x dates: a catalog's tags for a range's days, a few thousand rows.
    return (
        tags.crossJoin(users.select(C.SNAPSHOT_DATE, C.USERS))
        .join(counts, on=keys, how="left")
        .join(distribution, on=keys, how="left")
        .join(psi, on=keys, how="left")
        .select(
            C.TAG_ID,
            with_value.alias(C.USERS_WITH_VALUE),
            (with_value / F.greatest(F.col(C.USERS), F.lit(1))).alias(C.COVERAGE),
            F.coalesce(F.col(C.DISTINCT_VALUES), F.lit(0)).alias(C.DISTINCT_VALUES),
            C.DISTRIBUTION,
            C.PSI,
            C.SNAPSHOT_DATE,
        )
    )
