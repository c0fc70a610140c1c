"""The propensity models: one Spark ML Pipeline per candidate, preprocessing included, so the registered
PipelineModel scores raw model inputs (transforms.propensity.dataset) on its own.

Preprocessing, fitted on the training rows: every numeric input gets a 0/1 missing indicator (a null is
information: no order yet, no price level), is log1p-transformed where configured, and its nulls are imputed
(Imputer, median or mean); every categorical input's null becomes the value "missing", is indexed by
frequency (StringIndexer; a value unseen in training gets its own index) and one-hot encoded. Then a logistic
regression (which standardizes internally) or gradient-boosted trees predict PURCHASED.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.ml import Model, Pipeline, PipelineModel
from pyspark.ml.classification import GBTClassifier, LogisticRegression
from pyspark.ml.feature import Imputer, OneHotEncoder, SQLTransformer, StringIndexer, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.propensity.dataset import FeatureSpec

LOGISTIC_REGRESSION = "logistic_regression"
GBT = "gbt"
MODEL_FAMILIES = (LOGISTIC_REGRESSION, GBT)
# The value a null categorical input is indexed as.
MISSING = "missing"
FEATURES_VECTOR = "propensity_features"
PROBABILITY = "probability"
_MISSING_SUFFIX, _VALUE_SUFFIX, _IMPUTED_SUFFIX, _INDEX_SUFFIX, _ONEHOT_SUFFIX = (
    "__missing", "__value", "__imputed", "__index", "__onehot",
)  # fmt: skip


def input_statement(spec: FeatureSpec) -> str:
    """The first stage's SQL: every row plus, per numeric input, its missing indicator and its value as a
    double (log1p of its non-negative part where configured) and, per categorical input, its value or MISSING."""
    columns = []
    for name in spec.numeric_inputs:
        value = f"CAST(`{name}` AS DOUBLE)"
        if name in spec.log1p:
            # Counts and amounts are never negative; one would be an upstream error, read as 0 rather than
            # -inf. (greatest() would turn a null into 0: the CASE keeps it null for the imputer.)
            value = f"log1p(CASE WHEN {value} < 0 THEN 0D ELSE {value} END)"
        columns.append(f"CAST(`{name}` IS NULL AS DOUBLE) AS `{name}{_MISSING_SUFFIX}`")
        columns.append(f"{value} AS `{name}{_VALUE_SUFFIX}`")
    columns += [
        f"coalesce(`{name}`, '{MISSING}') AS `{name}{_VALUE_SUFFIX}`" for name in spec.categorical_inputs
    ]
    return f"SELECT *, {', '.join(columns)} FROM __THIS__"


def preprocessing(spec: FeatureSpec, impute_strategy: str) -> list:
    """The stages turning model inputs into FEATURES_VECTOR (see the module docstring)."""
    numeric, categorical = spec.numeric_inputs, spec.categorical_inputs
    stages: list = [SQLTransformer(statement=input_statement(spec))]
    if numeric:
        stages.append(
            Imputer(
                strategy=impute_strategy,
                inputCols=[f"{n}{_VALUE_SUFFIX}" for n in numeric],
                outputCols=[f"{n}{_IMPUTED_SUFFIX}" for n in numeric],
            )
        )
    if categorical:
        stages += [
            StringIndexer(
                inputCols=[f"{c}{_VALUE_SUFFIX}" for c in categorical],
                outputCols=[f"{c}{_INDEX_SUFFIX}" for c in categorical],
                handleInvalid="keep",
                stringOrderType="frequencyDesc",
            ),
            OneHotEncoder(
                inputCols=[f"{c}{_INDEX_SUFFIX}" for c in categorical],
                outputCols=[f"{c}{_ONEHOT_SUFFIX}" for c in categorical],
                handleInvalid="keep",
            ),
        ]
    assembled = (
        [f"{n}{_MISSING_SUFFIX}" for n in numeric]
        + [f"{n}{_IMPUTED_SUFFIX}" for n in numeric]
        + [f"{c}{_ONEHOT_SUFFIX}" for c in categorical]
    )
    stages.append(VectorAssembler(inputCols=assembled, outputCol=FEATURES_VECTOR))
    return stages


def classifier(
    family: str, params: Mapping[str, float | int], seed: int
) -> LogisticRegression | GBTClassifier:
    """The classifier of `family` with `params`, reading FEATURES_VECTOR and predicting PURCHASED.

    Args:
        family: LOGISTIC_REGRESSION (params reg_param, elastic_net_param, max_iter) or GBT (params max_depth,
            max_iter, step_size).
        params: The classifier's hyperparameters.
        seed: GBT's seed (logistic regression is deterministic).
    """
    # Both write the probability vector to PROBABILITY, Spark's default (GBTClassifier has no setter for it).
    common = {"featuresCol": FEATURES_VECTOR, "labelCol": C.PURCHASED}
    if family == LOGISTIC_REGRESSION:
        return LogisticRegression(
            regParam=float(params["reg_param"]),
            elasticNetParam=float(params["elastic_net_param"]),
            maxIter=int(params["max_iter"]),
            standardization=True,
            **common,
        )
    if family == GBT:
        return GBTClassifier(
            maxDepth=int(params["max_depth"]),
            maxIter=int(params["max_iter"]),
            stepSize=float(params["step_size"]),
            seed=seed,
            **common,
        )
    raise ValueError(f"unknown model family {family!r} (known: {', '.join(MODEL_FAMILIES)})")


def propensity_pipeline(
    family: str, params: Mapping[str, float | int], spec: FeatureSpec, impute_strategy: str, seed: int
) -> Pipeline:
    """The candidate pipeline: preprocessing and the classifier of `family` with `params` (see `classifier`).

    Args:
        spec: The model inputs.
        impute_strategy: "median" or "mean".
    """
    return Pipeline(stages=[*preprocessing(spec, impute_strategy), classifier(family, params, seed)])


def with_classifier(preprocessing_model: PipelineModel, classifier_model: Model) -> PipelineModel:
    """The PipelineModel of fitted preprocessing stages followed by a classifier fitted on their output: what
    `propensity_pipeline(...).fit` gives when the classifier was fitted on the same rows."""
    return PipelineModel(stages=[*preprocessing_model.stages, classifier_model])


def scored(model: PipelineModel, inputs: DataFrame) -> DataFrame:
    """The model's purchase probability for every input row.

    Returns:
        USER_ID, SNAPSHOT_DATE, SCORE (P(PURCHASED = 1)), and PURCHASED when `inputs` has it.
    """
    label = [C.PURCHASED] if C.PURCHASED in inputs.columns else []
    return model.transform(inputs).select(
        C.USER_ID,
        C.SNAPSHOT_DATE,
        vector_to_array(F.col(PROBABILITY))[1].alias(C.SCORE),
        *label,
    )
