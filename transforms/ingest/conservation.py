"""Accounting for every raw line: input lines = valid + quarantined + duplicates removed.

All counts of a run come from one aggregation over the validated rows (`count_outcomes`), collected as a
handful of rows; `IngestCounts` reads them and `check_conservation` fails loudly when a line went missing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, Row
from pyspark.sql import functions as F

from transforms import columns as C

LINES = "lines"
VALID = "valid"
QUARANTINED = "quarantined"
DUPLICATE = "duplicate"
_OUTCOME = "outcome:"
_REASON = "reason:"


class ConservationError(RuntimeError):
    """Lines read and rows accounted for differ: a transform dropped or multiplied rows."""


@dataclass(frozen=True)
class IngestCounts:
    """What one raw date produced."""

    lines: int
    valid: int
    quarantined: int
    duplicates: int
    # Rows per reason code; a row with several reasons counts under each.
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def quarantine_rate(self) -> float:
        """Share of input lines quarantined (0 for an empty day)."""
        return self.quarantined / self.lines if self.lines else 0.0

    def summary(self) -> str:
        """ "120 rows, 117 valid, 3 quarantined (2.50%) {'missing:user_id': 3}": a dataset's account, for logs."""
        return (
            f"{self.lines} rows, {self.valid} valid, {self.quarantined} quarantined "
            f"({100 * self.quarantine_rate:.2f}%) {self.reasons}"
        )

    @classmethod
    def from_rows(cls, rows: Iterable[Row]) -> IngestCounts:
        """Read the (METRIC, ROWS) rows of `count_outcomes`."""
        metrics = {row[C.METRIC]: row[C.ROWS] for row in rows}
        reasons = {m.removeprefix(_REASON): n for m, n in metrics.items() if m.startswith(_REASON)}
        return cls(
            lines=metrics.get(LINES, 0),
            valid=metrics.get(_OUTCOME + VALID, 0),
            quarantined=metrics.get(_OUTCOME + QUARANTINED, 0),
            duplicates=metrics.get(_OUTCOME + DUPLICATE, 0),
            reasons=dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        )

    @classmethod
    def per_key(cls, rows: Iterable[Row], key: str) -> dict[object, IngestCounts]:
        """Read the rows of `count_outcomes(checked, by=[key])`: the counts of each value of `key`."""
        grouped: dict[object, list[Row]] = defaultdict(list)
        for row in rows:
            grouped[row[key]].append(row)
        return {value: cls.from_rows(group) for value, group in sorted(grouped.items())}


def over_quarantine_limit(counts: dict[str, IngestCounts], max_rate: float) -> str | None:
    """ "users 3.10%, items 2.50%": the datasets quarantining more than `max_rate` of their lines, or None."""
    too_dirty = [name for name, c in counts.items() if c.quarantine_rate > max_rate]
    if not too_dirty:
        return None
    return ", ".join(f"{name} {100 * counts[name].quarantine_rate:.2f}%" for name in too_dirty)


def count_outcomes(checked: DataFrame, by: Sequence[str] = ()) -> DataFrame:
    """Count lines, outcomes and reasons in one pass.

    Args:
        checked: Validated rows with REASONS and IS_DUPLICATE.
        by: Columns to count separately for (e.g. INGEST_DATE: each raw date has its own account).

    Returns:
        `by` columns, METRIC ("lines", "outcome:valid|quarantined|duplicate", "reason:<code>"), ROWS. Every row counts
        under "lines" and under exactly one outcome; one the rules do not classify counts under none, and
        the conservation check then fails.
    """
    quarantined = F.size(F.col(C.REASONS)) > 0
    outcome = (
        F.when(quarantined, F.lit(QUARANTINED))
        .when(~quarantined & F.col(C.IS_DUPLICATE), F.lit(DUPLICATE))
        .when(~quarantined & ~F.col(C.IS_DUPLICATE), F.lit(VALID))
    )
    metrics = F.concat(
        F.array(F.lit(LINES), F.concat(F.lit(_OUTCOME), outcome)),
        F.transform(F.col(C.REASONS), lambda reason: F.concat(F.lit(_REASON), reason)),
    )
    return (
        checked.select(*by, F.explode(metrics).alias(C.METRIC))
        .where(F.col(C.METRIC).isNotNull())
        .groupBy(*by, C.METRIC)
        .agg(F.count(F.lit(1)).alias(C.ROWS))
        .select(*by, C.METRIC, C.ROWS)
    )


def check_conservation(counts: IngestCounts, ingest_date: dt.date) -> None:
    """Raise ConservationError, naming every count, unless lines = valid + quarantined + duplicates."""
    accounted = counts.valid + counts.quarantined + counts.duplicates
    if counts.lines != accounted:
        raise ConservationError(
            f"ingest of raw date {ingest_date}: {counts.lines} input lines but {accounted} accounted for "
            f"(valid {counts.valid} + quarantined {counts.quarantined} + duplicates {counts.duplicates}); "
            f"{counts.lines - accounted} lines unaccounted"
        )
