"""Score the behaviour pipeline against the generator's ground truth: sessions and the quarantine.

    python -m sample_shop.jobs.measure_behaviour_truth --env local --set lake.root=/tmp/lake            # whole period
    python -m sample_shop.jobs.measure_behaviour_truth --env local --from-date 2026-10-01 --date 2026-10-14

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
sample_shop/truth/session_recovery.py.
"""

from __future__ import annotations

import argparse
import sys

from sample_shop import tables as truth_tables
from sample_shop.truth.behaviour_report import (
    SESSION_MATCHES,
    BehaviourInputs,
    Thresholds,
    checks_for,
    log_report,
    score,
)
from sample_shop.truth.quarantine import quarantine_mismatches
from sample_shop.truth.reports import (
    TruthSchemaError,
    finish_report,
    read_truth,
    report_folder,
    share_arg,
    verdict,
    write_summary,
)
from sample_shop.truth.session_recovery import failed_sessions
from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from transforms import tables

log = get_logger("sample_shop.jobs.measure_behaviour_truth")

REPORT_NAME = "behaviour_truth"


def parser() -> argparse.ArgumentParser:
    options = job_parser(
        "Score sessions and the quarantine against the sample-data generator's truth. Without --date or "
        "--from-date every date in the lake is scored.",
        date_range=True,
    )
    options.add_argument(
        "--min-session-recovery",
        type=share_arg,
        default=0.99,
        metavar="SHARE",
        help="least share of true sessions recovered (default: 0.99)",
    )
    options.add_argument(
        "--session-match",
        choices=sorted(SESSION_MATCHES),
        default="same_events",
        help="recovered = the same events (default), or the same first and last event",
    )
    options.add_argument(
        "--min-precision",
        type=share_arg,
        default=1.0,
        metavar="SHARE",
        help="least share of quarantined lines that carry planted dirt (default: 1.0)",
    )
    options.add_argument(
        "--min-recall",
        type=share_arg,
        default=1.0,
        metavar="SHARE",
        help="least share of planted bad lines quarantined (default: 1.0)",
    )
    options.add_argument(
        "--min-right-reason",
        type=share_arg,
        default=1.0,
        metavar="SHARE",
        help="least share of quarantined planted lines with the expected reason (default: 1.0)",
    )
    return options


def run(ctx: JobContext) -> int:
    """Score the lake against its truth; 0 when every check passes, 1 otherwise (2 for a lake of another
    ingest format, which has no truth)."""
    cfg = ctx.config
    if cfg.ingest.format != "events_jsonl":
        log.error("ingest.format is %r: only generated events_jsonl data has a truth", cfg.ingest.format)
        return 2
    explicit = ctx.args.date is not None or ctx.args.from_date is not None
    dates = (ctx.first_date, ctx.run_date) if explicit else None
    log.info("scoring against the truth: %s", "every date" if dates is None else f"{dates[0]}..{dates[1]}")

    spark = get_spark(cfg.spark, app_name="measure_behaviour_truth")
    lake = open_lake(spark, cfg.lake)
    try:
        inputs = BehaviourInputs(
            truth_sessions=read_truth(lake, truth_tables.EVENT_SESSIONS),
            dirt=read_truth(lake, truth_tables.DIRT),
            personas=read_truth(lake, truth_tables.PERSONAS),
            raw_lines=lake.files.read_lines(cfg.ingest.raw_dir),
            bronze=lake.table(tables.EVENTS).read(),
            quarantine=lake.table(tables.EVENTS_QUARANTINE).read(),
            silver=lake.table(tables.SILVER_EVENTS).read(),
            bot_users=lake.table(tables.BOT_USERS).read(),
        )
        report, recovery, matched = score(inputs, cfg.ingest.lookback_days, dates)
    except TruthSchemaError as exc:
        log.error("%s", exc)
        return 1
    thresholds = Thresholds(
        session_match=ctx.args.session_match,
        min_session_recovery=ctx.args.min_session_recovery,
        min_precision=ctx.args.min_precision,
        min_recall=ctx.args.min_recall,
        min_right_reason=ctx.args.min_right_reason,
    )
    checks = checks_for(report, thresholds)
    report["thresholds"] = thresholds.as_dict()
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


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
