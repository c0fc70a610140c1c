"""Which raw dates of a run may replace what bronze holds for them, taken in order up to the first that fails.

A date fails in one of two ways:
- too few lines (`ingest.min_lines_per_date`; an empty folder or an empty or cut file) while bronze already
  holds rows for it: a delivery that lost its lines must not erase a day, so neither table is written for
  it unless the run allows it (`--allow-empty`);
- too many bad lines (`ingest.max_quarantine_rate`): its quarantine is written so the lines can be looked
  at, its events are not.
Dates after a failed one are not written either, so a back-fill ends as if its dates had run one by one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from transforms.ingest.conservation import IngestCounts


@dataclass(frozen=True)
class DeliveryRules:
    """`ingest.min_lines_per_date`, `ingest.max_quarantine_rate` and the run's `--allow-empty`."""

    min_lines: int
    max_quarantine_rate: float
    allow_empty: bool = False


@dataclass(frozen=True)
class Acceptance:
    """The dates whose events are written, those whose quarantine is written, and what to tell the operator.

    `stop` is the error of the date the run stopped at (None when every date passed); `warnings` are the
    dates let through with something worth knowing (an empty day, held rows replaced under --allow-empty).
    """

    events: list[dt.date]
    quarantine: list[dt.date]
    stop: str | None = None
    warnings: list[str] = field(default_factory=list)


def accept_dates(
    counts: Mapping[dt.date, IngestCounts],
    held: Mapping[dt.date, Mapping[str, int]],
    rules: DeliveryRules,
    tables: tuple[str, str],
) -> Acceptance:
    """Decide each date of `counts` (in order) against `rules`.

    Args:
        counts: The account of each raw date of the run, in order.
        held: Rows each bronze table holds per date (only dates with too few lines need to be looked up).
        rules: The delivery rules.
        tables: The names of the events table and its quarantine, for the messages.

    Returns:
        The Acceptance.
    """
    events_table, quarantine_table = tables
    accepted: list[dt.date] = []
    warnings: list[str] = []
    for day, day_counts in counts.items():
        short = _short_delivery(day, day_counts, held.get(day, {}), rules, tables)
        if short is not None and not short[0]:
            return Acceptance(accepted, list(accepted), short[1], warnings)
        if short is not None:
            warnings.append(short[1])
        if day_counts.quarantine_rate > rules.max_quarantine_rate:
            stop = (
                f"raw date {day}: {day_counts.quarantined} of {day_counts.lines} lines "
                f"({100 * day_counts.quarantine_rate:.2f}%) quarantined, above ingest.max_quarantine_rate = "
                f"{100 * rules.max_quarantine_rate:.2f}%; they are in {quarantine_table} (ingest_date={day}); "
                f"{events_table} was left unchanged for this date"
            )
            return Acceptance(accepted, [*accepted, day], stop, warnings)
        accepted.append(day)
    return Acceptance(accepted, list(accepted), None, warnings)


def _short_delivery(
    day: dt.date,
    counts: IngestCounts,
    held: Mapping[str, int],
    rules: DeliveryRules,
    tables: tuple[str, str],
) -> tuple[bool, str] | None:
    """None for a date with enough lines; else (may it be written?, why)."""
    if counts.lines >= rules.min_lines:
        return None
    short = f"raw date {day}: {counts.lines} input lines, fewer than ingest.min_lines_per_date = {rules.min_lines}"
    if not held:
        return True, f"{short}; bronze holds nothing for it, so it is a day without events"
    holding = " and ".join(f"{table} holds {rows} rows" for table, rows in held.items())
    if rules.allow_empty:
        return True, f"{short}, but {holding} for ingest_date={day}: --allow-empty, so they are replaced"
    events_table, quarantine_table = tables
    return False, (
        f"{short}, but {holding} for ingest_date={day}; an empty or cut delivery must not erase them, so "
        f"{events_table} and {quarantine_table} were left unchanged for this date. If the date really has no "
        "more lines, re-run with --allow-empty (or lower ingest.min_lines_per_date)"
    )
