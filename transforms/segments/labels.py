"""Readable segment labels, from what most distinguishes a segment: e.g. "high spend, low activity, beauty".

Words come from the features whose segment mean lies furthest from the population's (|z| at least
`min_z`, strongest first, "high" or "low" plus the feature's configured name), then the segment's most
over-represented top category when its lift reaches `min_category_lift`. A segment nothing distinguishes
is "average".
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C

AVERAGE = "average"
_STRENGTH, _FEATURE, _Z, _LIFT = "_strength", "_feature", "_z", "_lift"


def _names(names: Mapping[str, str]) -> Column:
    if not names:
        return F.lit(None).cast("map<string,string>")
    return F.create_map(*[F.lit(part) for pair in sorted(names.items()) for part in pair])


def feature_words(names: Mapping[str, str], max_features: int, min_z: float) -> Column:
    """Up to `max_features` phrases such as "high spend", from FEATURE_Z (strongest |z| first, ties by
    feature name)."""
    strong = F.filter(F.map_entries(F.col(C.FEATURE_Z)), lambda e: F.abs(e["value"]) >= F.lit(min_z))
    ordered = F.array_sort(
        F.transform(
            strong,
            lambda e: F.struct(
                (-F.abs(e["value"])).alias(_STRENGTH), e["key"].alias(_FEATURE), e["value"].alias(_Z)
            ),
        )
    )
    return F.transform(
        F.slice(ordered, 1, max_features),
        lambda e: F.concat(
            F.when(e[_Z] > 0, F.lit("high ")).otherwise(F.lit("low ")),
            F.coalesce(F.try_element_at(_names(names), e[_FEATURE]), e[_FEATURE]),
        ),
    )


def distinguishing_category(min_category_lift: float) -> Column:
    """The segment's top category with the highest lift, when that lift is at least `min_category_lift`."""
    lifted = F.transform(
        F.col(C.TOP_CATEGORIES),
        lambda c: F.struct(
            (-F.try_element_at(F.col(C.CATEGORY_LIFT), c)).alias(_LIFT), c.alias(C.CATEGORY_L1)
        ),
    )
    strong = F.filter(lifted, lambda e: -e[_LIFT] >= F.lit(min_category_lift))
    return F.try_element_at(F.array_sort(strong), F.lit(1))[C.CATEGORY_L1]


def with_labels(
    profiles: DataFrame,
    names: Mapping[str, str],
    max_features: int,
    min_z: float,
    min_category_lift: float,
    fixed: Mapping[int, str] | None = None,
) -> DataFrame:
    """The profiles with LABEL added before SNAPSHOT_DATE.

    Args:
        profiles: `profiles.segment_profiles` rows (FEATURE_Z, TOP_CATEGORIES, CATEGORY_LIFT are read).
        names: Feature column -> its words in labels; unnamed features use the column name.
        max_features, min_z, min_category_lift: `segments.label` settings.
        fixed: Segment id -> its label, for segments made by rule (the light users), whose label says
            what the rule is rather than how its members happen to differ.
    """
    parts = F.concat_ws(
        ", ",
        F.coalesce(feature_words(names, max_features, min_z), F.array().cast("array<string>")),
        distinguishing_category(min_category_lift),
    )
    label = F.when(parts == "", F.lit(AVERAGE)).otherwise(parts)
    for segment, text in (fixed or {}).items():
        label = F.when(F.col(C.SEGMENT_ID) == F.lit(segment), F.lit(text)).otherwise(label)
    columns = [c for c in profiles.columns if c != C.SNAPSHOT_DATE]
    return profiles.select(*columns, label.alias(C.LABEL), C.SNAPSHOT_DATE)
