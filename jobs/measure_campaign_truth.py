"""Score the campaign evaluation against the generator's planted uplift.

    python -m jobs.measure_campaign_truth --env local --date 2026-10-30 --set lake.root=/tmp/lake

Reads `truth/campaigns` and the run date's gold.campaign_results (evaluate_campaigns). For every planted
campaign it logs the planted absolute conversion uplift against the measured one with its confidence
interval, plain and with CUPED, writes `reports/campaign_truth/<date>_<date>/summary` under the lake root
and exits 1 when a check fails:

    campaign_<id>_in_ci   the planted uplift lies inside the measured (plain) confidence interval
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from pyspark.sql import functions as F

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from shop_platform.truth_reports import (
    Check,
    TruthSchemaError,
    finish_report,
    read_truth,
    report_folder,
    rows_as_dicts,
    verdict,
    write_summary,
)
from transforms import columns as C
from transforms.evaluation.campaign_truth import uplift_recovery
from transforms.schemas import TRUTH_CAMPAIGNS_SCHEMA

log = get_logger("jobs.measure_campaign_truth")

REPORT_NAME = "campaign_truth"
RESULTS = "gold.campaign_results"


def interval(row: dict, estimate: str, low: str, high: str) -> str:
    """ "0.0360 [0.0020, 0.0700]", or "n/a" when the results hold no estimate."""
    if row[estimate] is None:
        return "n/a"
    return f"{row[estimate]:.4f} [{row[low]:.4f}, {row[high]:.4f}]"


def checks_for(recovery: list[dict]) -> list[Check]:
    checks = []
    for row in recovery:
        measured = row[C.ABSOLUTE_UPLIFT]
        detail = (
            f"{RESULTS} has no conversion row for the campaign"
            if measured is None
            else f"planted {row[C.PLANTED_UPLIFT]:.4f}, measured "
            + interval(row, C.ABSOLUTE_UPLIFT, C.ABSOLUTE_CI_LOW, C.ABSOLUTE_CI_HIGH)
        )
        checks.append(
            Check(
                f"campaign_{row[C.CAMPAIGN_ID]}_in_ci",
                measured,
                row[C.PLANTED_UPLIFT],
                bool(row[C.PLANTED_IN_CI]),
                detail,
            )
        )
    return checks


def main(argv: Sequence[str] | None = None) -> int:
    """Score the run date's campaign results against the truth; 0 when every check passes, 1 otherwise."""
    parser = job_parser("Score gold.campaign_results against the generator's planted uplift.")
    ctx = parse_job_args(parser, argv)
    cfg, run_date = ctx.config, ctx.run_date
    spark = get_spark(cfg.spark, app_name="measure_campaign_truth")
    lake = open_lake(spark, cfg.lake)
    try:
        truth = read_truth(lake, "truth/campaigns", TRUTH_CAMPAIGNS_SCHEMA)
    except TruthSchemaError as exc:
        log.error("%s", exc)
        return 1
    results = lake.table(RESULTS)
    if not results.exists():
        log.error("%s does not exist at %s: run evaluate_campaigns first", RESULTS, lake.path(RESULTS))
        return 1
    recovery = rows_as_dicts(
        uplift_recovery(results.read().where(F.col(C.RUN_DATE) == F.lit(run_date)), truth)
    )
    for row in recovery:
        log.info(
            "campaign %s: planted %.4f; measured %s; with CUPED %s; window complete: %s",
            row[C.CAMPAIGN_ID], row[C.PLANTED_UPLIFT],
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


if __name__ == "__main__":
    sys.exit(main())
