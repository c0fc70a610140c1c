"""gold.segment_profiles: who is in each segment, and how they differ from the segmented population."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.segments.features import input_value, transformed

_TOTAL, _COUNT, _POPULATION_COUNT, _RANK = "_total", "_count", "_population_count", "_rank"


def _mean(i: int) -> str:
    return f"_mean_{i}"


def _scaled_mean(i: int) -> str:
    return f"_scaled_mean_{i}"


def _population_mean(i: int) -> str:
    return f"_population_mean_{i}"


def _population_std(i: int) -> str:
    return f"_population_std_{i}"


def _feature_map(names: Sequence[str], values: Sequence[Column]) -> Column:
    return F.map_from_arrays(F.array(*[F.lit(n) for n in names]), F.array(*values))


def feature_summary(
    members: DataFrame,
    features: Sequence[str],
    log1p_features: Collection[str],
    ratios: Mapping[str, Sequence[str]] | None = None,
) -> DataFrame:
    """Per segment: its size and share, the mean of each feature, and how far that mean lies from the
    population's in population standard deviations (z), on the scale the model sees (log1p where
    configured), so a few huge spenders do not make every other segment look average.

    Nulls are left out of means (a share of orders for users without orders); a feature without spread in
    the population has z 0.

    Args:
        members: USER_ID, SEGMENT_ID and the feature columns (those `ratios` are computed from), one row
            per segmented user.

    Returns:
        SEGMENT_ID, USERS, SHARE, FEATURE_MEANS, FEATURE_Z (maps keyed by feature column).
    """
    values = [transformed(f, log1p_features, ratios) for f in features]
    population = members.agg(
        F.count(F.lit(1)).alias(_TOTAL),
        *[F.avg(v).alias(_population_mean(i)) for i, v in enumerate(values)],
        *[F.stddev_pop(v).alias(_population_std(i)) for i, v in enumerate(values)],
    )
    per_segment = members.groupBy(C.SEGMENT_ID).agg(
        F.count(F.lit(1)).alias(C.USERS),
        *[F.avg(input_value(f, ratios)).alias(_mean(i)) for i, f in enumerate(features)],
        *[F.avg(v).alias(_scaled_mean(i)) for i, v in enumerate(values)],
    )
    z = [
        F.coalesce(
            F.try_divide(F.col(_scaled_mean(i)) - F.col(_population_mean(i)), F.col(_population_std(i))),
            F.lit(0.0),
        )
        for i in range(len(features))
    ]
    # The population is one row: the cross join keeps one row per segment.
    return per_segment.crossJoin(population).select(
        C.SEGMENT_ID,
        C.USERS,
        (F.col(C.USERS) / F.col(_TOTAL)).alias(C.SHARE),
        _feature_map(features, [F.col(_mean(i)) for i in range(len(features))]).alias(C.FEATURE_MEANS),
        _feature_map(features, z).alias(C.FEATURE_Z),
    )


def dominant_values(members: DataFrame, tags: DataFrame, tag_id: str, out: str) -> DataFrame:
    """Per segment, the most common value of tag `tag_id` among its members (ties: the first by name).

    Args:
        members: USER_ID, SEGMENT_ID.
        tags: tags_as_of rows of the snapshot date (USER_ID, TAG_ID, VALUE).

    Returns:
        SEGMENT_ID, `out`; segments whose members have no value of the tag are absent.
    """
    # A snapshot holds at most one row per user and tag: the join does not multiply members.
    counts = (
        members.select(C.USER_ID, C.SEGMENT_ID)
        .join(tags.where(F.col(C.TAG_ID) == tag_id).select(C.USER_ID, C.VALUE), on=[C.USER_ID], how="inner")
        .groupBy(C.SEGMENT_ID, C.VALUE)
        .agg(F.count(F.lit(1)).alias(_COUNT))
    )
    first = Window.partitionBy(C.SEGMENT_ID).orderBy(F.col(_COUNT).desc(), F.col(C.VALUE))
    return (
        counts.select("*", F.row_number().over(first).alias(_RANK))
        .where(F.col(_RANK) == 1)
        .select(C.SEGMENT_ID, F.col(C.VALUE).alias(out))
    )


def top_categories(members: DataFrame, top_n: int) -> DataFrame:
    """Per segment, the categories most often among its members' TOP_CATEGORIES, and each one's lift: the
    share of members having it over the share of the whole segmented population having it.

    Args:
        members: USER_ID, SEGMENT_ID, TOP_CATEGORIES (a user's own top categories, gold.user_features).
        top_n: Categories kept per segment (most members first, ties by name).

    Returns:
        SEGMENT_ID, TOP_CATEGORIES, CATEGORY_LIFT (map category -> lift, for those categories).
    """
    sizes = members.groupBy(C.SEGMENT_ID).agg(F.count(F.lit(1)).alias(C.USERS))
    total = members.agg(F.count(F.lit(1)).alias(_TOTAL))
    mentions = members.select(
        C.SEGMENT_ID, F.explode(F.array_distinct(C.TOP_CATEGORIES)).alias(C.CATEGORY_L1)
    )
    in_population = mentions.groupBy(C.CATEGORY_L1).agg(F.count(F.lit(1)).alias(_POPULATION_COUNT))
    lift = (F.col(_COUNT) / F.col(C.USERS)) / (F.col(_POPULATION_COUNT) / F.col(_TOTAL))
    # Sorting (-members, name) structs gives the most common first with a stable tie-break.
    ranked = F.array_sort(
        F.collect_list(F.struct((-F.col(_COUNT)).alias(_RANK), F.col(C.CATEGORY_L1), lift.alias(C.LIFT)))
    )
    return (
        mentions.groupBy(C.SEGMENT_ID, C.CATEGORY_L1)
        .agg(F.count(F.lit(1)).alias(_COUNT))
        .join(sizes, on=[C.SEGMENT_ID], how="inner")
        .join(in_population, on=[C.CATEGORY_L1], how="inner")
        .crossJoin(total)
        .groupBy(C.SEGMENT_ID)
        .agg(F.slice(ranked, 1, top_n).alias("_top"))
        .select(
            C.SEGMENT_ID,
            F.transform(F.col("_top"), lambda e: e[C.CATEGORY_L1]).alias(C.TOP_CATEGORIES),
            F.map_from_entries(
                F.transform(F.col("_top"), lambda e: F.struct(e[C.CATEGORY_L1], e[C.LIFT]))
            ).alias(C.CATEGORY_LIFT),
        )
    )


def segment_profiles(
    segments: DataFrame,
    features: DataFrame,
    tags: DataFrame,
    *,
    feature_columns: Sequence[str],
    log1p_features: Collection[str],
    ratios: Mapping[str, Sequence[str]] | None = None,
    top_n: int,
    rfm_tag: str,
    lifecycle_tag: str,
    snapshot_date: dt.date,
) -> DataFrame:
    """One row per segment of a snapshot date, without its label (`labels.with_labels` adds it).

    Args:
        segments: gold.user_segments rows of the date (USER_ID, SEGMENT_ID).
        features: gold.user_features rows of the date.
        tags: tags_as_of rows of the date; `rfm_tag` and `lifecycle_tag` give the dominant RFM
            segment and lifecycle stage.
        feature_columns: The model's inputs; `ratios` among them are computed from two columns.

    Returns:
        SEGMENT_ID, USERS, SHARE, FEATURE_MEANS, FEATURE_Z, DOMINANT_RFM_SEGMENT, DOMINANT_LIFECYCLE_STAGE,
        TOP_CATEGORIES, CATEGORY_LIFT, SNAPSHOT_DATE.
    """
    sources = [c for c in feature_columns if not ratios or c not in ratios]
    sources += [c for pair in (ratios or {}).values() for c in pair if c not in sources]
    # One features row per user and date: each segmented user stays one row.
    members = segments.select(C.USER_ID, C.SEGMENT_ID).join(
        features.select(C.USER_ID, C.TOP_CATEGORIES, *sources), on=[C.USER_ID], how="inner"
    )
    return (
        feature_summary(members, feature_columns, log1p_features, ratios)
        .join(dominant_values(members, tags, rfm_tag, C.DOMINANT_RFM_SEGMENT), on=[C.SEGMENT_ID], how="left")
        .join(
            dominant_values(members, tags, lifecycle_tag, C.DOMINANT_LIFECYCLE_STAGE),
            on=[C.SEGMENT_ID],
            how="left",
        )
        .join(top_categories(members, top_n), on=[C.SEGMENT_ID], how="left")
        .select(
            C.SEGMENT_ID,
            C.USERS,
            C.SHARE,
            C.FEATURE_MEANS,
            C.FEATURE_Z,
            C.DOMINANT_RFM_SEGMENT,
            C.DOMINANT_LIFECYCLE_STAGE,
            C.TOP_CATEGORIES,
            C.CATEGORY_LIFT,
            F.lit(snapshot_date).alias(C.SNAPSHOT_DATE),
        )
    )
