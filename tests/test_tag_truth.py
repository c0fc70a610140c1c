"""Scoring tags against planted truth: persona shares and lift, churn detection and its lag."""

from __future__ import annotations

import datetime as dt
import json

from chispa import assert_df_equality
from pyspark.sql import types as T

from sample_shop import columns as TC
from sample_shop.jobs import measure_tag_truth
from sample_shop.schemas import TRUTH_CHURN_SCHEMA, TRUTH_PERSONAS_SCHEMA
from sample_shop.truth.tags import (
    churn_detection,
    flagged_share,
    persona_value_shares,
    summarise_churn_detection,
)
from shop_platform.config import load_config
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables
from transforms.schemas import (
    GOLD_TAG_SNAPSHOTS_SCHEMA,
)
from transforms.tags.intervals import snapshot_intervals

D = dt.date(2026, 10, 10)
SNAPSHOT = T.StructType(
    [
        T.StructField(C.USER_ID, T.StringType()),
        T.StructField(C.TAG_ID, T.StringType()),
        T.StructField(C.VALUE, T.StringType()),
        T.StructField(C.VALUE_BOOL, T.BooleanType()),
    ]
)


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def test_persona_shares_count_true_booleans_and_every_enum_value_against_the_other_personas(spark):
    snapshot = spark.createDataFrame(
        [
            ("a1", "price_sensitive", "true", True),
            ("a2", "price_sensitive", "false", False),
            ("a3", "price_sensitive", "true", True),
            ("a4", "price_sensitive", "true", True),
            ("b1", "price_sensitive", "true", True),
            ("b2", "price_sensitive", "false", False),
            ("a1", "churn_risk", "low", None),
            ("b1", "churn_risk", "high", None),
            ("b2", "churn_risk", "high", None),
            # Not a scored tag, and a user without a persona: both ignored.
            ("a1", "night_owl", "true", True),
            ("zz", "price_sensitive", "true", True),
        ],
        SNAPSHOT,
    )
    personas = spark.createDataFrame(
        [
            ("a1", "bargain"),
            ("a2", "bargain"),
            ("a3", "bargain"),
            ("a4", "bargain"),
            ("b1", "loyal"),
            ("b2", "loyal"),
        ],
        [C.USER_ID, TC.PERSONA],
    )
    actual = persona_value_shares(snapshot, personas, ["price_sensitive", "churn_risk"]).select(
        C.TAG_ID, C.VALUE, TC.PERSONA, C.USERS, TC.TAGGED, TC.OTHERS_USERS, TC.OTHERS_TAGGED, C.SHARE, C.LIFT
    )
    expected = spark.createDataFrame(
        [
            ("price_sensitive", "true", "bargain", 4, 3, 2, 1, 0.75, 1.5),
            ("price_sensitive", "true", "loyal", 2, 1, 4, 3, 0.5, 0.5 / 0.75),
            ("churn_risk", "low", "bargain", 4, 1, 2, 0, 0.25, None),
            ("churn_risk", "low", "loyal", 2, 0, 4, 1, 0.0, 0.0),
            ("churn_risk", "high", "bargain", 4, 0, 2, 2, 0.0, 0.0),
            ("churn_risk", "high", "loyal", 2, 2, 4, 0, 1.0, None),
        ],
        "tag_id string, value string, persona string, users long, tagged long, others_users long, "
        "others_tagged long, share double, lift double",
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True, allow_nan_equality=True)


def test_churn_detection_follows_each_churner_from_its_churn_day(spark):
    stages = [
        # c1 was already at risk on its churn day.
        ("c1", "at_risk", day(0)),
        ("c1", "churned", day(1)),
        # c2 is flagged two days after its churn day.
        ("c2", "active", day(0)),
        ("c2", "silent", day(1)),
        ("c2", "at_risk", day(2)),
        # c3 is never flagged; c4 churned before the first snapshot and is left out.
        ("c3", "active", day(1)),
        ("c3", "silent", day(2)),
        ("c4", "churned", day(0)),
    ]
    tag_values = spark.createDataFrame(stages, [C.USER_ID, C.VALUE, C.SNAPSHOT_DATE])
    churn = spark.createDataFrame(
        [("c1", day(0)), ("c2", day(0)), ("c3", day(1)), ("c4", day(-5))], [C.USER_ID, TC.CHURN_DATE]
    )
    detection = churn_detection(tag_values, churn, ["at_risk", "churned"])
    expected = spark.createDataFrame(
        [
            ("c1", day(0), True, day(0), 0, 2),
            ("c2", day(0), False, day(2), 2, 2),
            ("c3", day(1), False, None, None, 1),
        ],
        "user_id string, churn_date date, flagged_on_churn_day boolean, first_flag_date date, lag_days int, "
        "days_observed int",
    )
    assert_df_equality(detection, expected, ignore_row_order=True, ignore_nullable=True)

    summary = summarise_churn_detection(detection, settled_days=1).first().asDict()
    assert summary == {
        TC.CHURNERS: 3,
        TC.FLAGGED_ON_CHURN_DAY: 1,
        TC.FLAGGED_BY_LAST_SNAPSHOT: 2,
        TC.MEDIAN_LAG_DAYS: 1.0,
        TC.P90_LAG_DAYS: 1.8,
        TC.SETTLED_CHURNERS: 2,
        TC.SETTLED_FLAGGED: 2,
    }


