"""ingest_campaigns and evaluate_campaigns end to end on a hand-built lake: bad export rows quarantined with
their reasons, outcomes counted in the attribution window only, CUPED covariates from the day before the
start, statistics as the stats module computes them from the same numbers, breakdown by audience, re-runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from jobs import evaluate_campaigns, ingest_campaigns
from shop_platform.settings import LakeSettings
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables
from transforms.campaigns.cuped import cuped
from transforms.campaigns.stats import GroupMoments, two_proportion_ztest, welch_ttest
from transforms.schemas import SILVER_ORDERS_SCHEMA

RUN_DATE = "2026-10-10"
TREATMENT = [f"t{i}" for i in range(1, 7)]
CONTROL = [f"c{i}" for i in range(1, 7)]
# Orders: (user, order date, paid amount or None when unpaid). The window is 10-05..10-07.
ORDERS = [
    ("t1", "2026-10-05", 100.0),
    ("t2", "2026-10-06", 50.0),
    ("t2", "2026-10-06", None),  # placed, not paid: converts, adds no GMV
    ("t3", "2026-10-08", 30.0),  # after the window
    ("c1", "2026-10-07", 40.0),
    ("c2", "2026-10-04", 25.0),  # before the window
]
# Pre-period features: (user, orders_30d, paid_gmv_30d) on 10-04; the start day's snapshot must not be used.
FEATURES_BEFORE = [("t1", 2, 150.0), ("t4", 1, 20.0), ("c1", 1, 60.0), ("c3", 3, 90.0)]
FEATURES_ON_START = [("t1", 9, 999.0), ("c5", 9, 999.0)]


def write_csv(root: str, folder: str, lines: list[str]) -> None:
    path = Path(root) / folder
    path.mkdir(parents=True)
    (path / "part-00000.csv").write_text("\n".join(lines) + "\n")


def run(job, root: str, *args: str) -> int:
    return job.main(
        ["--env", "local", "--set", f"lake.root={root}", "--set", "spark.shuffle_partitions=2",
         "--set", "ingest.max_quarantine_rate=0.6", "--date", RUN_DATE, *args]
    )  # fmt: skip


def moments(y: list[float], x: list[float]) -> GroupMoments:
    y_, x_ = np.array(y), np.array(x)
    return GroupMoments(len(y_), y_.mean(), y_.var(ddof=1), x_.mean(), x_.var(ddof=1), np.cov(x_, y_)[0, 1])


def test_campaigns_are_ingested_and_evaluated_in_their_attribution_window(spark, lake_root):
    lake = open_lake(spark, LakeSettings(lake_root, "embedded", 168, 24))
    write_csv(
        lake_root,
        "raw/campaigns",
        ["campaign_id,name,start_date,end_date", "cmp01,Autumn days,2026-10-05,2026-10-07",
         "cmp02,Backwards,2026-10-09,2026-10-08"],
    )  # fmt: skip
    write_csv(
        lake_root,
        "raw/campaign_assignments",
        ["campaign_id,user_id,group"]
        + [f"cmp01,{u},treatment" for u in TREATMENT]
        + [f"cmp01,{u},control" for u in CONTROL]
        + ["cmp09,t1,treatment", "cmp01,x1,vip", "cmp01,d1,treatment", "cmp01,d1,control"],
    )
    orders = [
        (f"o{i}", user, None, dt.date.fromisoformat(day), 60.0, 0.0, None, 1, "paid" if paid else "placed",
         None, paid, None, None, "card", None)
        for i, (user, day, paid) in enumerate(ORDERS)
    ]  # fmt: skip
    lake.table(tables.ORDERS).append(spark.createDataFrame(orders, SILVER_ORDERS_SCHEMA))
    features = [(u, n, g, dt.date(2026, 10, 4)) for u, n, g in FEATURES_BEFORE] + [
        (u, n, g, dt.date(2026, 10, 5)) for u, n, g in FEATURES_ON_START
    ]
    features_df = spark.createDataFrame(
        features, "user_id string, orders_30d long, paid_gmv_30d double, snapshot_date date"
    )
    lake.table("gold.user_features", features_df.schema, [C.SNAPSHOT_DATE]).append(features_df)
    members = spark.createDataFrame(
        [("a1", u, dt.date(2026, 10, 4)) for u in ("t1", "c1", "c2")],
        f"{C.AUDIENCE_ID} string, {C.USER_ID} string, {C.SNAPSHOT_DATE} date",
    )
    lake.table("gold.audience_members", members.schema, [C.SNAPSHOT_DATE]).append(members)

    assert run(ingest_campaigns, lake_root) == 0
    quarantine = lake.table("bronze.campaigns_quarantine").read()
    assert sorted((r[C.DATASET], r[C.RECORD_ID], list(r[C.REASONS])) for r in quarantine.collect()) == [
        ("campaign_assignments", "cmp01/d1", ["duplicate_key:campaign_id+user_id"]),
        ("campaign_assignments", "cmp01/d1", ["duplicate_key:campaign_id+user_id"]),
        ("campaign_assignments", "cmp01/x1", ["out_of_range:group"]),
        ("campaign_assignments", "cmp09/t1", ["unknown_campaign:campaign_id"]),
        ("campaigns", "cmp02", ["out_of_range:end_date"]),
    ]
    assert lake.table("bronze.campaign_assignments").read().count() == 12

    assert run(evaluate_campaigns, lake_root) == 0
    results = {r[C.METRIC]: r for r in lake.table("gold.campaign_results").read().collect()}
    assert set(results) == {"conversion", "gmv_per_user"}
    conversion, gmv = results["conversion"], results["gmv_per_user"]
    assert (conversion[C.CAMPAIGN_ID], conversion[C.COMPLETE], conversion[C.TREATMENT_USERS]) == (
        "cmp01",
        True,
        6,
    )
    expected = two_proportion_ztest(2, 6, 1, 6, 0.95)
    assert (
        conversion[C.ABSOLUTE_UPLIFT],
        conversion[C.P_VALUE],
        conversion[C.ABSOLUTE_CI_LOW],
    ) == pytest.approx((expected.absolute_uplift, expected.p_value, expected.ci_low), rel=1e-9)
    assert conversion[C.SRM_P_VALUE] == pytest.approx(1.0) and not conversion[C.SRM_DETECTED]

    before = {u: (n, g) for u, n, g in FEATURES_BEFORE}
    gmv_t = [100.0, 50.0, 0, 0, 0, 0]
    gmv_c = [40.0, 0, 0, 0, 0, 0]
    x_t = [before.get(u, (0, 0.0))[1] for u in TREATMENT]
    x_c = [before.get(u, (0, 0.0))[1] for u in CONTROL]
    plain = welch_ttest(moments(gmv_t, x_t), moments(gmv_c, x_c), 0.95)
    adjusted = cuped(moments(gmv_t, x_t), moments(gmv_c, x_c), 0.95)
    assert (gmv[C.ABSOLUTE_UPLIFT], gmv[C.P_VALUE], gmv[C.ABSOLUTE_CI_HIGH]) == pytest.approx(
        (plain.absolute_uplift, plain.p_value, plain.ci_high), rel=1e-9
    )
    assert (gmv[C.CUPED_THETA], gmv[C.CUPED_UPLIFT], gmv[C.VARIANCE_REDUCTION]) == pytest.approx(
        (adjusted.theta, adjusted.comparison.absolute_uplift, adjusted.variance_reduction), rel=1e-9
    )
    assert gmv[C.CUPED_COVARIATE] == "paid_gmv_30d"

    breakdown = lake.table("gold.campaign_breakdown").read()
    cells = {
        (r[C.DIMENSION], r[C.DIMENSION_VALUE]): (
            r[C.TREATMENT_USERS],
            r[C.CONTROL_USERS],
            r[C.CONVERSION_UPLIFT],
        )
        for r in breakdown.collect()
    }
    assert sorted(cells) == [("all", "all"), ("audience", "a1")]
    assert cells["all", "all"] == pytest.approx((6, 6, 1 / 6))
    assert cells["audience", "a1"] == pytest.approx((1, 2, 0.5))

    # Re-running the date rewrites its partition with the same rows.
    version = lake.table("gold.campaign_results").version()
    assert run(evaluate_campaigns, lake_root) == 0
    table = lake.table("gold.campaign_results")
    assert table.version() > version
    assert_df_equality(table.read(version=version), table.read(), ignore_row_order=True)
    assert table.read().where(F.col(C.RUN_DATE) != F.lit(dt.date(2026, 10, 10))).count() == 0
