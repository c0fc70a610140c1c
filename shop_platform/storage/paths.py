"""The one name-to-path rule: table `layer.name` lives at `<lake.root>/<layer>/<name>` for every engine."""

from __future__ import annotations

import os
import re

LAYERS = ("bronze", "silver", "gold")
_PART = re.compile(r"^[a-z][a-z0-9_]*$")


class TableNameError(ValueError):
    """A table name that is not `layer.name`."""


def resolve_root(root: str) -> str:
    """Absolute local path for a relative root; URIs (s3://, abfss://, dbfs:/) are kept as given."""
    if "://" in root or root.startswith("dbfs:"):
        return root.rstrip("/")
    return os.path.abspath(os.path.expanduser(root))


def table_path(root: str, name: str) -> str:
    """Where table `layer.name` lives under `root`."""
    layer, _, table = name.partition(".")
    if layer not in LAYERS or not _PART.match(table or ""):
        raise TableNameError(
            f"table name {name!r} must be 'layer.name' with layer one of {', '.join(LAYERS)} "
            "and name in lower snake case"
        )
    return f"{root.rstrip('/')}/{layer}/{table}"
