"""Continuing a generated lake by more days (`generate_sample_data --extend-days`): files held stay as they
are, and the new days are those a run generating every day at once gives."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sample_shop.generator.dataset import build_inputs, build_sample_data
from sample_shop.generator.materialise import LocalCheckpoints, read_generated_days
from sample_shop.jobs import generate_sample_data
from shop_platform.config import load_config
from shop_platform.storage.files import LakeFiles

TIMEZONE = "Asia/Shanghai"
START = dt.date(2026, 10, 1)
# 50 users over a 3-day period: 2 register on each later day (NEW_USER_SHARE of the period's pace).
TINY = [
    "generator.users=50",
    "generator.items=200",
    "generator.days=3",
    "generator.bundles=4",
    "generator.partitions=2",
    "generator.campaigns.count=1",
    "generator.campaigns.duration_days=1",
    "generator.dirt.bot_users=1",
    "generator.dirt.bot_events_per_day=40",
]
TRUTH = ("personas", "event_sessions", "churn", "dirt")


def run_job(root: str, *args: str, settings: tuple[str, ...] = ()) -> int:
    overrides = [f"lake.root={root}", *TINY, *settings]
    return generate_sample_data.main([*args, *[a for s in overrides for a in ("--set", s)]])


def file_hashes(root: str) -> dict[str, str]:
    """SHA-256 of every data file under raw/ and truth/ (Spark's markers and checksums left out)."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in Path(root).rglob("*")
        if path.is_file() and not path.name.startswith(("_", ".")) and "generated_days" not in str(path)
    }


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    """A 3-day lake continued by one day, then one more; the hashes of its files before continuing."""
    root = str(tmp_path_factory.mktemp("continued"))
    assert run_job(root) == 0
    before = file_hashes(root)
    assert run_job(root, "--extend-days", "1") == 0
    assert run_job(root, "--continue", "--date", "2026-10-05") == 0
    return root, before


def fingerprint(df: DataFrame) -> tuple:
    """Row count and an order-independent hash of every row: equal multisets give equal fingerprints."""
    return tuple(df.agg(F.count("*"), F.sum(F.xxhash64(*df.columns).cast("decimal(38,0)"))).first())


def test_continuing_leaves_every_file_held_byte_for_byte_and_adds_the_new_days(lake):
    root, before = lake
    after = file_hashes(root)
    assert {path: after.get(path) for path in before} == before
    added = {path.split("/")[2] for path in set(after) - set(before) if path.startswith("raw/events/")}
    # Days 4 and 5 on time, and late lines of day 5 one or two days after it.
    assert {"date=2026-10-04", "date=2026-10-05"} <= added <= {f"date=2026-10-0{d}" for d in range(3, 8)}
    assert any(path.startswith("raw/users/") for path in set(after) - set(before))


def test_the_lake_records_the_days_it_holds(spark, lake):
    root, _ = lake
    held = read_generated_days(LakeFiles(spark, root))
    assert (held.start_date, held.days, held.last_date) == (START, 3, dt.date(2026, 10, 5))


def test_continuing_in_steps_gives_the_lines_of_one_run_over_every_day(spark, lake):
    """Days 4 and 5 added one run at a time equal those of one run over days 1..5 of the same 3-day period:
    each day is drawn from keys of its own, never from how many days a run covers."""
    root, _ = lake
    settings = load_config("local", TINY).generator
    at_once = build_sample_data(
        build_inputs(spark, settings, 4), settings, TIMEZONE, START, checkpoint=LocalCheckpoints(), last_day=4
    )
    files = LakeFiles(spark, root)
    raw = files.read_lines("raw/events").select(F.date_format("date", "yyyy-MM-dd").alias("date"), "value")
    assert fingerprint(raw) == fingerprint(at_once.raw_events.select("date", "value"))
    users = spark.read.option("header", True).csv(files.path("raw/users"))
    expected_users = at_once.raw_users.select(*[F.col(c).cast("string") for c in users.columns])
    assert fingerprint(users) == fingerprint(expected_users)
    for name in TRUTH:
        expected = getattr(at_once, f"truth_{name}")
        assert fingerprint(files.read_parquet(f"truth/{name}")) == fingerprint(expected), name


def test_new_days_keep_ids_unique_and_churned_users_away(spark, lake):
    root, _ = lake
    files = LakeFiles(spark, root)
    sessions = files.read_parquet("truth/event_sessions")
    assert sessions.count() == sessions.select("event_id").distinct().count()
    personas = files.read_parquet("truth/personas")
    # New users (2 a day over 2 days) join the 50 regular users and the bot, each once.
    assert personas.count() == personas.select("user_id").distinct().count() == 50 + 1 + 4
    # Clean lines only: a planted defect may move a line's time; late lines of day 3 sit in later folders.
    clean = files.read_lines("raw/events").select(
        *[
            F.get_json_object("value", f"$.{field}").alias(field)
            for field in ("event_id", "user_id", "event_time")
        ]
    )
    clean = clean.join(files.read_parquet("truth/dirt"), on=["event_id"], how="left_anti")
    local_day = F.to_date(F.from_utc_timestamp(F.to_timestamp("event_time"), TIMEZONE))
    event_users = clean.where(local_day >= F.lit("2026-10-04").cast("date")).select("user_id").distinct()
    assert event_users.count() > 0
    churned_in_period = files.read_parquet("truth/churn").where(F.col("churn_date") <= "2026-10-03")
    assert churned_in_period.count() > 0
    assert churned_in_period.join(event_users, on=["user_id"], how="inner").count() == 0
    new_users = personas.join(
        spark.read.option("header", True)
        .csv(files.path("raw/users"))
        .where("registration_date >= '2026-10-04'"),
        on=["user_id"],
        how="inner",
    )
    assert new_users.count() == 4


def test_continuing_with_other_settings_stops_and_names_them(lake):
    root, _ = lake
    before = file_hashes(root)
    assert run_job(root, "--extend-days", "1", settings=("generator.seed=7",)) == 2
    assert run_job(root, "--continue", "--date", "2026-10-05") == 2
    assert file_hashes(root) == before
