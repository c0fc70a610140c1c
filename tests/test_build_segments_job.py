"""build_segments -> (the segment tag) -> build_segment_profiles -> measure_segments_truth on hand-built
features: the tables, the MLflow runs, the registered champion, and a re-run that reuses it."""

from __future__ import annotations

import datetime as dt
import json

from chispa import assert_df_equality
from mlflow import MlflowClient
from pyspark.sql import functions as F

from jobs import build_segment_profiles, build_segments
from sample_shop.jobs import measure_segments_truth
from shop_platform.config import load_config
from shop_platform.settings import LakeSettings
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables
from transforms.schemas import GOLD_USER_FEATURES_SCHEMA
from transforms.tags.builtins import with_builtins

D = dt.date(2026, 10, 30)
ZEROS = {f.name: 0 for f in GOLD_USER_FEATURES_SCHEMA.fields if f.name.endswith("d") and f.name[-2].isdigit()}
# Per persona: days active, page views, orders, GMV, night share, days since the last visit, top category.
PERSONAS = {
    "whale": (40, 600, 15, 9000.0, 0.05, 0, "electronics"),
    "browser": (10, 300, 0, 0.0, 0.20, 3, "books"),
    "owl": (4, 40, 2, 150.0, 0.90, 1, "beauty"),
}


def feature_row(user: str, **values) -> tuple:
    row = {**ZEROS, "user_id": user, "snapshot_date": D, "tenure_days": 400, **values}
    return tuple(
        float(row[f.name])
        if f.dataType.typeName() == "double" and row.get(f.name) is not None
        else row.get(f.name)
        for f in GOLD_USER_FEATURES_SCHEMA.fields
    )


def persona_rows() -> tuple[list[tuple], list[tuple[str, str]]]:
    rows, truth = [], []
    for persona, (days, views, orders, gmv, night, absent, category) in PERSONAS.items():
        for i in range(6):
            user = f"{persona}{i}"
            rows.append(
                feature_row(
                    user, days_active_90d=days + i % 2, page_views_90d=views + i, orders_90d=orders,
                    paid_gmv_90d=gmv * (1 + i / 100), night_share=night + i / 200, days_since_last_visit=absent,
                    days_since_last_order=absent if orders else None,
                    top_categories=[category],
                )
            )  # fmt: skip
            truth.append((user, persona))
    rows.append(feature_row("gone", days_since_last_visit=200))  # nothing in 90 days: no segment
    return rows, truth


def run(job, root: str, *args: str) -> int:
    # One K-means start per fit and few iterations keep the test quick; the stability subsamples stay on.
    settings = [
        f"lake.root={root}", "spark.shuffle_partitions=2", "segments.k_min=2", "segments.k_max=4",
        "segments.restarts=1", "segments.max_iter=10",
    ]  # fmt: skip
    return job.main(
        ["--env", "local", *[a for s in settings for a in ("--set", s)], "--date", D.isoformat(), *args]
    )


def test_segments_tags_profiles_and_truth_end_to_end(spark, tmp_path):
    root = str(tmp_path / "lake")
    lake = open_lake(spark, LakeSettings(root, "embedded", 168, 24))
    rows, truth = persona_rows()
    lake.table(tables.USER_FEATURES).append(spark.createDataFrame(rows, GOLD_USER_FEATURES_SCHEMA))
    lake.files.write_parquet(spark.createDataFrame(truth, "user_id string, persona string"), "truth/personas")

    assert run(build_segments, root) == 0
    segments = lake.table("gold.user_segments")
    first = segments.read()
    assert first.count() == 18 and first.where(F.col(C.USER_ID) == "gone").isEmpty()
    assert first.select(C.SEGMENT_ID).distinct().count() == 3

    client = MlflowClient(tracking_uri=f"sqlite:///{root}/mlflow/mlflow.db")
    champion = client.get_model_version_by_alias("shop-segments", "champion")
    assert int(champion.version) == 1 and champion.tags["run_date"] == D.isoformat()
    parent = client.get_run(champion.run_id)
    assert parent.data.tags["job"] == "build_segments" and parent.data.metrics["k"] == 3
    assert parent.data.params["input_version.gold.user_features"] == str(
        lake.table("gold.user_features").version()
    )
    children = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert sorted(int(c.data.params["k"]) for c in children) == [2, 3, 4]
    assert all({"silhouette", "stability", "training_cost"} <= set(c.data.metrics) for c in children)

    # A re-run scores with the registered model trained for the date: same rows, no new version.
    assert run(build_segments, root) == 0
    assert_df_equality(segments.read(), first, ignore_row_order=True)
    assert [int(v.version) for v in client.search_model_versions("name = 'shop-segments'")] == [1]

    # The segment builtin of the tag snapshot: the user's segment of the date, null without one.
    cfg = load_config("local", [f"lake.root={root}"])
    features = lake.table("gold.user_features").read()
    no_stages = spark.createDataFrame([], "user_id string, lifecycle_stage string")
    tagged = with_builtins(features, no_stages, cfg, first).select(C.USER_ID, C.SEGMENT)
    expected = first.select(C.USER_ID, F.col(C.SEGMENT_ID).alias(C.SEGMENT)).union(
        spark.createDataFrame([("gone", None)], "user_id string, segment int")
    )
    assert_df_equality(tagged, expected, ignore_row_order=True, ignore_nullable=True)

    assert run(build_segment_profiles, root) == 0
    profiles = lake.table("gold.segment_profiles").read().collect()
    assert sorted(p[C.USERS] for p in profiles) == [6, 6, 6]
    whale = next(p for p in profiles if p[C.TOP_CATEGORIES] == ["electronics"])
    assert "high " in whale[C.LABEL] and whale[C.LABEL].endswith(", electronics")
    assert whale[C.DOMINANT_LIFECYCLE_STAGE] is None  # no tag snapshot in this lake

    assert run(measure_segments_truth, root) == 0
    (summary,) = (tmp_path / "lake" / "reports" / "segments_truth" / f"{D}_{D}" / "summary").glob("part-*")
    assert json.loads(summary.read_text())["adjusted_rand_index"] == 1.0