def test_flagged_share_counts_the_given_users_only(spark):
    tag_values = spark.createDataFrame(
        [("u1", "churned"), ("u2", "active"), ("u3", "at_risk"), ("other", "churned")], [C.USER_ID, C.VALUE]
    )
    users = spark.createDataFrame([("u1",), ("u2",), ("u3",), ("u4",)], [C.USER_ID])
    row = flagged_share(tag_values, users, ["at_risk", "churned"]).first()
    assert (row[C.USERS], row[TC.FLAGGED_USERS], row[C.SHARE]) == (3, 2, 2 / 3)


def test_the_job_reports_each_planted_trait_and_fails_on_those_the_tags_miss(spark, lake_root):
    settings = [f"lake.root={lake_root}", "lake.engine=embedded", "spark.shuffle_partitions=2"]
    lake = open_lake(spark, load_config("local", settings).lake)
    hunters = [f"h{i}" for i in range(4)]
    others = [f"o{i}" for i in range(4)]
    personas = (
        [(u, "bargain_hunter") for u in hunters] + [(u, "casual_browser") for u in others] + [("b", "bot")]
    )
    lake.files.write_parquet(spark.createDataFrame(personas, TRUTH_PERSONAS_SCHEMA), "truth/personas")
    lake.files.write_parquet(spark.createDataFrame([("o0", day(0))], TRUTH_CHURN_SCHEMA), "truth/churn")
    # 3 of 4 bargain hunters are price-sensitive against 1 of 4 others (lift 3); o0 stopped on day 0 and is
    # at risk from day 1 on.
    price = [(u, "price_sensitive", "true", True, None, None, day(1)) for u in [*hunters[:3], "o1", "b"]]
    stages = [
        ("o0", "lifecycle_stage", stage, None, None, None, day(n))
        for n, stage in ((0, "active"), (1, "at_risk"))
    ]
    stages += [
        (u, "lifecycle_stage", "active", None, None, None, day(n))
        for u in [*hunters, *others[1:]]
        for n in (0, 1)
    ]
    snapshots = spark.createDataFrame(price + stages, GOLD_TAG_SNAPSHOTS_SCHEMA)
    lake.table(tables.TAG_HISTORY).overwrite(snapshot_intervals(snapshots, day(1), None))
    # gold.tag_quality's dates are the history's snapshot dates.
    lake.table(tables.TAG_QUALITY).overwrite(
        spark.createDataFrame(
            [("lifecycle_stage", 9, 1.0, 2, {"active": 1.0}, None, day(n)) for n in (0, 1)],
            tables.TAG_QUALITY.schema,
        )
    )

    common = ["--env", "local", *[arg for setting in settings for arg in ("--set", setting)]]
    assert (
        measure_tag_truth.main([*common, "--from-date", day(0).isoformat(), "--date", day(1).isoformat()])
        == 1
    )

    folder = f"reports/tag_truth/{day(0)}_{day(1)}"
    report = json.loads(lake.files.read_lines(f"{folder}/summary").first()[C.VALUE])
    checks = {check["name"]: check for check in report["checks"]}
    assert checks["persona_bargain_hunter_price_sensitive"]["passed"]
    assert checks["persona_bargain_hunter_price_sensitive"]["value"] == 3.0
    assert not checks["persona_brand_loyalist_brand_loyalist"]["passed"]
    lifecycle = report["churn"]["lifecycle_stage"]
    assert lifecycle["churners"][TC.CHURNERS] == 1
    assert lifecycle["churners"][TC.FLAGGED_BY_LAST_SNAPSHOT] == 1
    assert lifecycle["churners"][TC.MEDIAN_LAG_DAYS] == 1.0
    assert lifecycle["never_churned_flagged_on_last_snapshot"][C.USERS] == 7
    assert lake.files.read_parquet(f"{folder}/persona_values").count() > 0
