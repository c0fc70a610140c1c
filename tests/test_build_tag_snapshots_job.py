"""build_tag_snapshots end to end on hand-built features: two days, lifecycle from the previous snapshot,
re-runs, the latest profile, and a catalog that does not fit the features."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality
from pyspark.sql import functions as F

from jobs import build_tag_snapshots
from shop_platform.catalogs import TAGS_FILE
from shop_platform.settings import LakeSettings
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables
from transforms.schemas import GOLD_USER_FEATURES_SCHEMA
from transforms.tags.history import tags_as_of

D1, D2 = dt.date(2026, 10, 29), dt.date(2026, 10, 30)
ZEROS = {f.name: 0 for f in GOLD_USER_FEATURES_SCHEMA.fields if f.name.endswith("d") and f.name[-2].isdigit()}


def feature_row(user: str, day: dt.date, **values) -> tuple:
    row = {**ZEROS, "user_id": user, "snapshot_date": day, "tenure_days": 400, "birth_year": 1996, **values}
    return tuple(
        float(row[f.name])
        if f.dataType.typeName() == "double" and row.get(f.name) is not None
        else row.get(f.name)
        for f in GOLD_USER_FEATURES_SCHEMA.fields
    )


def run(root: str, *args: str) -> int:
    return build_tag_snapshots.main(
        ["--env", "local", "--set", f"lake.root={root}", "--set", "spark.shuffle_partitions=2", *args]
    )


def test_two_daily_snapshots_carry_lifecycle_history_and_reruns_change_nothing(spark, tmp_path):
    root = str(tmp_path / "lake")
    lake = open_lake(spark, LakeSettings(root, "embedded", 168, 24))
    features = lake.table(tables.USER_FEATURES)
    rows = [
        # ann buys and stays active; bob was gone 40 days and comes back on D2.
        feature_row("ann", D1, days_since_last_visit=0, days_active_7d=1, orders_90d=2, paid_gmv_90d=80,
                    days_since_last_order=1, first_order_date=D1 - dt.timedelta(days=20), gender="female"),
        feature_row("ann", D2, days_since_last_visit=0, days_active_7d=2, orders_90d=2, paid_gmv_90d=80,
                    days_since_last_order=2, first_order_date=D1 - dt.timedelta(days=20), gender="female"),
        feature_row("bob", D1, days_since_last_visit=40, gender="male"),
        feature_row("bob", D2, days_since_last_visit=0, days_active_7d=1, gender="male"),
    ]  # fmt: skip
    features.append(spark.createDataFrame(rows, GOLD_USER_FEATURES_SCHEMA))

    assert run(root, "--from-date", D1.isoformat(), "--date", D2.isoformat()) == 0
    snapshots = lake.table(tables.TAG_HISTORY)
    first = snapshots.version()

    def value(user: str, tag: str, day: dt.date):
        rows = tags_as_of(snapshots.read(), day).where((F.col(C.USER_ID) == user) & (F.col(C.TAG_ID) == tag))
        return [r[C.VALUE] for r in rows.collect()]

    assert value("bob", "lifecycle_stage", D1) == ["churned"]
    assert value("bob", "lifecycle_stage", D2) == ["reactivated"]
    assert value("ann", "gender", D2) == ["F"] and value("ann", "ever_ordered", D2) == ["true"]
    assert value("ann", "rfm_segment", D2) and value("bob", "rfm_segment", D2) == ["no_purchase"]
    transitions = lake.table("gold.lifecycle_transitions").read().where(F.col(C.SNAPSHOT_DATE) == D2)
    assert sorted((r[C.FROM_STAGE], r[C.TO_STAGE], r[C.USERS]) for r in transitions.collect()) == [
        ("active", "active", 1),
        ("churned", "reactivated", 1),
    ]
    profile = lake.table("gold.user_profile").read()
    assert sorted((r[C.USER_ID], r["lifecycle_stage"], r[C.SNAPSHOT_DATE]) for r in profile.collect()) == [
        ("ann", "active", D2),
        ("bob", "reactivated", D2),
    ]

    # Re-running the first date rewrites the history with the same rows and leaves the profile at D2.
    quality = lake.table(tables.TAG_QUALITY)
    comparable = [F.map_entries(C.DISTRIBUTION).alias(C.DISTRIBUTION) if c == C.DISTRIBUTION else c
                  for c in tables.TAG_QUALITY.schema.fieldNames()]  # fmt: skip
    quality_before = quality.read().select(*comparable).collect()
    assert run(root, "--date", D1.isoformat()) == 0
    assert snapshots.version() > first
    assert_df_equality(snapshots.read(version=first), snapshots.read(), ignore_row_order=True)
    assert sorted(map(str, quality.read().select(*comparable).collect())) == sorted(map(str, quality_before))
    assert lake.table("gold.user_profile").read().select(C.SNAPSHOT_DATE).distinct().collect() == [(D2,)]

    # A catalog that names a column the features lack stops the job before anything is written.
    broken = tmp_path / "tags.yaml"
    broken.write_text(
        TAGS_FILE.read_text(encoding="utf-8").replace(
            "expression: orders_7d > 0", "expression: no_such_column > 0"
        ),
        encoding="utf-8",
    )
    version = snapshots.version()
    assert run(root, "--date", D2.isoformat(), "--set", f"tags.catalog={broken}") == 2
    assert snapshots.version() == version
