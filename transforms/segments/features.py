"""Which users are segmented and how their features enter the model.

Segments are built on numeric columns of gold.user_features of one snapshot date and on ratios of two of
them (cart adds per view, orders per active day): rates describe how a user behaves, where raw volumes all
mostly say how much, and would put everyone with little activity into one catch-all cluster. Heavy-tailed
inputs are log1p-transformed so a handful of big spenders do not own the distances; a null (a share of
orders for a user without orders, a ratio over 0) is imputed with the training population's mean, so it sits
in the middle of that input once standardized rather than pretending to be 0.

Users with no order and only a few active days have too little behaviour to place: they are a segment of
their own by rule (`is_light_user`), and K-means sees only the others.
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


def input_value(name: str, ratios: Mapping[str, Sequence[str]] | None = None) -> Column:
    """The input as a double: the column `name`, or numerator / denominator when `name` is one of `ratios`
    (null when the denominator is 0 or null)."""
    if ratios and name in ratios:
        numerator, denominator = ratios[name]
        return F.try_divide(F.col(numerator).cast(T.DoubleType()), F.col(denominator).cast(T.DoubleType()))
    return F.col(name).cast(T.DoubleType())


def transformed(
    feature: str, log1p_features: Collection[str], ratios: Mapping[str, Sequence[str]] | None = None
) -> Column:
    """The input (see `input_value`), log1p-transformed when listed in `log1p_features` (null stays null)."""
    value = input_value(feature, ratios)
    return F.log1p(value) if feature in log1p_features else value


def imputation_means(
    population: DataFrame,
    features: Sequence[str],
    log1p_features: Collection[str],
    ratios: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, float]:
    """The mean of each transformed input over `population` (0.0 for an input that is null for all,
    which then carries no information)."""
    row = population.agg(*[F.avg(transformed(f, log1p_features, ratios)).alias(f) for f in features]).first()
    return {f: 0.0 if row[f] is None else float(row[f]) for f in features}


def input_statement(
    features: Sequence[str],
    log1p_features: Collection[str],
    means: Mapping[str, float],
    ratios: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The SQLTransformer statement of the model's first stage: every row, plus each input as a double (a
    ratio of two columns where `ratios` names it), log1p-transformed where listed and nulls replaced by its
    mean from `means`, as `model_input(feature)`.

    SQL rather than DataFrame code so that the transformation is part of the registered model, and scoring
    needs nothing but gold.user_features rows.
    """
    inputs = []
    for name in features:
        if ratios and name in ratios:
            numerator, denominator = ratios[name]
            value = f"try_divide(CAST(`{numerator}` AS DOUBLE), CAST(`{denominator}` AS DOUBLE))"
        else:
            value = f"CAST(`{name}` AS DOUBLE)"
        if name in log1p_features:
            value = f"log1p({value})"
        inputs.append(f"coalesce({value}, CAST('{means[name]!r}' AS DOUBLE)) AS `{model_input(name)}`")
    return f"SELECT *, {', '.join(inputs)} FROM __THIS__"


def is_light_user(orders_feature: str, active_days_feature: str, min_active_days: int) -> Column:
    """True for a user with no order (`orders_feature` 0 or null) and fewer than `min_active_days` active
    days: too little behaviour for K-means to place, so a segment of their own by rule."""
    no_order = F.coalesce(F.col(orders_feature), F.lit(0)) <= 0
    return no_order & (F.coalesce(F.col(active_days_feature), F.lit(0)) < F.lit(min_active_days))


def light_user_segments(light_users: DataFrame, segment_id: int) -> DataFrame:
    """The light users' rows of gold.user_segments: all in `segment_id`, with no centre to be distant from.

    Args:
        light_users: gold.user_features rows of the users `is_light_user` picks (USER_ID, SNAPSHOT_DATE).

    Returns:
        USER_ID, SEGMENT_ID, DISTANCE_TO_CENTRE (null), SNAPSHOT_DATE.
    """
    return light_users.select(
        C.USER_ID,
        F.lit(segment_id).cast(T.IntegerType()).alias(C.SEGMENT_ID),
        F.lit(None).cast(T.DoubleType()).alias(C.DISTANCE_TO_CENTRE),
        C.SNAPSHOT_DATE,
    )


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
