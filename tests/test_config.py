"""Config loading: overlays, --set overrides, and errors that name the key and the file."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from shop_platform.cli import default_run_date, job_parser, parse_job_args
from shop_platform.config import CONF_DIR, ConfigError, load_config


@pytest.fixture()
def conf_dir(tmp_path) -> Path:
    target = tmp_path / "conf"
    shutil.copytree(CONF_DIR, target)
    return target


def write_overlay(conf_dir: Path, text: str) -> Path:
    path = conf_dir / "test.yaml"
    path.write_text(text)
    return path


def test_shipped_overlays_load_and_differ_where_they_should():
    local = load_config("local")
    cluster = load_config("cluster")
    assert local.lake.engine == "embedded" and cluster.lake.engine == "delta-spark"
    assert local.generator.users == 5000 and local.generator.items == 2000 and local.generator.days == 30
    assert cluster.spark.shuffle_partitions > local.spark.shuffle_partitions


def test_set_overrides_one_value_with_its_yaml_type():
    config = load_config("local", ["lake.root=/data/lake", "generator.users=123", "spark.ui_enabled=false"])
    assert config.lake.root == "/data/lake"
    assert config.generator.users == 123
    assert config.spark.ui_enabled is False
    assert config.generator.start_date == dt.date(2026, 10, 1)


def test_unknown_key_names_the_key_and_the_file(conf_dir):
    path = write_overlay(conf_dir, "lake:\n  rooot: /x\n")
    with pytest.raises(ConfigError, match=rf"{path}: unknown key 'lake.rooot'"):
        load_config("test", conf_dir=conf_dir)


def test_wrong_type_names_the_key_and_the_file(conf_dir):
    path = write_overlay(conf_dir, "generator:\n  users: many\n")
    with pytest.raises(ConfigError, match=rf"{path}: 'generator.users' must be an integer, got str 'many'"):
        load_config("test", conf_dir=conf_dir)


def test_wrong_type_from_the_command_line_names_set():
    with pytest.raises(ConfigError, match=r"--set: 'spark.shuffle_partitions' must be an integer"):
        load_config("local", ["spark.shuffle_partitions=lots"])


def test_missing_required_value_is_reported(conf_dir):
    base = conf_dir / "base.yaml"
    base.write_text(base.read_text().replace("  experiment: shop-analytics\n", ""))
    write_overlay(conf_dir, "")
    with pytest.raises(ConfigError, match=r"missing required key 'tracking.experiment'"):
        load_config("test", conf_dir=conf_dir)


def test_null_for_a_required_value_is_reported(conf_dir):
    path = write_overlay(conf_dir, "lake:\n  root: null\n")
    with pytest.raises(ConfigError, match=rf"{path}: missing required value for 'lake.root'"):
        load_config("test", conf_dir=conf_dir)


def test_enum_and_range_rules_name_the_key():
    with pytest.raises(ConfigError, match=r"'lake.engine' must be one of 'auto', 'delta-spark', 'embedded'"):
        load_config("local", ["lake.engine=duckdb"])
    with pytest.raises(ConfigError, match=r"'recommend.engine' must be one of 'auto', 'spark', 'implicit'"):
        load_config("local", ["recommend.engine=mahout"])
    with pytest.raises(ConfigError, match=r"'generator.dirt.duplicate_rate' must be a share between 0 and 1"):
        load_config("local", ["generator.dirt.duplicate_rate=1.5"])
    with pytest.raises(ConfigError, match=r"'app.timezone' is not a known IANA time zone"):
        load_config("local", ["app.timezone=Mars/Olympus"])


def test_unknown_environment_lists_the_available_ones():
    with pytest.raises(ConfigError, match=r"--env 'staging'.*available: cluster, local\)"):
        load_config("staging")
    # The catalogs beside the settings are not environments.
    with pytest.raises(ConfigError, match=r"--env 'tags'.*available: cluster, local\)"):
        load_config("tags")


def test_malformed_set_is_rejected():
    with pytest.raises(ConfigError, match="expected key.path=value"):
        load_config("local", ["lake.root"])


def test_job_arguments_give_config_and_run_date():
    ctx = parse_job_args(
        job_parser("t"), ["--env", "local", "--date", "2026-10-05", "--set", "lake.root=/tmp/l"]
    )
    assert ctx.run_date == dt.date(2026, 10, 5)
    assert ctx.config.lake.root == "/tmp/l"


def test_bad_config_exits_before_spark_with_status_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_job_args(job_parser("t"), ["--set", "lake.nope=1"])
    assert exit_info.value.code == 2
    assert "unknown key 'lake.nope'" in capsys.readouterr().err


def test_default_run_date_is_yesterday_in_the_shop_time_zone():
    # 2026-10-05 20:00 UTC is already 2026-10-06 in Shanghai, so yesterday there is 10-05.
    now = dt.datetime(2026, 10, 5, 20, 0, tzinfo=dt.timezone.utc)
    assert default_run_date("Asia/Shanghai", now) == dt.date(2026, 10, 5)
    assert default_run_date("UTC", now) == dt.date(2026, 10, 4)


def test_rfm_and_lifecycle_defaults_load():
    config = load_config("local")
    assert (config.rfm.window_days, config.rfm.split) == (90, "mean")
    lifecycle = config.lifecycle
    assert lifecycle.active_days < lifecycle.silent_days < lifecycle.churn_days
    assert lifecycle.new_days < lifecycle.churn_days


def test_rfm_window_and_split_are_validated_by_key():
    with pytest.raises(
        ConfigError, match=r"'rfm.window_days' must be a positive number of days or 'all', got 0"
    ):
        load_config("local", ["rfm.window_days=0"])
    assert load_config("local", ["rfm.window_days=14"]).rfm.window_days == 14
    with pytest.raises(ConfigError, match=r"'rfm.split' must be one of 'mean', 'median', got 'mode'"):
        load_config("local", ["rfm.split=mode"])


def test_lifecycle_thresholds_must_be_positive_and_ordered(conf_dir):
    with pytest.raises(ConfigError, match=r"'lifecycle.active_days' must be positive, got 0"):
        load_config("local", ["lifecycle.active_days=0"])
    with pytest.raises(
        ConfigError, match=r"'lifecycle.silent_days' must be greater than lifecycle.active_days \(7\), got 7"
    ):
        load_config("local", ["lifecycle.silent_days=7"])
    with pytest.raises(
        ConfigError, match=r"'lifecycle.churn_days' must be greater than lifecycle.silent_days \(14\), got 10"
    ):
        load_config("local", ["lifecycle.churn_days=10"])
    with pytest.raises(
        ConfigError, match=r"'lifecycle.new_days' must be less than lifecycle.churn_days \(30\), got 30"
    ):
        load_config("local", ["lifecycle.new_days=30"])
    # Raising active_days alone in an overlay: the rule is reported on silent_days (and its file), and the
    # message names the overridden active_days with its value.
    write_overlay(conf_dir, "lifecycle:\n  active_days: 20\n")
    with pytest.raises(
        ConfigError,
        match=r"'lifecycle.silent_days' must be greater than lifecycle.active_days \(20\), got 14",
    ):
        load_config("test", conf_dir=conf_dir)
