"""build_customer_value and evaluate_customer_value on a small lake of hand-made orders: the tables, the
registered model scoring what the table holds, a re-run leaving the same state, and the tags."""

from __future__ import annotations

import datetime as dt

import mlflow.pyfunc
import pytest
from chispa import assert_df_equality
from mlflow import MlflowClient
from pyspark.sql import functions as F

from jobs import build_customer_value, evaluate_customer_value
from shop_platform.settings import LakeSettings
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables
from transforms.schemas import SILVER_ORDERS_SCHEMA
from transforms.tags.builtins import with_customer_value

START, D = dt.date(2026, 8, 1), dt.date(2026, 9, 29)
SETTINGS = ["clv.min_customers=20", "clv.holdout_days=14", "clv.time_unit_days=7"]
MODEL = "shop-customer-value"


def order_row(user: str, day: dt.date, amount: float) -> tuple:
    values = {
        C.ORDER_ID: f"{user}-{day}", C.USER_ID: user, C.ORDER_DATE: day, C.STATUS: "paid", C.AMOUNT: amount,
        C.PAID_TIME: dt.datetime.combine(day, dt.time(4), tzinfo=dt.timezone.utc), C.PAID_AMOUNT: amount,
    }  # fmt: skip
    return tuple(values.get(name) for name in SILVER_ORDERS_SCHEMA.fieldNames())


def orders() -> list[tuple]:
    """80 customers: each starts on one of the first 40 days and buys every 2 to 9 days, some stopping early;
    the last one starts after D (it must not be read)."""
    rows = []
    for n in range(80):
        day, gap, stop = START + dt.timedelta(days=n % 40), 2 + n % 8, 1 + (n * 7) % 9
        for purchase in range(stop):
            when = day + dt.timedelta(days=purchase * gap)
            if when <= D:
                rows.append(order_row(f"c{n:02d}", when, 15.0 + (n % 6) * 10 + purchase % 3))
    return [*rows, order_row("late", D + dt.timedelta(days=1), 500.0)]


def run(job, root: str, *extra: str, day: dt.date = D) -> int:
    args = ["--env", "local", "--set", f"lake.root={root}", *[a for s in SETTINGS for a in ("--set", s)]]
    return job.main([*args, *extra, "--date", day.isoformat()])


@pytest.fixture(scope="module")
def valued_lake(spark, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("clv") / "lake")
    lake = open_lake(spark, LakeSettings(root, "embedded", 168, 24))
    lake.table(tables.ORDERS).append(spark.createDataFrame(orders(), SILVER_ORDERS_SCHEMA))
    assert run(build_customer_value, root, "--from-date", (D - dt.timedelta(days=1)).isoformat()) == 0
    return root, lake


def test_customer_value_of_each_date_and_the_registered_model(spark, valued_lake):
    root, lake = valued_lake
    values = lake.table(tables.CUSTOMER_VALUE).read()
    per_date = {r[0]: r[1] for r in values.groupBy(C.SNAPSHOT_DATE).count().collect()}
    assert per_date == {D - dt.timedelta(days=1): 80, D: 80}  # 'late' buys after D: never read
    on_d = values.where(F.col(C.SNAPSHOT_DATE) == F.lit(D)).toPandas().set_index(C.USER_ID).sort_index()
    assert ((on_d[C.P_ALIVE] > 0) & (on_d[C.P_ALIVE] <= 1)).all() and (on_d[C.CLV] > 0).all()
    # The model registered for D is the pyfunc that scores the table's summaries to the same values.
    client = MlflowClient(tracking_uri=f"sqlite:///{root}/mlflow/mlflow.db")
    champion = client.get_model_version_by_alias(MODEL, "champion")
    assert champion.tags["run_date"] == D.isoformat()
    mlflow.set_tracking_uri(f"sqlite:///{root}/mlflow/mlflow.db")
    model = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    summary = [C.FREQUENCY, C.RECENCY, C.CUSTOMER_AGE, C.MEAN_REPEAT_VALUE, C.FIRST_PURCHASE_VALUE]
    scored = model.predict(on_d[summary])
    for column in (C.P_ALIVE, C.EXPECTED_ORDERS, C.EXPECTED_ORDER_VALUE, C.CLV):
        assert scored[column].to_numpy() == pytest.approx(on_d[column].to_numpy(), rel=1e-9), column
    # Tiers by CLV rank: the vip customers' CLV is above every high customer's, and so on down.
    ranks = on_d.groupby(C.VALUE_TIER_RANK)[C.CLV].agg(["min", "max"]).sort_index()
    assert (
        list(ranks.index) == [1, 2, 3, 4]
        and (ranks["min"].iloc[:-1].to_numpy() > ranks["max"].iloc[1:].to_numpy()).all()
    )
    fits = lake.table(tables.CUSTOMER_VALUE_FITS).read_on(D).collect()
    assert sorted(r[C.MODEL] for r in fits) == ["bg_nbd", "gamma_gamma"]
    assert {r[C.MODEL]: r[C.CUSTOMERS] for r in fits}["bg_nbd"] == 80


