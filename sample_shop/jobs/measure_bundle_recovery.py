"""Score the co-purchase graph of one snapshot date against the generator's planted bundles.

    python -m sample_shop.jobs.measure_bundle_recovery --env local --set lake.root=/tmp/lake --date 2026-10-30

Reads `truth/bundles` and the run date's gold.copurchase_edges and gold.item_communities (written by
build_copurchase_graph) and logs, per edge type, the share of planted bundle pairs among the edges and
their lift rank (median rank among the type's pairs by lift, shares in the top 1% and the top 100), and
per grouping (connected components, label-propagation communities) how many bundles one group holds
exactly. The numbers go to `reports/bundle_recovery/<date>_<date>/summary` (one JSON line) under the lake root.
The job reports; it does not judge (exit 0 unless an input is missing or malformed).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from pyspark.errors import AnalysisException

from sample_shop import columns as TC
from sample_shop import tables as truth_tables
from sample_shop.truth.bundle_recovery import bundle_matches, lift_ranked_pairs, pair_recovery, planted_pairs
from sample_shop.truth.reports import (
    TruthSchemaError,
    read_truth,
    report_folder,
    rows_as_dicts,
    write_summary,
)
from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables
from transforms.graph.copurchase import EDGE_TYPES

log = get_logger("sample_shop.jobs.measure_bundle_recovery")

REPORT_NAME = "bundle_recovery"


def parser() -> argparse.ArgumentParser:
    return job_parser("Score gold.copurchase_edges and gold.item_communities against truth/bundles.")


def run(ctx: JobContext) -> int:
    """Log and write the bundle recovery numbers of the run date; 1 when an input is missing."""
    cfg = ctx.config
    spark = get_spark(cfg.spark, app_name="measure_bundle_recovery")
    lake = open_lake(spark, cfg.lake)
    try:
        bundles = read_truth(lake, truth_tables.BUNDLES)
    except (AnalysisException, TruthSchemaError) as exc:
        log.error(
            "%s cannot be used: %s", lake.files.path(truth_tables.truth_folder(truth_tables.BUNDLES)), exc
        )
        return 1
    edges_table, communities_table = lake.table(tables.COPURCHASE_EDGES), lake.table(tables.ITEM_COMMUNITIES)
    for table in (edges_table, communities_table):
        if not table.exists():
            log.error("%s does not exist: run %s first", table.name, table.spec.written_by)
            return 1
    edges = edges_table.read_on(ctx.run_date)
    communities = communities_table.read_on(ctx.run_date)
    if communities.isEmpty():
        log.error(
            "%s has no rows for %s: run %s for that date",
            communities_table.name,
            ctx.run_date,
            communities_table.spec.written_by,
        )
        return 1

    with timed(log, "score bundle recovery"):
        pairs = rows_as_dicts(
            pair_recovery(planted_pairs(bundles), lift_ranked_pairs(edges), EDGE_TYPES).orderBy(C.EDGE_TYPE)
        )
        groups = rows_as_dicts(
            bundle_matches(bundles, communities, cfg.graph.max_bundle_size).orderBy(TC.GROUPING)
        )
    for row in pairs:
        log.info(
            "%s: %d of %d planted pairs among %d pairs (%.3f); median lift rank %s; top 1%% %.3f, top 100 %.3f",
            row[C.EDGE_TYPE], row[TC.FOUND_PAIRS], row[TC.PLANTED_PAIRS], row[TC.TYPE_EDGES], row[TC.FOUND_SHARE],
            row[TC.MEDIAN_LIFT_RANK], row[TC.TOP_1PCT_SHARE], row[TC.TOP_100_SHARE],
        )  # fmt: skip
    for row in groups:
        log.info(
            "%s: %d of %d bundles are exactly one group, %d lie in one group; %d groups of 2..%d items",
            row[TC.GROUPING], row[TC.BUNDLES_MATCHED], row[TC.BUNDLES], row[TC.BUNDLES_IN_ONE_GROUP],
            row[TC.CANDIDATES], cfg.graph.max_bundle_size,
        )  # fmt: skip
    folder = report_folder(REPORT_NAME, (ctx.run_date, ctx.run_date))
    report = {
        "snapshot_date": ctx.run_date,
        "pairs": pairs,
        "groups": groups,
        "graph": dataclasses.asdict(cfg.graph),
    }
    write_summary(lake, folder, report)
    log.info("wrote %s", lake.files.path(f"{folder}/summary"))
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
