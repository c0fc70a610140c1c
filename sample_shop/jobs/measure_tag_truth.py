"""Score the tag snapshots against the generator's truth: do rule tags separate the planted personas, and
does the lifecycle flag the planted churners?

    python -m sample_shop.jobs.measure_tag_truth --env local --set lake.root=/tmp/lake \
        --from-date 2026-10-01 --date 2026-10-30

Reads `truth/personas`, `truth/churn` and the tag snapshots (gold.tag_history as of gold.tag_quality's
dates). At --date it gives, for every value of every boolean or enum tag, the share of each persona's users
holding it against the share among everyone else (bots left out). Over the snapshots from --from-date to
--date it follows each planted churner whose churn day has a snapshot: flagged (lifecycle at_risk or
churned; churn_risk high) already on its churn day, and how many days later it was first flagged; users
who never churned give the false-alarm rate.
It writes `reports/tag_truth/<dates>/` under the lake root: `summary` (one JSON document on one line)
and `persona_values` (Parquet), and exits 1 when a check fails:

    persona_<persona>_<tag>   the persona's share holding the value it was built to show, divided by the
                              other personas' share, >= --min-lift (default 1.5)
    churn_settled             every churner silent for longer than lifecycle.silent_days before --date
                              is at_risk or churned (the rules leave no other stage for them)
"""

from __future__ import annotations

import argparse
import sys

from pyspark import StorageLevel
from pyspark.sql import functions as F

from sample_shop import tables as truth_tables
from sample_shop.truth.reports import (
    TruthSchemaError,
    finish_report,
    read_truth,
    report_folder,
    verdict,
    write_summary,
)
from sample_shop.truth.tag_report import (
    CHURN_FLAGS,
    checks_for,
    log_report,
    planted_rows,
    score_churn,
    score_personas,
)
from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables
from transforms.tags.history import tags_as_of, tags_as_of_each

log = get_logger("sample_shop.jobs.measure_tag_truth")

REPORT_NAME = "tag_truth"


def parser() -> argparse.ArgumentParser:
    options = job_parser(
        "Score tag snapshots against the sample-data generator's personas and churners.", date_range=True
    )
    options.add_argument(
        "--min-lift",
        type=float,
        default=1.5,
        metavar="RATIO",
        help="least ratio of a persona's share holding its planted trait to everyone else's (default 1.5)",
    )
    return options


def run(ctx: JobContext) -> int:
    """Score the tag snapshots against the truth; 0 when every check passes, 1 otherwise."""
    cfg = ctx.config
    first, last = ctx.first_date, ctx.run_date
    log.info("scoring tag snapshots %s..%s against the truth", first, last)

    spark = get_spark(cfg.spark, app_name="measure_tag_truth")
    lake = open_lake(spark, cfg.lake)
    try:
        personas = read_truth(lake, truth_tables.PERSONAS)
        churn = read_truth(lake, truth_tables.CHURN)
    except TruthSchemaError as exc:
        log.error("%s", exc)
        return 1
    # gold.tag_quality has a row per tag for every snapshot date the history holds.
    quality = lake.table(tables.TAG_QUALITY)
    dates = sorted(
        r[0]
        for r in quality.read_between(first, last, missing_ok=True)
        .select(C.SNAPSHOT_DATE)
        .distinct()
        .collect()
    )
    if last not in dates:
        log.error(
            "%s has no snapshot for %s: run %s first", quality.name, last, tables.TAG_HISTORY.written_by
        )
        return 1
    history = lake.table(tables.TAG_HISTORY).read()
    snapshots = tags_as_of_each(history.where(F.col(C.TAG_ID).isin(*CHURN_FLAGS)), dates).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    with timed(log, "score personas"):
        shares = score_personas(tags_as_of(history, last), personas).persist()
        planted = planted_rows(shares)
    with timed(log, "score churn detection"):
        churn_report = score_churn(snapshots, churn, personas, cfg.lifecycle.silent_days)
    report = {
        "dates": {"from": first, "to": last},
        "planted_traits": planted,
        "churn": churn_report,
        "thresholds": {"min_lift": ctx.args.min_lift},
    }
    log_report(report)
    checks = checks_for(planted, churn_report, ctx.args.min_lift)
    finish_report(report, checks, log)

    folder = report_folder(REPORT_NAME, (first, last))
    with timed(log, f"write {folder}"):
        write_summary(lake, folder, report)
        lake.files.write_parquet(shares.coalesce(1), f"{folder}/persona_values")
    shares.unpersist()
    snapshots.unpersist()
    log.info("wrote %s (summary, persona_values): %s", lake.files.path(folder), verdict(checks))
    return 0 if report["passed"] else 1


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