def test_rerun_leaves_the_same_state(spark, valued_lake):
    root, lake = valued_lake
    table = lake.table(tables.CUSTOMER_VALUE)
    version = table.version()
    client = MlflowClient(tracking_uri=f"sqlite:///{root}/mlflow/mlflow.db")
    versions = len(client.search_model_versions(f"name = '{MODEL}'"))
    assert run(build_customer_value, root) == 0
    assert table.version() > version
    before = table.read(version=version).where(F.col(C.SNAPSHOT_DATE) == F.lit(D))
    assert_df_equality(table.read_on(D), before, ignore_row_order=True)
    # The same estimates for the same date: the registered version is reused, not registered again.
    assert len(client.search_model_versions(f"name = '{MODEL}'")) == versions


def test_holdout_and_ranking(spark, valued_lake):
    root, lake = valued_lake
    end = D - dt.timedelta(days=14)
    # The propensity model's out-of-sample scores of the calibration end, as train_propensity writes them.
    users = [f"c{n:02d}" for n in range(80)]
    lake.table(tables.PROPENSITY_VALIDATION).append(
        spark.createDataFrame(
            [(u, (n % 10) / 10, 0.0, end, D) for n, u in enumerate(users)],
            tables.PROPENSITY_VALIDATION.schema,
        )
    )
    assert run(evaluate_customer_value, root) == 0
    holdout = lake.table(tables.CUSTOMER_VALUE_HOLDOUT).read_on(D).toPandas()
    by_frequency = holdout[holdout[C.VIEW] == "frequency"]
    by_day = holdout[holdout[C.VIEW] == "day"].sort_values(C.BUCKET)
    # Customers with a purchase by the calibration end: those starting by then.
    calibration_customers = sum(1 for n in range(80) if START + dt.timedelta(days=n % 40) <= end)
    assert by_frequency[C.CUSTOMERS].sum() == calibration_customers
    assert (
        list(by_day[C.BUCKET]) == list(range(1, 15)) and (by_day[C.CUSTOMERS] == calibration_customers).all()
    )
    assert by_day[C.ACTUAL].is_monotonic_increasing and by_day[C.PREDICTED].is_monotonic_increasing
    # The last holdout day's cumulative purchases are every holdout purchase day of those customers.
    user, day = (SILVER_ORDERS_SCHEMA.fieldNames().index(c) for c in (C.USER_ID, C.ORDER_DATE))
    first = {}
    for r in orders():
        first[r[user]] = min(first.get(r[user], r[day]), r[day])
    actual = sum(1 for r in orders() if end < r[day] <= D and first[r[user]] <= end)
    assert by_day[C.ACTUAL].iloc[-1] == actual
    # The frequency view's mean actual, weighted by its customers, adds up to the same purchases.
    assert (by_frequency[C.ACTUAL] * by_frequency[C.CUSTOMERS]).sum() == pytest.approx(actual)
    ranking = {
        (r[C.SCORE_NAME], r[C.POPULATION]): r
        for r in lake.table(tables.CUSTOMER_VALUE_RANKING).read_on(D).collect()
    }
    assert set(ranking) == {
        ("p_alive", "all_customers"), ("expected_orders", "all_customers"), ("p_alive", "scored_by_both"),
        ("expected_orders", "scored_by_both"), ("purchase_propensity", "scored_by_both"),
    }  # fmt: skip
    assert ranking[("purchase_propensity", "scored_by_both")][C.SOURCE] == "gold.propensity_validation"
    assert all(0.0 <= r[C.AUC] <= 1.0 for r in ranking.values())


def test_value_tags_of_a_customer_and_of_a_user_who_never_bought(spark, valued_lake):
    _, lake = valued_lake
    values = lake.table(tables.CUSTOMER_VALUE).read_on(D)
    users = spark.createDataFrame([("c00", D), ("browser", D)], f"{C.USER_ID} string, {C.SNAPSHOT_DATE} date")
    tagged = {
        r[C.USER_ID]: r for r in with_customer_value(users, values, [C.USER_ID, C.SNAPSHOT_DATE]).collect()
    }
    c00 = values.where(F.col(C.USER_ID) == "c00").first()
    assert tagged["c00"][C.CLV_90D] == c00[C.CLV] and tagged["c00"][C.VALUE_TIER] == c00[C.VALUE_TIER]
    assert tagged["browser"][C.VALUE_TIER] == "none" and tagged["browser"][C.P_ALIVE] is None
    # A date customer value was not computed for: the tier is unknown, not 'none'.
    other = spark.createDataFrame([("c00", D + dt.timedelta(days=1))], users.schema)
    assert with_customer_value(other, values, [C.USER_ID, C.SNAPSHOT_DATE]).first()[C.VALUE_TIER] is None
