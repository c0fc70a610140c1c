"""Score the behaviour pipeline against the generator's ground truth: sessions and the quarantine.

    python -m jobs.measure_behaviour_truth --env local --set lake.root=/tmp/lake            # whole period
    python -m jobs.measure_behaviour_truth --env local --from-date 2026-10-01 --date 2026-10-14

Reads `truth/` (event_sessions, dirt, personas), the raw event files, bronze.events, the quarantine,
silver.events and silver.bot_users of a lake built by generate_sample_data, ingest_events and build_silver.
Without --date it scores every date there is; with --date (and --from-date) only those dates: raw dates
for the ingest, local start dates for sessions. It writes `reports/behaviour_truth/<dates>/` under the lake
root: `summary` (one JSON document on one line), `failed_sessions` and `quarantine_mismatches` (Parquet, for digging),
and exits 1 when a check fails:

    session_recovery       share of true sessions recovered >= --min-session-recovery (default 0.99);
                           --session-match same_events (default: the predicted session has exactly the
                           true session's events) or first_last (same first and last event)
    quarantine_precision   quarantined lines that carry planted dirt / all quarantined >= --min-precision
    quarantine_recall      planted bad lines quarantined / planted bad lines >= --min-recall
    quarantine_reasons     of those, the share with the expected reason >= --min-right-reason
    conservation           per raw date, lines = bronze + quarantined + planted duplicate copies, and no
                           event id of the raw files is missing from both tables
    bot_flags              no user whose true persona is not a bot was flagged (they would leave silver,
                           and the sessions scored, without a trace)
    silver_complete        every valid bronze event of an unflagged user is in silver, and silver holds no
                           event the generator never made

The session denominator is the true sessions with at least one event in silver.events, each reduced to its
events there (quarantined lines and flagged bots' events never reach silver); see
transforms/evaluation/session_recovery.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import Lake, open_lake
from shop_platform.truth_reports import (
    Check,
    TruthSchemaError,
    finish_report,
    read_truth,
    report_folder,
    rows_as_dicts,
    share_arg,
    verdict,
    write_summary,
)
from transforms import columns as C
from transforms.evaluation.bot_flags import score_bot_flags
from transforms.evaluation.ingest_accounting import ingest_accounting
from transforms.evaluation.quarantine_truth import (
    match_quarantine_to_dirt,
    quarantine_by_kind,
    quarantine_mismatches,
    quarantine_summary,
)
from transforms.evaluation.session_recovery import (
    events_without_truth,
    failed_sessions,
    missing_from_silver,
    session_recovery,
    summarise_recovery,
)
from transforms.schemas import (
    BRONZE_EVENTS_PARTITIONS,
    BRONZE_EVENTS_SCHEMA,
    BRONZE_QUARANTINE_PARTITIONS,
    BRONZE_QUARANTINE_SCHEMA,
    SILVER_BOT_USERS_PARTITIONS,
    SILVER_BOT_USERS_SCHEMA,
    SILVER_EVENTS_PARTITIONS,
    SILVER_EVENTS_SCHEMA,
    TRUTH_DIRT_SCHEMA,
    TRUTH_EVENT_SESSIONS_SCHEMA,
    TRUTH_PERSONAS_SCHEMA,
)

log = get_logger("jobs.measure_behaviour_truth")

REPORT_NAME = "behaviour_truth"
TRUTH = {
    "truth/event_sessions": TRUTH_EVENT_SESSIONS_SCHEMA,
    "truth/dirt": TRUTH_DIRT_SCHEMA,
    "truth/personas": TRUTH_PERSONAS_SCHEMA,
}
SESSION_MATCHES = {"same_events": C.SAME_EVENTS_SHARE, "first_last": C.FIRST_LAST_SHARE}


def build_parser() -> argparse.ArgumentParser:
    parser = job_parser(
        "Score sessions and the quarantine against the sample-data generator's truth. Without --date or "
        "--from-date every date in the lake is scored.",
        date_range=True,
    )
    parser.add_argument(
        "--min-session-recovery",
        type=share_arg,
        default=0.99,
        metavar="SHARE",
        help="least share of true sessions recovered (default: 0.99)",
    )
    parser.add_argument(
        "--session-match",
        choices=sorted(SESSION_MATCHES),
        default="same_events",
        help="recovered = the same events (default), or the same first and last event",
    )
    parser.add_argument(
        "--min-precision",
        type=share_arg,
        default=1.0,
        metavar="SHARE",
        help="least share of quarantined lines that carry planted dirt (default: 1.0)",
    )
    parser.add_argument(
        "--min-recall",
        type=share_arg,
        default=1.0,
        metavar="SHARE",
        help="least share of planted bad lines quarantined (default: 1.0)",
    )
    parser.add_argument(
        "--min-right-reason",
        type=share_arg,
        default=1.0,
        metavar="SHARE",
        help="least share of quarantined planted lines with the expected reason (default: 1.0)",
    )
    return parser


def in_dates(
    df: DataFrame, column: str, dates: tuple[dt.date, dt.date] | None, pad_days: int = 0
) -> DataFrame:
    """Rows whose date `column` falls in `dates` widened by `pad_days` on each side (all rows for None)."""
    if dates is None:
        return df
    first, last = dates[0] - dt.timedelta(days=pad_days), dates[1] + dt.timedelta(days=pad_days)
    return df.where(F.col(column).between(F.lit(first), F.lit(last)))


def read_raw_lines(lake: Lake, raw_dir: str, dates: tuple[dt.date, dt.date] | None) -> DataFrame:
    """INGEST_DATE, RAW_LINE of every line under `<raw_dir>/date=YYYY-MM-DD/`."""
    lines = lake.files.read_lines(raw_dir).select(
        F.to_date(F.col(C.DATE).cast(T.StringType())).alias(C.INGEST_DATE), F.col(C.VALUE).alias(C.RAW_LINE)
    )
    return in_dates(lines, C.INGEST_DATE, dates)


def checks_for(report: dict[str, Any], args: argparse.Namespace) -> list[Check]:
    """Every pass/fail check of the report, with the thresholds given on the command line."""
    sessions, quarantine = report["sessions"]["summary"], report["quarantine"]["summary"]
    share = sessions[SESSION_MATCHES[args.session_match]]
    recovered = sessions[
        C.RECOVERED_SAME_EVENTS if args.session_match == "same_events" else C.RECOVERED_FIRST_LAST
    ]
    accounting = report["ingest_accounting"]
    bots = report["bot_flags"]
    unconserved = [str(row[C.INGEST_DATE]) for row in accounting["by_date"] if not row[C.CONSERVED]]
    lost = report["sessions"]["events_missing_from_silver"] + report["sessions"]["events_without_truth"]

    return [
        Check.at_least(
            "session_recovery",
            share,
            args.min_session_recovery,
            f"{args.session_match}: {recovered} of {sessions[C.TRUE_SESSIONS]} true sessions",
        ),
        Check.at_least(
            "quarantine_precision",
            quarantine[C.PRECISION],
            args.min_precision,
            f"{quarantine[C.TRUE_POSITIVE_ROWS]} of {quarantine[C.QUARANTINED_ROWS]} quarantined rows carry "
            "planted dirt",
        ),
        Check.at_least(
            "quarantine_recall",
            quarantine[C.RECALL],
            args.min_recall,
            f"{quarantine[C.RECALLED]} of {quarantine[C.PLANTED_BAD]} planted bad lines quarantined",
        ),
        Check.at_least(
            "quarantine_reasons",
            quarantine[C.RIGHT_REASON_SHARE],
            args.min_right_reason,
            f"{quarantine[C.RIGHT_REASON]} of {quarantine[C.RECALLED]} with the expected reason",
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
            float(bots[C.FLAGGED_NON_BOTS]),
            0.0,
            bots[C.FLAGGED_NON_BOTS] == 0,
            f"{bots[C.FLAGGED_NON_BOTS]} users flagged who are not bots; {bots[C.FLAGGED_BOTS]} of "
            f"{bots[C.TRUE_BOTS]} bots flagged",
        ),
        Check(
            "silver_complete",
            float(lost),
            0.0,
            lost == 0,
            f"{lost} events lost in silver or unknown to the truth",
        ),
    ]


def score(
    lake: Lake, raw_dir: str, bot_reach_days: int, dates: tuple[dt.date, dt.date] | None
) -> tuple[dict[str, Any], DataFrame, DataFrame]:
    """The report's numbers, the scored sessions and the matched quarantine (both persisted: unpersist
    them once written).

    `bot_reach_days` is how far from a flagged day build_silver drops a bot's events (its look-back).
    """
    truth_sessions = read_truth(lake, "truth/event_sessions", TRUTH["truth/event_sessions"])
    dirt = read_truth(lake, "truth/dirt", TRUTH["truth/dirt"])
    if dates is not None:
        dirt = dirt.where(F.to_date(F.col(C.DATE)).between(F.lit(dates[0]), F.lit(dates[1])))
    personas = read_truth(lake, "truth/personas", TRUTH["truth/personas"])

    def table(name: str, schema: T.StructType, partitions: list[str]) -> DataFrame:
        return lake.table(name, schema=schema, partition_by=partitions).read()

    # Sessions near a boundary run into the next or previous day: read one more day on each side.
    silver = in_dates(
        table("silver.events", SILVER_EVENTS_SCHEMA, SILVER_EVENTS_PARTITIONS),
        C.EVENT_DATE,
        dates,
        pad_days=1,
    ).persist(StorageLevel.MEMORY_AND_DISK)
    # A flag keeps a user out of silver for `bot_reach_days` around the flagged day.
    bot_users = in_dates(
        table("silver.bot_users", SILVER_BOT_USERS_SCHEMA, SILVER_BOT_USERS_PARTITIONS),
        C.EVENT_DATE,
        dates,
        pad_days=bot_reach_days + 1,
    )
    bronze_all = table("bronze.events", BRONZE_EVENTS_SCHEMA, BRONZE_EVENTS_PARTITIONS)
    quarantine = in_dates(
        table("bronze.events_quarantine", BRONZE_QUARANTINE_SCHEMA, BRONZE_QUARANTINE_PARTITIONS),
        C.INGEST_DATE,
        dates,
    )

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
            "by_kind": rows_as_dicts(quarantine_by_kind(matched).orderBy(C.DIRT)),
        }
    with timed(log, "account for raw lines"):
        accounting = rows_as_dicts(
            ingest_accounting(
                read_raw_lines(lake, raw_dir, dates),
                in_dates(bronze_all, C.INGEST_DATE, dates),
                quarantine,
                dirt,
            ).orderBy(C.INGEST_DATE)
        )
    totals = {
        name: sum(row[name] for row in accounting)
        for name in (
            C.LINES,
            C.VALID,
            C.QUARANTINED_ROWS,
            C.DUPLICATES_REMOVED,
            C.PLANTED_DUPLICATES,
            C.LOST_EVENTS,
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


def log_report(report: dict[str, Any]) -> None:
    sessions = report["sessions"]["summary"]
    log.info(
        "sessions: %d true sessions, %d (%.4f) same first/last event, %d (%.4f) same events; %d split, %d merged",
        sessions[C.TRUE_SESSIONS],
        sessions[C.RECOVERED_FIRST_LAST],
        sessions[C.FIRST_LAST_SHARE] or 0.0,
        sessions[C.RECOVERED_SAME_EVENTS],
        sessions[C.SAME_EVENTS_SHARE] or 0.0,
        sessions[C.SPLIT_SESSIONS],
        sessions[C.MERGED_SESSIONS],
    )
    for row in report["quarantine"]["by_kind"]:
        log.info(
            "dirt %s: %d planted, %d quarantined (%d rows), %d with the expected reason (%d as the only one), "
            "%d missed",
            row[C.DIRT], row[C.PLANTED], row[C.QUARANTINED], row[C.QUARANTINED_ROWS], row[C.RIGHT_REASON],
            row[C.EXACT_REASONS], row[C.MISSED],
        )  # fmt: skip
    quarantine = report["quarantine"]["summary"]
    log.info(
        "quarantine: precision %.4f, recall %.4f, right reason %.4f; planted duplicates %d (%d quarantined)",
        quarantine[C.PRECISION],
        quarantine[C.RECALL],
        quarantine[C.RIGHT_REASON_SHARE],
        quarantine[C.PLANTED_DUPLICATES],
        quarantine[C.QUARANTINED_DUPLICATES],
    )
    log.info("raw lines: %s", report["ingest_accounting"]["totals"])
    log.info("bot flags: %s", report["bot_flags"])


def main(argv: Sequence[str] | None = None) -> int:
    """Score the lake against its truth; 0 when every check passes, 1 otherwise."""
    parser = build_parser()
    ctx = parse_job_args(parser, argv)
    cfg = ctx.config
    if cfg.ingest.format != "events_jsonl":
        parser.exit(
            2, f"ingest.format is {cfg.ingest.format!r}: only generated events_jsonl data has a truth\n"
        )
    explicit = ctx.args.date is not None or ctx.args.from_date is not None
    dates = (ctx.first_date, ctx.run_date) if explicit else None
    log.info("scoring against the truth: %s", "every date" if dates is None else f"{dates[0]}..{dates[1]}")

    spark = get_spark(cfg.spark, app_name="measure_behaviour_truth")
    lake = open_lake(spark, cfg.lake)
    try:
        report, recovery, matched = score(lake, cfg.ingest.raw_dir, cfg.ingest.lookback_days, dates)
    except TruthSchemaError as exc:
        log.error("%s", exc)
        return 1
    checks = checks_for(report, ctx.args)
    report["thresholds"] = {
        "session_match": ctx.args.session_match,
        "min_session_recovery": ctx.args.min_session_recovery,
        "min_precision": ctx.args.min_precision,
        "min_recall": ctx.args.min_recall,
        "min_right_reason": ctx.args.min_right_reason,
    }
    log_report(report)
    finish_report(report, checks, log)

    folder = report_folder(REPORT_NAME, dates)
    with timed(log, f"write {folder}"):
        write_summary(lake, folder, report)
        lake.files.write_parquet(failed_sessions(recovery).coalesce(1), f"{folder}/failed_sessions")
        lake.files.write_parquet(
            quarantine_mismatches(matched).coalesce(1), f"{folder}/quarantine_mismatches"
        )
    recovery.unpersist()
    matched.unpersist()
    log.info(
        "wrote %s (summary, failed_sessions, quarantine_mismatches): %s",
        lake.files.path(folder),
        verdict(checks),
    )
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
