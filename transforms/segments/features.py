"""Which users are segmented and how their features enter the model.

Segments are built on numeric columns of gold.user_features of one snapshot date. Heavy-tailed counts and
amounts are log1p-transformed so a handful of big spenders do not own the distances; a null (a share of
orders for a user without orders, the price level of a non-buyer) is imputed with the training population's
mean, so it sits in the middle of that feature once standardized rather than pretending to be 0.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms import columns as C

# Prefix of the model's input columns, so they never clash with a feature's name.
_INPUT = "_seg_in_"


def model_input(feature: str) -> str:
    """The column a feature enters the model as (log1p-transformed where configured, nulls imputed)."""
    return f"{_INPUT}{feature}"


def transformed(feature: str, log1p_features: Collection[str]) -> Column:
    """The feature as a double, log1p-transformed when listed in `log1p_features` (null stays null)."""
    value = F.col(feature).cast(T.DoubleType())
    return F.log1p(value) if feature in log1p_features else value


def imputation_means(
    population: DataFrame, features: Sequence[str], log1p_features: Collection[str]
) -> dict[str, float]:
    """The mean of each transformed feature over `population` (0.0 for a feature that is null for all,
    which then carries no information)."""
    row = population.agg(*[F.avg(transformed(f, log1p_features)).alias(f) for f in features]).first()
    return {f: 0.0 if row[f] is None else float(row[f]) for f in features}


def input_statement(
    features: Sequence[str], log1p_features: Collection[str], means: Mapping[str, float]
) -> str:
    """The SQLTransformer statement of the model's first stage: every row, plus each feature as a double,
    log1p-transformed where listed and nulls replaced by its mean from `means`, as `model_input(feature)`.

    SQL rather than DataFrame code so that the transformation is part of the registered model, and scoring
    needs nothing but gold.user_features rows.
    """
    inputs = []
    for name in features:
        value = f"CAST(`{name}` AS DOUBLE)"
        if name in log1p_features:
            value = f"log1p({value})"
        inputs.append(f"coalesce({value}, CAST('{means[name]!r}' AS DOUBLE)) AS `{model_input(name)}`")
    return f"SELECT *, {', '.join(inputs)} FROM __THIS__"


def segmentation_population(features: DataFrame, active_feature: str) -> DataFrame:
    """The users that get a segment: those with `active_feature` > 0 (users without recent activity have
    nothing to segment on and would only form a cluster of zeros)."""
    return features.where(F.col(active_feature) > 0)


def population_by_date(features: DataFrame, active_feature: str) -> DataFrame:
    """Per SNAPSHOT_DATE of `features` (gold.user_features rows): ROWS, every user, and USERS, those that get
    a segment (see `segmentation_population`)."""
    return (
        features.groupBy(C.SNAPSHOT_DATE)
        .agg(
            F.count(F.lit(1)).alias(C.ROWS),
            F.count(F.when(F.col(active_feature) > 0, True)).alias(C.USERS),
        )
        .select(C.SNAPSHOT_DATE, C.ROWS, C.USERS)
    )


def feature_problems(schema: T.StructType, features: Sequence[str], active_feature: str) -> list[str]:
    """Every configured feature (and the active feature) that gold.user_features lacks or is not numeric."""
    problems = []
    for name in [*features, active_feature]:
        if name not in schema.fieldNames():
            problems.append(f"{name!r} is not a column of gold.user_features")
        elif not isinstance(schema[name].dataType, T.NumericType):
            problems.append(f"{name!r} is {schema[name].dataType.simpleString()}, not numeric")
    return problems
