"""Write the daily HTML report of a run date: <lake.root>/reports/<date>/report.html.

    python -m jobs.build_report --env local --date 2026-10-30
    shop-build-report --date 2026-10-30 --set report.output_root=/tmp/reports

One self-contained file (Plotly inlined, no network needed to view it): activity, the purchase funnel,
retention, RFM segments and lifecycle stages, behaviour segments, tag coverage and drift, top audiences,
campaign results with intervals, recommendations (offline metrics and a few users' lists with each item's
source), purchase propensity and customer value (BG/NBD's holdout validation, its rankings against the
propensity model's, the value tiers; transforms.report). Every section shows the table's latest snapshot on
or before the run date and says which. gold.tag_history and gold.tag_quality are required; any other table
may be missing: its section says which table and which job writes it. gold.recommendations falls back to
gold.als_recommendations. A table that exists without the columns the report reads stops the job with an
error naming it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import Lake, open_lake
from shop_platform.storage.local_files import report_path, write_text_atomically
from transforms.report import daily
from transforms.report.inputs import INPUTS, Input, ReportInputError, absent, check_columns, present

log = get_logger("jobs.build_report")


def parser() -> argparse.ArgumentParser:
    return job_parser("Write the daily HTML report of a run date.")


def open_inputs(lake: Lake, run_date: dt.date) -> dict[str, Input]:
    """Every table the report reads as of the run date: checked against its declaration, with its latest
    date on or before the run date (the dates of all tables in one Spark job).

    Raises:
        ReportInputError: a table exists without the columns the report reads, or a required one is missing.
    """
    opened, found = {}, {}
    for report_input in INPUTS:
        table = lake.table(report_input.table)
        if table.exists():
            check_columns(report_input.table, table.schema())
            found[report_input.name] = table
        else:
            opened[report_input.name] = absent(report_input, table.path)
    dated = [table for table in found.values() if table.spec.date_column is not None]
    latest = lake.latest_dates(dated, on_or_before=run_date)
    for report_input in INPUTS:
        if report_input.name in found:
            rows = found[report_input.name].read()
            opened[report_input.name] = present(report_input, rows, latest.get(report_input.name), run_date)
    for name, opened_input in opened.items():
        if opened_input.source.problem is not None:
            log.warning("%s", opened_input.source.problem)
        elif opened_input.source.as_of is not None:
            log.info("%s: using %s", name, opened_input.source.as_of)
    return opened


def run(ctx: JobContext) -> int:
    """Build the report of the run date and log where it is."""
    cfg = ctx.config
    spark = get_spark(cfg.spark, app_name="build_report")
    lake = open_lake(spark, cfg.lake)
    try:
        with timed(log, f"report summaries {ctx.run_date}"):
            sections = daily.sections(open_inputs(lake, ctx.run_date), ctx.run_date, cfg.report, cfg.clv)
    except ReportInputError as exc:
        log.error("cannot build the report: %s", exc)
        return 1
    html = daily.page(ctx.run_date, sections, lake.root)
    path = write_text_atomically(report_path(cfg.report.output_root or lake.root, ctx.run_date), html)
    log.info("wrote the report for %s (%.1f MB): %s", ctx.run_date, len(html.encode()) / 1e6, path)
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
