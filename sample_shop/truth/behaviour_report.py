"""The report of `measure_behaviour_truth`: sessions, bot flags, the quarantine and the raw-line accounting
scored against the generator's truth, and the pass/fail checks on them.

Each score is computed by its own module (`session_recovery`, `bot_flags`, `quarantine`,
`ingest_accounting`); this one picks the dates to score, collects the small results into one JSON-ready
document and judges it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sample_shop import columns as TC
from sample_shop.truth.bot_flags import score_bot_flags
from sample_shop.truth.ingest_accounting import ingest_accounting
from sample_shop.truth.quarantine import match_quarantine_to_dirt, quarantine_by_kind, quarantine_summary
from sample_shop.truth.reports import Check, rows_as_dicts
from sample_shop.truth.session_recovery import (
    events_without_truth,
    missing_from_silver,
    session_recovery,
    summarise_recovery,
)
from shop_platform.logs import get_logger, timed
from transforms import columns as C

log = get_logger(__name__)

# What counts as a recovered session: the summary column holding its share.
SESSION_MATCHES = {"same_events": TC.SAME_EVENTS_SHARE, "first_last": TC.FIRST_LAST_SHARE}

Dates = tuple[dt.date, dt.date] | None


@dataclass(frozen=True)
class Thresholds:
    """The checks' thresholds (the job's options), recorded in the report as given."""

    session_match: str
    min_session_recovery: float
    min_precision: float
    min_recall: float
    min_right_reason: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BehaviourInputs:
    """What the report scores: the truth datasets, the raw event lines and the pipeline's tables, all dates.

    `raw_lines` is the raw event folder as `LakeFiles.read_lines` gives it (VALUE, and DATE from the
    `date=` folders).
    """

    truth_sessions: DataFrame
    dirt: DataFrame
    personas: DataFrame
    raw_lines: DataFrame
    bronze: DataFrame
    quarantine: DataFrame
    silver: DataFrame
    bot_users: DataFrame


def in_dates(df: DataFrame, column: str, dates: Dates, pad_days: int = 0) -> DataFrame:
    """Rows whose date `column` falls in `dates` widened by `pad_days` on each side (all rows for None)."""
    if dates is None:
        return df
    first, last = dates[0] - dt.timedelta(days=pad_days), dates[1] + dt.timedelta(days=pad_days)
    return df.where(F.col(column).between(F.lit(first), F.lit(last)))


def raw_lines_by_date(lines: DataFrame, dates: Dates) -> DataFrame:
    """INGEST_DATE, RAW_LINE of every raw line of `dates` (VALUE and the `date=` folder's DATE)."""
    lines = lines.select(
        F.to_date(F.col(C.DATE).cast(T.StringType())).alias(C.INGEST_DATE), F.col(C.VALUE).alias(C.RAW_LINE)
    )
    return in_dates(lines, C.INGEST_DATE, dates)


def score(
    inputs: BehaviourInputs, bot_reach_days: int, dates: Dates
) -> tuple[dict[str, Any], DataFrame, DataFrame]:
    """The report's numbers, the scored sessions and the matched quarantine (both persisted: unpersist
    them once written).

    `bot_reach_days` is how far from a flagged day build_silver drops a bot's events (its look-back).
    """
    truth_sessions, personas = inputs.truth_sessions, inputs.personas
    dirt = inputs.dirt
    if dates is not None:
        dirt = dirt.where(F.to_date(F.col(C.DATE)).between(F.lit(dates[0]), F.lit(dates[1])))
    # Sessions near a boundary run into the next or previous day: read one more day on each side.
    silver = in_dates(inputs.silver, C.EVENT_DATE, dates, pad_days=1).persist(StorageLevel.MEMORY_AND_DISK)
    # A flag keeps a user out of silver for `bot_reach_days` around the flagged day.
    bot_users = in_dates(inputs.bot_users, C.EVENT_DATE, dates, pad_days=bot_reach_days + 1)
    bronze_all = inputs.bronze
    quarantine = in_dates(inputs.quarantine, C.INGEST_DATE, dates)

    recovery = in_dates(session_recovery(silver, truth_sessions), C.EVENT_DATE, dates).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    with timed(log, "score sessions"):
        sessions = {
            "summary": rows_as_dicts(summarise_recovery(recovery))[0],
            "by_date": rows_as_dicts(summarise_recovery(recovery, by=[C.EVENT_DATE]).orderBy(C.EVENT_DATE)),
            "events_without_truth": events_without_truth(
                in_dates(silver, C.EVENT_DATE, dates), truth_sessions
            ).count(),
            "events_missing_from_silver": missing_from_silver(
                in_dates(bronze_all, C.EVENT_DATE, dates), silver, bot_users
            ).count(),
        }
    with timed(log, "score bot flags"):
        bots = rows_as_dicts(score_bot_flags(personas, bot_users))[0]

    matched = match_quarantine_to_dirt(quarantine, dirt).persist(StorageLevel.MEMORY_AND_DISK)
    with timed(log, "score the quarantine"):
        quarantine_report = {
            "summary": rows_as_dicts(quarantine_summary(matched))[0],
            "by_kind": rows_as_dicts(quarantine_by_kind(matched).orderBy(TC.DIRT)),
        }
    with timed(log, "account for raw lines"):
        accounting = rows_as_dicts(
            ingest_accounting(
                raw_lines_by_date(inputs.raw_lines, dates),
                in_dates(bronze_all, C.INGEST_DATE, dates),
                quarantine,
                dirt,
            ).orderBy(C.INGEST_DATE)
        )
    totals = {
        name: sum(row[name] for row in accounting)
        for name in (
            TC.LINES,
            TC.VALID,
            TC.QUARANTINED_ROWS,
            TC.DUPLICATES_REMOVED,
            TC.PLANTED_DUPLICATES,
            TC.LOST_EVENTS,
        )
    }
    report = {
        "dates": {"from": dates[0], "to": dates[1]} if dates else "all",
        "sessions": sessions,
        "bot_flags": bots,
        "quarantine": quarantine_report,
        "ingest_accounting": {"totals": totals, "by_date": accounting},
    }
    silver.unpersist()
    return report, recovery, matched


def checks_for(report: dict[str, Any], thresholds: Thresholds) -> list[Check]:
    """Every pass/fail check of the report, with the given thresholds."""
    sessions, quarantine = report["sessions"]["summary"], report["quarantine"]["summary"]
    share = sessions[SESSION_MATCHES[thresholds.session_match]]
    recovered = sessions[
        TC.RECOVERED_SAME_EVENTS if thresholds.session_match == "same_events" else TC.RECOVERED_FIRST_LAST
    ]
    accounting = report["ingest_accounting"]
    bots = report["bot_flags"]
    unconserved = [str(row[C.INGEST_DATE]) for row in accounting["by_date"] if not row[TC.CONSERVED]]
    lost = report["sessions"]["events_missing_from_silver"] + report["sessions"]["events_without_truth"]

    return [
        Check.at_least(
            "session_recovery",
            share,
            thresholds.min_session_recovery,
            f"{thresholds.session_match}: {recovered} of {sessions[TC.TRUE_SESSIONS]} true sessions",
        ),
        Check.at_least(
            "quarantine_precision",
            quarantine[TC.PRECISION],
            thresholds.min_precision,
            f"{quarantine[TC.TRUE_POSITIVE_ROWS]} of {quarantine[TC.QUARANTINED_ROWS]} quarantined rows carry "
            "planted dirt",
        ),
        Check.at_least(
            "quarantine_recall",
            quarantine[TC.RECALL],
            thresholds.min_recall,
            f"{quarantine[TC.RECALLED]} of {quarantine[TC.PLANTED_BAD]} planted bad lines quarantined",
        ),
        Check.at_least(
            "quarantine_reasons",
            quarantine[TC.RIGHT_REASON_SHARE],
            thresholds.min_right_reason,
            f"{quarantine[TC.RIGHT_REASON]} of {quarantine[TC.RECALLED]} with the expected reason",
        ),
        Check(
            "conservation",
            float(len(unconserved)),
            0.0,
            bool(accounting["by_date"]) and not unconserved,
            f"raw dates not adding up: {unconserved}"
            if unconserved
            else f"{len(accounting['by_date'])} raw dates",
        ),
        Check(
            "bot_flags",
            float(bots[TC.FLAGGED_NON_BOTS]),
            0.0,
            bots[TC.FLAGGED_NON_BOTS] == 0,
            f"{bots[TC.FLAGGED_NON_BOTS]} users flagged who are not bots; {bots[TC.FLAGGED_BOTS]} of "
            f"{bots[TC.TRUE_BOTS]} bots flagged",
        ),
        Check(
            "silver_complete",
            float(lost),
            0.0,
            lost == 0,
            f"{lost} events lost in silver or unknown to the truth",
        ),
    ]


def log_report(report: dict[str, Any]) -> None:
    """The report's headline numbers, one log line per score."""
    sessions = report["sessions"]["summary"]
    log.info(
        "sessions: %d true sessions, %d (%.4f) same first/last event, %d (%.4f) same events; %d split, %d merged",
        sessions[TC.TRUE_SESSIONS],
        sessions[TC.RECOVERED_FIRST_LAST],
        sessions[TC.FIRST_LAST_SHARE] or 0.0,
        sessions[TC.RECOVERED_SAME_EVENTS],
        sessions[TC.SAME_EVENTS_SHARE] or 0.0,
        sessions[TC.SPLIT_SESSIONS],
        sessions[TC.MERGED_SESSIONS],
    )
    for row in report["quarantine"]["by_kind"]:
        log.info(
            "dirt %s: %d planted, %d quarantined (%d rows), %d with the expected reason (%d as the only one), "
            "%d missed",
            row[TC.DIRT], row[TC.PLANTED], row[TC.QUARANTINED], row[TC.QUARANTINED_ROWS], row[TC.RIGHT_REASON],
            row[TC.EXACT_REASONS], row[TC.MISSED],
        )  # fmt: skip
    quarantine = report["quarantine"]["summary"]
    log.info(
        "quarantine: precision %.4f, recall %.4f, right reason %.4f; planted duplicates %d (%d quarantined)",
        quarantine[TC.PRECISION],
        quarantine[TC.RECALL],
        quarantine[TC.RIGHT_REASON_SHARE],
        quarantine[TC.PLANTED_DUPLICATES],
        quarantine[TC.QUARANTINED_DUPLICATES],
    )
    log.info("raw lines: %s", report["ingest_accounting"]["totals"])
    log.info("bot flags: %s", report["bot_flags"])
