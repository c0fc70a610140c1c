"""What the jobs that score the lake against the generator's truth share: reading a truth dataset with its
promised schema, pass/fail checks with thresholds from the command line, and the report they write.

A report is one JSON document, written as a one-line JSON-lines file (`summary`) under
`reports/<name>/<dates>/` in the lake, beside any Parquet tables kept for digging.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from pyspark.sql import DataFrame

from sample_shop.tables import truth_folder
from shop_platform.storage import Lake
from shop_platform.storage.spec import TableSpec


class TruthSchemaError(ValueError):
    """A truth dataset does not have the columns the scoring expects."""


@dataclass(frozen=True)
class Check:
    """One pass/fail verdict of a report: the measured value, its threshold and what was counted."""

    name: str
    value: float | None
    threshold: float
    passed: bool
    detail: str

    @classmethod
    def at_least(cls, name: str, value: float | None, threshold: float, detail: str) -> Check:
        """Passes when `value` is known and >= `threshold`."""
        return cls(name, value, threshold, value is not None and value >= threshold, detail)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def share_arg(text: str) -> float:
    """argparse type for a share between 0 and 1."""
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1, got {text!r}") from exc
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1, got {value}")
    return value


def read_truth(lake: Lake, spec: TableSpec) -> DataFrame:
    """A truth dataset of `sample_shop.tables` (Parquet under `truth/`), its read schema checked against the
    declared one.

    Raises:
        AnalysisException: PATH_NOT_FOUND when the generator has not written it.
        TruthSchemaError: when its columns differ from the declaration.
    """
    folder = truth_folder(spec)
    df = lake.files.read_parquet(folder)
    if df.schema != spec.schema:
        raise TruthSchemaError(
            f"{lake.files.path(folder)} has columns {df.schema.simpleString()}, expected "
            f"{spec.schema.simpleString()}"
        )
    return df


def rows_as_dicts(df: DataFrame) -> list[dict[str, Any]]:
    """A small result (a summary, one row per date, kind or persona) as plain dicts."""
    return [row.asDict(recursive=True) for row in df.collect()]


def report_folder(name: str, dates: tuple[dt.date, dt.date] | None) -> str:
    """`reports/<name>/<first>_<last>`, or `reports/<name>/all` when every date was scored."""
    tag = "all" if dates is None else f"{dates[0].isoformat()}_{dates[1].isoformat()}"
    return f"reports/{name}/{tag}"


def finish_report(report: dict[str, Any], checks: list[Check], log: logging.Logger) -> bool:
    """Add the checks and the verdict to `report`, log each check; True when all passed."""
    report["checks"] = [check.as_dict() for check in checks]
    report["passed"] = all(check.passed for check in checks)
    for check in checks:
        (log.info if check.passed else log.error)(
            "check %s: %s (value %s, threshold %s): %s",
            check.name, "passed" if check.passed else "FAILED", check.value, check.threshold, check.detail,
        )  # fmt: skip
    return report["passed"]


def verdict(checks: list[Check]) -> str:
    """ "every check passed", or "checks failed: " and the names of those that did not."""
    failed = [check.name for check in checks if not check.passed]
    return "checks failed: " + ", ".join(failed) if failed else "every check passed"


def write_summary(lake: Lake, folder: str, report: dict[str, Any]) -> None:
    """The report as one JSON document on one line, in `<folder>/summary`."""
    text = json.dumps(report, default=str)
    spark = lake.files.spark
    lake.files.write_lines(spark.createDataFrame([(text,)], ["value"]).coalesce(1), f"{folder}/summary")
