"""The one name-to-path rule: table `layer.name` lives at `<lake.root>/<layer>/<name>` for every engine."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

LAYERS = ("bronze", "silver", "gold")
_PART = re.compile(r"^[a-z][a-z0-9_]*$")


class TableNameError(ValueError):
    """A table name that is not `layer.name`."""


class LakeRootError(OSError):
    """The lake root cannot be created or written to."""


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


def local_path(location: str) -> str | None:
    """The local file system path of a plain path or `file:` URI; None for object stores (s3://, dbfs:/)."""
    if location.startswith("file:"):
        return unquote(urlparse(location).path)
    if "://" in location or location.startswith("dbfs:"):
        return None
    return location


def canonical_location(location: str) -> str:
    """The one spelling of a location that every read and write of a table uses.

    Local paths and `file:` URIs become absolute paths with symbolic links resolved, as delta-rs reports
    its files, so that the paths Spark is given and the paths delta-rs returns agree; object-store URIs
    are kept as given.
    """
    local = local_path(location)
    return location.rstrip("/") if local is None else os.path.realpath(local)


def ensure_writable(root: str, configured: str) -> None:
    """Create a local lake root if missing and prove it writable with a probe file; skip object stores.

    Raises:
        LakeRootError: naming the root as configured and the operating system's reason.
    """
    local = local_path(root)
    if local is None:
        return
    try:
        os.makedirs(local, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".write-probe-", dir=local)
        os.close(handle)
        os.remove(probe)
    except OSError as exc:
        shown = configured if os.path.abspath(configured) == local else f"{configured} ({local})"
        reason = f"{exc.strerror} ({exc.filename})" if exc.strerror and exc.filename else str(exc)
        raise LakeRootError(f"lake.root {shown} is not a writable folder: {reason}") from None


def delta_tables_under(root: str) -> list[str]:
    """Every Delta table under a local lake root, as `layer.name` (a directory with a `_delta_log`)."""
    return sorted(
        f"{log.parent.parent.name}.{log.parent.name}"
        for log in Path(resolve_root(root)).glob("*/*/_delta_log")
        if log.is_dir()
    )
