"""Score the co-purchase graph of one snapshot date against the generator's planted bundles.

    python -m jobs.measure_bundle_recovery --env local --set lake.root=/tmp/lake --date 2026-10-30

Reads `truth/bundles` and the run date's gold.copurchase_edges and gold.item_communities (written by
build_copurchase_graph) and logs, per edge type, the share of planted bundle pairs among the edges and
their lift rank (median rank among the type's pairs by lift, shares in the top 1% and the top 100), and
per grouping (connected components, label-propagation communities) how many bundles one group holds
exactly. The numbers go to `reports/bundle_recovery/<date>/summary` (one JSON line) under the lake root.
The job reports; it does not judge (exit 0 unless an input is missing or malformed).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from typing import Any

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import Lake, open_lake
from transforms import columns as C
from transforms.graph.bundle_recovery import bundle_matches, lift_ranked_pairs, pair_recovery, planted_pairs
from transforms.graph.copurchase import EDGE_TYPES
from transforms.schemas import TRUTH_BUNDLES_SCHEMA

log = get_logger("jobs.measure_bundle_recovery")

TRUTH_BUNDLES = "truth/bundles"
REPORT_DIR = "reports/bundle_recovery"
EDGES = "gold.copurchase_edges"
ITEM_COMMUNITIES = "gold.item_communities"


def rows_as_dicts(df: DataFrame) -> list[dict[str, Any]]:
    """A small result (one row per edge type or grouping) as plain dicts."""
    return [row.asDict(recursive=True) for row in df.collect()]


def read_bundles(lake: Lake) -> DataFrame | str:
    """truth/bundles, or a sentence saying why it cannot be used."""
    try:
        bundles = lake.files.read_parquet(TRUTH_BUNDLES)
    except AnalysisException:
        return f"{lake.files.path(TRUTH_BUNDLES)} cannot be read: the lake has no generator truth"
    if bundles.schema != TRUTH_BUNDLES_SCHEMA:
        return (
            f"{lake.files.path(TRUTH_BUNDLES)} has columns {bundles.schema.simpleString()}, expected "
            f"{TRUTH_BUNDLES_SCHEMA.simpleString()}"
        )
    return bundles


def main(argv: Sequence[str] | None = None) -> int:
    """Log and write the bundle recovery numbers of the run date; 1 when an input is missing."""
    parser = job_parser("Score gold.copurchase_edges and gold.item_communities against truth/bundles.")
    ctx = parse_job_args(parser, argv)
    cfg = ctx.config
    spark = get_spark(cfg.spark, app_name="measure_bundle_recovery")
    lake = open_lake(spark, cfg.lake)
    bundles = read_bundles(lake)
    if isinstance(bundles, str):
        log.error("%s", bundles)
        return 1
    for name in (EDGES, ITEM_COMMUNITIES):
        if not lake.table(name).exists():
            log.error("%s does not exist: run build_copurchase_graph first", name)
            return 1
    on_date = F.col(C.SNAPSHOT_DATE) == F.lit(ctx.run_date)
    edges = lake.table(EDGES).read().where(on_date)
    communities = lake.table(ITEM_COMMUNITIES).read().where(on_date)
    if communities.isEmpty():
        log.error(
            "%s has no rows for %s: run build_copurchase_graph for that date", ITEM_COMMUNITIES, ctx.run_date
        )
        return 1

    with timed(log, "score bundle recovery"):
        pairs = rows_as_dicts(
            pair_recovery(planted_pairs(bundles), lift_ranked_pairs(edges), EDGE_TYPES).orderBy(C.EDGE_TYPE)
        )
        groups = rows_as_dicts(
            bundle_matches(bundles, communities, cfg.graph.max_bundle_size).orderBy(C.GROUPING)
        )
    for row in pairs:
        log.info(
            "%s: %d of %d planted pairs among %d pairs (%.3f); median lift rank %s; top 1%% %.3f, top 100 %.3f",
            row[C.EDGE_TYPE], row[C.FOUND_PAIRS], row[C.PLANTED_PAIRS], row[C.TYPE_EDGES], row[C.FOUND_SHARE],
            row[C.MEDIAN_LIFT_RANK], row[C.TOP_1PCT_SHARE], row[C.TOP_100_SHARE],
        )  # fmt: skip
    for row in groups:
        log.info(
            "%s: %d of %d bundles are exactly one group, %d lie in one group; %d groups of 2..%d items",
            row[C.GROUPING], row[C.BUNDLES_MATCHED], row[C.BUNDLES], row[C.BUNDLES_IN_ONE_GROUP],
            row[C.CANDIDATES], cfg.graph.max_bundle_size,
        )  # fmt: skip
    folder = f"{REPORT_DIR}/{ctx.run_date.isoformat()}"
    report = {
        "snapshot_date": ctx.run_date,
        "pairs": pairs,
        "groups": groups,
        "graph": dataclasses.asdict(cfg.graph),
    }
    text = json.dumps(report, default=str)
    lake.files.write_lines(spark.createDataFrame([(text,)], [C.VALUE]).coalesce(1), f"{folder}/summary")
    log.info("wrote %s", lake.files.path(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
