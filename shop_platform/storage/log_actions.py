"""What a Delta log records, read straight from its JSON commits for the embedded engine's own checks.

delta-rs exposes snapshots, not the actions of single commits. Optimistic concurrency needs exactly those
(which files did the commits since my snapshot add or remove?), and so does vacuuming uncommitted files
(which files did any version ever name?).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from pyarrow import fs as pafs

from shop_platform.storage.staging import filesystem

LOG_DIR = "_delta_log"
# Our commits carry this key in their commitInfo, so a writer can tell its own commits from others'.
WRITE_ID = "shopWriteId"


@dataclass(frozen=True)
class LoggedFile:
    """A data file an add or remove action names, its path relative to the table root (unescaped)."""

    path: str
    partition_values: Mapping[str, str | None]


@dataclass
class LogChanges:
    """The actions of other writers' commits after a snapshot."""

    versions: list[int] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)
    added: list[LoggedFile] = field(default_factory=list)
    removed: list[LoggedFile] = field(default_factory=list)
    metadata_changed: bool = False

    def live_added(self) -> list[LoggedFile]:
        """Added files that a later one of these commits did not remove again."""
        gone = {f.path for f in self.removed}
        return [f for f in self.added if f.path not in gone]

    def files_in(self, partitions: Mapping[str, Iterable[str]]) -> list[LoggedFile]:
        """Added or removed files inside `partitions` ({column: partition value strings})."""
        return [
            f
            for f in (*self.added, *self.removed)
            if all(f.partition_values.get(column) in set(values) for column, values in partitions.items())
        ]

    def describe(self) -> str:
        shown = ", ".join(f"{v} ({op})" for v, op in zip(self.versions, self.operations, strict=True))
        return f"version{'s' if len(self.versions) > 1 else ''} {shown}"


def changes_since(table_path: str, version: int, latest: int, write_id: str | None = None) -> LogChanges:
    """The actions of the commits after `version` up to `latest`, leaving out those carrying `write_id`."""
    changes = LogChanges()
    for commit in range(version + 1, latest + 1):
        actions = _commit_actions(table_path, commit)
        info = next((a["commitInfo"] for a in actions if "commitInfo" in a), {})
        if write_id is not None and info.get(WRITE_ID) == write_id:
            continue
        changes.versions.append(commit)
        changes.operations.append(_operation(info))
        for action in actions:
            if "add" in action:
                changes.added.append(_logged(action["add"]))
            elif "remove" in action:
                changes.removed.append(_logged(action["remove"]))
            elif "metaData" in action or "protocol" in action:
                changes.metadata_changed = True
    return changes


def logged_paths(table_path: str) -> set[str]:
    """Every data file path an add or remove action of the log's JSON commits names, as written and unescaped.

    Delta keeps JSON commits (30 days by default) longer than removed files stay within vacuum's retention
    (7 days), so a file that is still needed for time travel is always named here.
    """
    fs, table_dir = filesystem(table_path)
    selector = pafs.FileSelector(f"{table_dir}/{LOG_DIR}", allow_not_found=True)
    paths: set[str] = set()
    for info in fs.get_file_info(selector):
        if info.type != pafs.FileType.File or not info.base_name.endswith(".json"):
            continue
        if not info.base_name[:-5].isdigit():
            continue
        for action in _read_actions(fs, info.path):
            entry = action.get("add") or action.get("remove")
            if entry:
                paths.update((entry["path"], unquote(entry["path"])))
    return paths


def _commit_actions(table_path: str, version: int) -> list[dict]:
    fs, table_dir = filesystem(table_path)
    return _read_actions(fs, f"{table_dir}/{LOG_DIR}/{version:020d}.json")


def _read_actions(fs: pafs.FileSystem, path: str) -> list[dict]:
    with fs.open_input_stream(path) as stream:
        text = stream.read().decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _logged(entry: Mapping) -> LoggedFile:
    return LoggedFile(unquote(entry["path"]), dict(entry.get("partitionValues") or {}))


def _operation(info: Mapping) -> str:
    try:
        ours = json.loads(info.get("userMetadata") or "{}").get("operation")
    except (ValueError, AttributeError):
        ours = None
    return str(ours or info.get("operation") or "unknown")


def paths_of(files: Sequence[LoggedFile]) -> set[str]:
    return {f.path for f in files}
