"""Score the campaign evaluation against the generator's planted uplift.

    python -m sample_shop.jobs.measure_campaign_truth --env local --date 2026-10-30 --set lake.root=/tmp/lake

Reads `truth/campaigns` and the run date's gold.campaign_results (evaluate_campaigns). For every planted
campaign it logs the planted absolute conversion uplift against the measured one with its confidence
interval, plain and with CUPED, writes `reports/campaign_truth/<date>_<date>/summary` under the lake root
and exits 1 when a check fails:

    campaign_<id>_in_ci   the planted uplift lies inside the measured (plain) confidence interval
"""

from __future__ import annotations

import argparse
import sys

from sample_shop import columns as TC
from sample_shop import tables as truth_tables
from sample_shop.truth.campaigns import checks_for, interval, uplift_recovery
from sample_shop.truth.reports import (
    TruthSchemaError,
    finish_report,
    read_truth,
    report_folder,
    rows_as_dicts,
    verdict,
    write_summary,
)
from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables

log = get_logger("sample_shop.jobs.measure_campaign_truth")

REPORT_NAME = "campaign_truth"


def parser() -> argparse.ArgumentParser:
    return job_parser("Score gold.campaign_results against the generator's planted uplift.")


def run(ctx: JobContext) -> int:
    """Score the run date's campaign results against the truth; 0 when every check passes, 1 otherwise."""
    cfg, run_date = ctx.config, ctx.run_date
    spark = get_spark(cfg.spark, app_name="measure_campaign_truth")
    lake = open_lake(spark, cfg.lake)
    try:
        truth = read_truth(lake, truth_tables.CAMPAIGNS)
    except TruthSchemaError as exc:
        log.error("%s", exc)
        return 1
    results = lake.table(tables.CAMPAIGN_RESULTS)
    if not results.exists():
        log.error(
            "%s does not exist at %s: run %s first", results.name, results.path, results.spec.written_by
        )
        return 1
    recovery = rows_as_dicts(uplift_recovery(results.read_on(run_date), truth))
    for row in recovery:
        log.info(
            "campaign %s: planted %.4f; measured %s; with CUPED %s; window complete: %s",
            row[C.CAMPAIGN_ID], row[TC.PLANTED_UPLIFT],
            interval(row, C.ABSOLUTE_UPLIFT, C.ABSOLUTE_CI_LOW, C.ABSOLUTE_CI_HIGH),
            interval(row, C.CUPED_UPLIFT, C.CUPED_CI_LOW, C.CUPED_CI_HIGH), row[C.COMPLETE],
        )  # fmt: skip
    checks = checks_for(recovery)
    report = {"run_date": run_date, "campaigns": recovery}
    passed = finish_report(report, checks, log)
    folder = report_folder(REPORT_NAME, (run_date, run_date))
    write_summary(lake, folder, report)
    log.info("wrote %s: %s", lake.files.path(f"{folder}/summary"), verdict(checks))
    return 0 if passed else 1


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
