"""The lake root is checked when the lake is opened: non-empty, and a local root writable."""

from __future__ import annotations

import os
import stat

import pytest

from shop_platform.config import ConfigError, load_config
from shop_platform.settings import LakeSettings
from shop_platform.storage import LakeRootError, open_lake
from shop_platform.storage.paths import canonical_location, ensure_writable


@pytest.mark.parametrize("root", ["", "   "])
def test_an_empty_lake_root_is_a_config_error_naming_the_key(root):
    with pytest.raises(ConfigError, match=r"'lake\.root' must be a non-empty path"):
        load_config("local", [f"lake.root={root}"])


def test_opening_a_lake_creates_a_missing_root_and_leaves_no_probe(spark, tmp_path):
    root = tmp_path / "new" / "lake"
    lake = open_lake(spark, LakeSettings(str(root), "embedded", 168, 24))
    assert lake.root == str(root)
    assert root.is_dir() and list(root.iterdir()) == []


def test_a_root_that_cannot_be_a_folder_fails_at_open_naming_root_and_reason(spark, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    configured = str(tmp_path / "a-file" / "lake")
    with pytest.raises(
        LakeRootError, match=rf"lake\.root {configured} is not a writable folder: Not a directory"
    ):
        open_lake(spark, LakeSettings(configured, "embedded", 168, 24))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; run as a user to check")
def test_a_read_only_root_fails_at_open(tmp_path):
    root = tmp_path / "lake"
    root.mkdir()
    root.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(LakeRootError, match=r"not a writable folder: Permission denied"):
            ensure_writable(str(root), str(root))
    finally:
        root.chmod(stat.S_IRWXU)


def test_object_store_roots_are_not_probed_and_keep_their_spelling():
    ensure_writable("s3://bucket/lake", "s3://bucket/lake")
    assert canonical_location("s3://bucket/lake/silver/orders/") == "s3://bucket/lake/silver/orders"


def test_a_relative_root_is_shown_as_configured_with_where_it_resolved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "blocked").write_text("")
    with pytest.raises(
        LakeRootError,
        match=r"lake\.root blocked/lake is not a writable folder: Not a directory \(/.*/blocked/lake\)",
    ):
        ensure_writable(str(tmp_path / "blocked" / "lake"), "blocked/lake")
