"""The recommender evaluation's results as rows of gold.recommendation_metrics(_by_group), as MLflow metric
names, and as the text tables evaluate_recommenders prints (models as rows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from pyspark.sql import types as T

from shop_platform.settings import RecommendSettings
from transforms import columns as C
from transforms.recommend.evaluation import ALS, ALS_CANDIDATE, GROUPS, METRIC_COLUMNS, WARM, Evaluation


def table_rows(
    schema: T.StructType,
    rows: Sequence[Mapping[str, object]],
    *,
    split_date: dt.date,
    test_days: int,
    k: int,
    run_date: dt.date,
) -> list[tuple]:
    """`rows` (a handful: one per model, or per model and group) with the split's columns, as tuples of
    `schema`."""
    shared = {C.SPLIT_DATE: split_date, C.TEST_DAYS: test_days, C.K: k, C.RUN_DATE: run_date}
    names = schema.fieldNames()
    return [tuple({**row, **shared}[name] for name in names) for row in rows]


def model_rows(evaluations: Sequence[Evaluation]) -> list[dict[str, object]]:
    """The evaluations as rows of gold.recommendation_metrics, without the split's columns."""
    return [
        {C.MODEL: e.model, C.PARAMS: e.params, **e.metrics, C.TRAIN_SECONDS: e.train_seconds}
        for e in evaluations
    ]


def model_group_rows(evaluations: Sequence[Evaluation]) -> list[dict[str, object]]:
    """The evaluations' per-group metrics as rows of gold.recommendation_metrics_by_group, without the
    split's columns."""
    return [
        {C.MODEL: e.model, C.USER_GROUP: group, **e.groups[group]}
        for e in evaluations
        for group in GROUPS
        if group in e.groups
    ]


def mlflow_metrics(metrics: Mapping[str, float | None], k: int, prefix: str = "") -> dict[str, float]:
    """Metric names as MLflow shows them: ndcg_at_k -> ndcg_at_10; null metrics are left out."""
    return {
        f"{prefix}{name.replace('_at_k', f'_at_{k}')}": float(value)
        for name, value in metrics.items()
        if value is not None
    }


def tracked_metrics(evaluations: Sequence[Evaluation], k: int) -> dict[str, float]:
    """Each model's metrics (prefixed by the model) and per-group metrics (by model and group), as the
    evaluation's parent run logs them."""
    logged: dict[str, float] = {}
    for e in evaluations:
        logged.update(mlflow_metrics(e.metrics, k, prefix=f"{e.model}."))
        for group, metrics in e.groups.items():
            if group in GROUPS:
                logged.update(mlflow_metrics(metrics, k, prefix=f"{e.model}.{group}."))
    return logged


def _values(metrics: Mapping[str, float | None]) -> str:
    return " ".join(
        f"{metrics[name]:>12.4f}" if metrics[name] is not None else f"{'-':>12}"
        for name in METRIC_COLUMNS[1:]
    )


def format_table(evaluations: Sequence[Evaluation], k: int) -> str:
    """The metrics as a text table, one model per line (the blend's settings are printed apart)."""
    names = [name.replace("_at_k", f"@{k}") for name in METRIC_COLUMNS[1:]]
    header = f"{'model':<20} {'params':<44} {'users':>6} " + " ".join(f"{n:>12}" for n in names) + " train_s"
    lines = [header, "-" * len(header)]
    for e in evaluations:
        shown = e.params if e.model in (ALS, ALS_CANDIDATE) else {}
        params = " ".join(f"{key}={value}" for key, value in shown.items())
        seconds = f"{e.train_seconds:7.1f}" if e.train_seconds is not None else f"{'-':>7}"
        lines.append(
            f"{e.model:<20} {params:<44} {e.metrics[C.EVALUATED_USERS]:>6} {_values(e.metrics)} {seconds}"
        )
    return "\n".join(lines)


def format_groups(evaluations: Sequence[Evaluation], k: int) -> str:
    """The per-group metrics as a text table, grouped by user group."""
    names = [name.replace("_at_k", f"@{k}") for name in METRIC_COLUMNS[1:]]
    header = f"{'group':<6} {'model':<20} {'users':>6} " + " ".join(f"{n:>12}" for n in names)
    lines = [header, "-" * len(header)]
    for group in GROUPS:
        for e in evaluations:
            if group in e.groups:
                metrics = e.groups[group]
                lines.append(f"{group:<6} {e.model:<20} {metrics[C.EVALUATED_USERS]:>6} {_values(metrics)}")
    return "\n".join(lines)


def verdict(blend: Evaluation, als: Evaluation, k: int) -> str:
    """Whether the blend beats ALS on NDCG@k, for the warm users and for each group."""
    groups = {WARM: (blend.metrics, als.metrics)}
    groups.update(
        {g: (blend.groups[g], als.groups[g]) for g in GROUPS if g in blend.groups and g in als.groups}
    )
    parts = []
    for group, (mine, theirs) in groups.items():
        ours, base = mine[C.NDCG_AT_K] or 0.0, theirs[C.NDCG_AT_K] or 0.0
        change = f"{(ours - base) / base:+.1%}" if base > 0 else "n/a"
        parts.append(
            f"{group} {ours:.4f} vs {base:.4f} ({change}, {'beats' if ours > base else 'does not beat'})"
        )
    return f"blend vs als, NDCG@{k}: " + "; ".join(parts)


def report(
    evaluations: Sequence[Evaluation],
    grouped: Sequence[Evaluation],
    blend: Evaluation,
    chosen: Evaluation,
    rec: RecommendSettings,
    split_date: dt.date,
    run_date: dt.date,
) -> str:
    """What the job prints: the split, the metrics of the warm users, the blend's settings, the metrics per
    group (of `grouped`) and the blend-against-ALS verdict."""
    settings = rec.blend
    return (
        f"split {split_date} (train through) / test {rec.test_days} days through {run_date}\n"
        + "test users with training data:\n"
        + format_table(evaluations, rec.k)
        + "\n"
        + f"seen items left out of every list: {rec.seen_items.exclude} (except repeat-purchase categories "
        f"{rec.seen_items.repeat_purchase_categories})\n"
        + f"blend: weights {settings.weights}; cold start (< {settings.cold_start_interactions} training items) "
        f"{settings.cold_start_weights}; segments of {blend.params['segments_date']}\n"
        + f"every test user by group (new: < {settings.new_user_interactions} training items, heavy: >= "
        f"{settings.heavy_user_interactions}):\n"
        + format_groups(grouped, rec.k)
        + "\n"
        + verdict(blend, chosen, rec.k)
        + "\n"
    )
