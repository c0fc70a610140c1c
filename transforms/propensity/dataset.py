"""The propensity model's inputs for a snapshot date T: the user's gold.user_features row of T and the user's
tag values of T, nothing computed after T.

The tag values are the catalog's expression tags evaluated over the gold.user_features rows of T, exactly as
build_tag_snapshots evaluates them into gold.tag_history of T (same definitions, same population for the
tags that rank users within the snapshot). They are not read from gold.tag_history because that snapshot is
written after scoring: it carries the scores (tags churn_risk and purchase_propensity), so reading it would
make the model depend on its own output. Builtin tags (RFM, lifecycle stage, segment, the scores) need other
tables and are not model inputs; their own inputs (recency, orders, spend) are features.

A FeatureSpec says which features and tags the model reads. It is stored with the registered model (as JSON,
with each tag's expression), so scoring builds the same inputs even after the config or catalog changed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from pyspark.errors import ParseException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.catalogs import TagCatalog
from transforms import columns as C
from transforms.tags.allowed_functions import disallowed_calls
from transforms.tags.evaluate import refusal

# Prefix of a tag's model input column: tags may share a name with a feature (city_tier, tenure_days).
TAG_PREFIX = "tag__"
# Tags that hold the model's own scores can never be its inputs.
MODEL_OUTPUT_TAGS = (C.CHURN_RISK, C.PURCHASE_PROPENSITY)
INPUT_TAG_TYPES = ("boolean", "enum", "number")


@dataclass(frozen=True)
class TagFeature:
    """A tag the model reads: enum tags are categorical inputs, boolean (as 0/1) and number tags numeric."""

    id: str
    value_type: str
    expression: str

    @property
    def column(self) -> str:
        return f"{TAG_PREFIX}{self.id}"

    @property
    def categorical(self) -> bool:
        return self.value_type == "enum"

    def value(self) -> Column:
        """The tag's value as the model reads it: a string for an enum, a double otherwise."""
        if self.categorical:
            return F.expr(self.expression).cast(T.StringType()).alias(self.column)
        typed = T.BooleanType() if self.value_type == "boolean" else T.DoubleType()
        return F.expr(self.expression).cast(typed).cast(T.DoubleType()).alias(self.column)


