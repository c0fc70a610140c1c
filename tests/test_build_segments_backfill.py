"""build_segments over a range in one pass gives the rows, models and champion of one run per date, writes
the range in one commit, and names the dates gold.user_features lacks."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality
from mlflow import MlflowClient
from pyspark.sql import functions as F

from jobs import build_segments
from shop_platform.settings import LakeSettings
from shop_platform.storage import open_lake
from tests.job_logs import job_log_of
from transforms import tables
from transforms.schemas import GOLD_USER_FEATURES_SCHEMA

DATES = [dt.date(2026, 10, 1), dt.date(2026, 10, 2), dt.date(2026, 10, 3)]
# Per persona: days active, page views, orders, GMV.
PERSONAS = {"whale": (40, 600, 15, 9000.0), "browser": (10, 300, 0, 0.0), "owl": (4, 40, 2, 150.0)}


def feature_rows(snapshot: dt.date) -> list[tuple]:
    """Three personas of five users; each date moves them a little, so models trained on different dates
    score a date differently. One user without activity gets no segment."""
    shift = 1 + (snapshot.day - 1) / 4
    rows = []
    for persona, (days, views, orders, gmv) in PERSONAS.items():
        for i in range(5):
            values = {
                "days_active_90d": days + i % 2,
                "page_views_90d": int(views * shift) + i,
                "orders_90d": orders,
                "paid_gmv_90d": gmv * shift * (1 + i / 100),
            }
            rows.append((f"{persona}{i}", values))
    rows.append(("gone", {"days_active_90d": 0, "days_since_last_visit": 200}))
    out = []
    for user, values in rows:
        row = {"user_id": user, "snapshot_date": snapshot, "tenure_days": 400, **values}
        out.append(
            tuple(
                float(row[f.name]) if f.dataType.typeName() == "double" and f.name in row else row.get(f.name)
                for f in GOLD_USER_FEATURES_SCHEMA.fields
            )
        )
    return out


def lake_with_features(spark, root: str, dates: list[dt.date]):
    lake = open_lake(spark, LakeSettings(root, "embedded", 168, 24))
    rows = [row for snapshot in dates for row in feature_rows(snapshot)]
    lake.table(tables.USER_FEATURES).append(spark.createDataFrame(rows, GOLD_USER_FEATURES_SCHEMA))
    return lake


def run(root: str, last: dt.date, first: dt.date | None = None) -> int:
    settings = [
        f"lake.root={root}",
        "spark.shuffle_partitions=2",
        "segments.k_min=2",
        "segments.k_max=3",
        "segments.max_iter=10",
        "segments.retrain_every_days=2",
        # What is tested is which model scores which date, not how k is chosen: one start, no subsamples.
        "segments.restarts=1",
        "segments.stability_resamples=0",
    ]
    dates = ["--date", last.isoformat()] + (["--from-date", first.isoformat()] if first else [])
    return build_segments.main(["--env", "local", *[a for s in settings for a in ("--set", s)], *dates])


def registry(root: str) -> tuple[list[tuple[int, str]], str]:
    client = MlflowClient(tracking_uri=f"sqlite:///{root}/mlflow/mlflow.db")
    versions = client.search_model_versions("name = 'shop-segments'")
    champion = client.get_model_version_by_alias("shop-segments", "champion")
    return sorted((int(v.version), v.tags["run_date"]) for v in versions), champion.tags["run_date"]


def test_a_back_fill_in_one_pass_equals_one_run_per_date(spark, lake_root, tmp_path):
    one_pass = lake_with_features(spark, lake_root, DATES)
    by_date_root = str(tmp_path / "by_date")
    by_date = lake_with_features(spark, by_date_root, DATES)

    assert run(lake_root, DATES[-1], DATES[0]) == 0
    for snapshot in DATES:
        assert run(by_date_root, snapshot) == 0

    segments = one_pass.table(tables.USER_SEGMENTS)
    expected = by_date.table(tables.USER_SEGMENTS).read()
    assert expected.count() == 45
    assert_df_equality(segments.read(), expected, ignore_row_order=True)
    # Trained on the first date and two days later (retrain_every_days=2), the second date scored with the
    # first date's model; the champion is the last one trained.
    assert (
        registry(lake_root)
        == registry(by_date_root)
        == ([(1, "2026-10-01"), (2, "2026-10-03")], "2026-10-03")
    )
    # The range in one commit (after the table's creation), against one per date.
    assert segments.version() == 1 and by_date.table(tables.USER_SEGMENTS).version() == 3
    # Transitions for every date with a day before: the same 15 users segmented on both days.
    moves = one_pass.table(tables.SEGMENT_TRANSITIONS).read()
    assert_df_equality(moves, by_date.table(tables.SEGMENT_TRANSITIONS).read(), ignore_row_order=True)
    per_day = moves.groupBy("snapshot_date").agg(F.sum("users").alias("users")).orderBy("snapshot_date")
    assert [(r["snapshot_date"], r["users"]) for r in per_day.collect()] == [(DATES[1], 15), (DATES[2], 15)]

    # A re-run of the range reuses both models: the same rows, no new version.
    assert run(lake_root, DATES[-1], DATES[0]) == 0
    assert_df_equality(segments.read(), expected, ignore_row_order=True)
    assert registry(lake_root)[0] == [(1, "2026-10-01"), (2, "2026-10-03")]


def test_a_range_with_dates_missing_from_the_features_names_them_and_writes_nothing(spark, lake_root):
    lake = lake_with_features(spark, lake_root, DATES[:1])
    with job_log_of("jobs.build_segments") as logged:
        assert run(lake_root, DATES[-1], DATES[0]) == 1
    assert (
        "ERROR gold.user_features has no rows for 2026-10-02, 2026-10-03: run build_user_features for them first"
        in logged.leveled
    )
    assert lake.table(tables.USER_SEGMENTS).read().isEmpty()
