"""Files written on this machine's file system rather than as lake tables: the daily report, at
`<root>/reports/<date>/report.html` (the job build_report writes it, the pipeline runner says where it is),
replaced atomically."""

from __future__ import annotations

import datetime as dt
import os
import tempfile

REPORT_FILE = "report.html"


class ReportPathError(ValueError):
    """The report root is not a path this machine can write a file to."""


def local_root(root: str) -> str:
    """A local directory for `root`: a plain path, a file:// URI, or dbfs:/ through the /dbfs mount.

    Raises:
        ReportPathError: for object-store URIs (s3a://, abfss://, ...), which need `report.output_root`.
    """
    if root.startswith("file://"):
        return root[len("file://") :]
    if root.startswith("dbfs:/"):
        return "/dbfs/" + root[len("dbfs:/") :].lstrip("/")
    if "://" in root:
        raise ReportPathError(
            f"cannot write the report under {root}: set report.output_root to a local or dbfs:/ path"
        )
    return os.path.abspath(os.path.expanduser(root))


def report_path(root: str, run_date: dt.date) -> str:
    """`<root>/reports/<date>/report.html` as a local path."""
    return os.path.join(local_root(root), "reports", run_date.isoformat(), REPORT_FILE)


def write_text_atomically(path: str, text: str) -> str:
    """Write `text` (UTF-8) to `path` through a temporary file in the same folder, then rename it over the
    old file, so a reader never sees half a file and a failed write leaves the previous one."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    return path