@dataclass(frozen=True)
class FeatureSpec:
    """What the model reads: numeric gold.user_features columns (those in `log1p` log1p-transformed) and tags."""

    numeric: tuple[str, ...]
    log1p: tuple[str, ...]
    tags: tuple[TagFeature, ...]

    @property
    def numeric_inputs(self) -> tuple[str, ...]:
        """The numeric input columns: the features, then the boolean and number tags."""
        return (*self.numeric, *[t.column for t in self.tags if not t.categorical])

    @property
    def categorical_inputs(self) -> tuple[str, ...]:
        """The categorical input columns: the enum tags."""
        return tuple(t.column for t in self.tags if t.categorical)

    def to_json(self) -> str:
        return json.dumps(
            {
                "numeric": list(self.numeric),
                "log1p": list(self.log1p),
                "tags": [
                    {"id": t.id, "value_type": t.value_type, "expression": t.expression} for t in self.tags
                ],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> FeatureSpec:
        data = json.loads(text)
        return cls(
            numeric=tuple(data["numeric"]),
            log1p=tuple(data["log1p"]),
            tags=tuple(TagFeature(t["id"], t["value_type"], t["expression"]) for t in data["tags"]),
        )

    def without(self, inputs: Sequence[str]) -> FeatureSpec:
        """The spec without the given input columns (features by name, tags by their column)."""
        drop = set(inputs)
        return FeatureSpec(
            numeric=tuple(f for f in self.numeric if f not in drop),
            log1p=tuple(f for f in self.log1p if f not in drop),
            tags=tuple(t for t in self.tags if t.column not in drop),
        )


def spec_problems(
    features_schema: T.StructType,
    numeric: Sequence[str],
    log1p: Sequence[str],
    tag_ids: Sequence[str],
    catalog: TagCatalog,
) -> list[str]:
    """Why these features and tags cannot be model inputs, each naming the column or tag (empty when fine)."""
    problems = []
    for name in numeric:
        if name not in features_schema.fieldNames():
            problems.append(f"feature {name!r} is not a gold.user_features column")
        elif not isinstance(features_schema[name].dataType, T.NumericType):
            problems.append(
                f"feature {name!r} is {features_schema[name].dataType.simpleString()}, not numeric"
            )
    problems += [
        f"log1p feature {name!r} is not among the numeric features" for name in log1p if name not in numeric
    ]
    for tag_id in tag_ids:
        tag = catalog.by_id.get(tag_id)
        if tag_id in MODEL_OUTPUT_TAGS:
            problems.append(f"tag {tag_id!r} holds the model's own score and cannot be an input")
        elif tag is None:
            problems.append(f"tag {tag_id!r} is not in the tag catalog")
        elif tag.expression is None:
            problems.append(
                f"tag {tag_id!r} is the builtin {tag.builtin!r}, which needs other tables; use its inputs as features"
            )
        elif tag.value_type not in INPUT_TAG_TYPES:
            problems.append(
                f"tag {tag_id!r} is a {tag.value_type} tag; inputs are {', '.join(INPUT_TAG_TYPES)} tags"
            )
    return problems


def expression_refusals(spark: SparkSession, spec: FeatureSpec) -> list[str]:
    """Every tag input whose expression calls a function outside the tag allow-list, naming the tag and the
    function (empty when all are sound). A registered model's spec carries its own copy of the expressions,
    so scoring checks them again rather than trusting the catalog check of the day it was trained."""
    problems = []
    for tag in spec.tags:
        try:
            refused = disallowed_calls(spark, tag.expression)
        except ParseException as exc:
            problems.append(f"tag {tag.id!r}: expression does not parse: {str(exc).strip().splitlines()[0]}")
            continue
        if refused:
            problems.append(f"tag {tag.id!r}: {refusal(refused)}")
    return problems


def feature_spec(
    numeric: Sequence[str], log1p: Sequence[str], tag_ids: Sequence[str], catalog: TagCatalog
) -> FeatureSpec:
    """The spec of these features and catalog tags (check them with `spec_problems` first)."""
    tags = tuple(TagFeature(t.id, t.value_type, t.expression) for t in (catalog.by_id[i] for i in tag_ids))
    return FeatureSpec(numeric=tuple(numeric), log1p=tuple(log1p), tags=tags)


def all_null_inputs(train: DataFrame, spec: FeatureSpec) -> list[str]:
    """The numeric inputs that are null for every training row (an imputer has nothing to learn from): one
    aggregate row."""
    counts = train.agg(*[F.count(F.col(name)).alias(name) for name in spec.numeric_inputs]).first()
    return [name for name in spec.numeric_inputs if counts[name] == 0]


def snapshot_inputs(features: DataFrame, spec: FeatureSpec) -> DataFrame:
    """The model inputs of one snapshot date's gold.user_features rows (window tags rank within them).

    Returns:
        USER_ID, SNAPSHOT_DATE, each numeric feature as a double, each tag's input column.
    """
    return features.select(
        C.USER_ID,
        C.SNAPSHOT_DATE,
        *[F.col(name).cast(T.DoubleType()).alias(name) for name in spec.numeric],
        *[tag.value() for tag in spec.tags],
    )


def model_inputs(features: DataFrame, spec: FeatureSpec, snapshot_dates: Sequence[dt.date]) -> DataFrame:
    """The model inputs of every user of each snapshot date: gold.user_features rows of those dates only,
    each date's tags evaluated over that date's users alone.

    Args:
        features: gold.user_features (any dates; rows of other dates are not read).
        spec: The features and tags to read.
        snapshot_dates: The dates, a handful.

    Returns:
        USER_ID, SNAPSHOT_DATE, the numeric features, the tag inputs: one row per user and date.
    """
    per_date = [
        snapshot_inputs(features.where(F.col(C.SNAPSHOT_DATE) == F.lit(day)), spec) for day in snapshot_dates
    ]
    return reduce(DataFrame.unionByName, per_date)
