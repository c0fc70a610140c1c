"""Score the tag snapshots against the generator's truth: do rule tags separate the planted personas, and
does the lifecycle flag the planted churners?

    python -m jobs.measure_tag_truth --env local --set lake.root=/tmp/lake --from-date 2026-10-01 --date 2026-10-30

Reads `truth/personas`, `truth/churn` and gold.tag_snapshots. At --date it gives, for every value of
every boolean or enum tag, the share of each persona's users holding it against the share among everyone
else (bots left out). Over the snapshots from --from-date to --date it follows each planted churner whose
churn day has a snapshot: flagged (lifecycle at_risk or churned; churn_risk high) already on its churn
day, and how many days later it was first flagged; users who never churned give the false-alarm rate.
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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

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
    verdict,
    write_summary,
)
from transforms import columns as C
from transforms.evaluation.tag_truth import (
    BOOLEAN_TRUE,
    churn_detection,
    flagged_share,
    persona_value_shares,
    summarise_churn_detection,
)
from transforms.schemas import (
    GOLD_TAG_SNAPSHOTS_PARTITIONS,
    GOLD_TAG_SNAPSHOTS_SCHEMA,
    TRUTH_CHURN_SCHEMA,
    TRUTH_PERSONAS_SCHEMA,
)
from transforms.tags.lifecycle import AT_RISK, CHURNED

log = get_logger("jobs.measure_tag_truth")

REPORT_NAME = "tag_truth"
SNAPSHOTS_TABLE = "gold.tag_snapshots"
BOT_PERSONA = "bot"


@dataclass(frozen=True)
class PlantedTrait:
    """A tag value the generator's persona was built to show (see transforms/sample_data/personas.py)."""

    persona: str
    tag_id: str
    value: str = BOOLEAN_TRUE

    @property
    def check_name(self) -> str:
        return f"persona_{self.persona}_{self.tag_id}"


# Bargain hunters tilt to cheap items and use coupons 70% of the time; brand loyalists keep to one brand
# 75% of the time; high-value regulars come back often and tilt to expensive items; trend seekers browse
# late at night; the churning persona always stops.
PLANTED_TRAITS = (
    PlantedTrait("bargain_hunter", "price_sensitive"),
    PlantedTrait("bargain_hunter", "coupon_sensitive"),
    PlantedTrait("brand_loyalist", "brand_loyalist"),
    PlantedTrait("high_value_regular", "high_spender"),
    PlantedTrait("high_value_regular", "high_frequency_buyer"),
    PlantedTrait("trend_seeker", "night_owl"),
)
# The tags that flag churn, and their values that mean "flagged".
CHURN_FLAGS = {"lifecycle_stage": (AT_RISK, CHURNED), "churn_risk": ("high",)}
SETTLED_FLAG = "lifecycle_stage"


def build_parser() -> argparse.ArgumentParser:
    parser = job_parser(
        "Score tag snapshots against the sample-data generator's personas and churners.", date_range=True
    )
    parser.add_argument(
        "--min-lift",
        type=float,
        default=1.5,
        metavar="RATIO",
        help="least ratio of a persona's share holding its planted trait to everyone else's (default 1.5)",
    )
    return parser


def score_personas(snapshot: DataFrame, personas: DataFrame) -> DataFrame:
    tag_ids = sorted({trait.tag_id for trait in PLANTED_TRAITS} | set(CHURN_FLAGS))
    scored = personas.where(F.col(C.PERSONA) != F.lit(BOT_PERSONA))
    return persona_value_shares(snapshot, scored, tag_ids)


def score_churn(
    snapshots: DataFrame, churn: DataFrame, personas: DataFrame, silent_days: int
) -> dict[str, Any]:
    """Per churn tag: the churners' detection summary and the false-alarm share among non-churners."""
    last = snapshots.agg(F.max(C.SNAPSHOT_DATE)).first()[0]
    never_churned = (
        personas.where(F.col(C.PERSONA) != F.lit(BOT_PERSONA))
        .join(churn, on=C.USER_ID, how="left_anti")
        .select(C.USER_ID)
    )
    report = {}
    for tag_id, values in CHURN_FLAGS.items():
        tag_values = snapshots.where(F.col(C.TAG_ID) == F.lit(tag_id)).select(
            C.USER_ID, C.VALUE, C.SNAPSHOT_DATE
        )
        detection = churn_detection(tag_values, churn, values)
        report[tag_id] = {
            "flagged_values": list(values),
            "churners": rows_as_dicts(summarise_churn_detection(detection, silent_days))[0],
            "never_churned_flagged_on_last_snapshot": rows_as_dicts(
                flagged_share(tag_values.where(F.col(C.SNAPSHOT_DATE) == F.lit(last)), never_churned, values)
            )[0],
        }
    return report


def checks_for(shares: list[dict[str, Any]], churn: dict[str, Any], min_lift: float) -> list[Check]:
    by_key = {(row[C.PERSONA], row[C.TAG_ID], row[C.VALUE]): row for row in shares}
    checks = []
    for trait in PLANTED_TRAITS:
        row = by_key.get((trait.persona, trait.tag_id, trait.value))
        lift = None if row is None else row[C.LIFT]
        detail = (
            f"no {trait.persona} user holds {trait.tag_id}={trait.value}"
            if row is None
            else f"{row[C.TAGGED]} of {row[C.USERS]} {trait.persona} users ({row[C.SHARE]:.3f}) hold "
            f"{trait.tag_id}={trait.value}, against {row[C.OTHERS_TAGGED]} of {row[C.OTHERS_USERS]} others "
            f"({(row[C.OTHERS_SHARE] or 0.0):.3f})"
        )
        checks.append(Check.at_least(trait.check_name, lift, min_lift, detail))
    settled = churn[SETTLED_FLAG]["churners"]
    share = settled[C.SETTLED_FLAGGED] / settled[C.SETTLED_CHURNERS] if settled[C.SETTLED_CHURNERS] else None
    checks.append(
        Check(
            "churn_settled",
            share,
            1.0,
            share is None or share == 1.0,
            f"{settled[C.SETTLED_FLAGGED]} of {settled[C.SETTLED_CHURNERS]} churners silent for longer than "
            "lifecycle.silent_days are at_risk or churned",
        )
    )
    return checks


def read_snapshots(lake: Lake, first, last) -> DataFrame:
    table = lake.table(
        SNAPSHOTS_TABLE, schema=GOLD_TAG_SNAPSHOTS_SCHEMA, partition_by=GOLD_TAG_SNAPSHOTS_PARTITIONS
    )
    return table.read().where(F.col(C.SNAPSHOT_DATE).between(F.lit(first), F.lit(last)))


def log_report(report: dict[str, Any]) -> None:
    for trait in report["planted_traits"]:
        log.info(
            "%s holding %s=%s: %d of %d (%.3f) against %d of %d others (%.3f), lift %s",
            trait[C.PERSONA], trait[C.TAG_ID], trait[C.VALUE], trait[C.TAGGED], trait[C.USERS], trait[C.SHARE],
            trait[C.OTHERS_TAGGED], trait[C.OTHERS_USERS], trait[C.OTHERS_SHARE] or 0.0,
            "n/a" if trait[C.LIFT] is None else f"{trait[C.LIFT]:.2f}",
        )  # fmt: skip
    for tag_id, churn in report["churn"].items():
        churners, others = churn["churners"], churn["never_churned_flagged_on_last_snapshot"]
        log.info(
            "%s in %s: %d churners, %d flagged on their churn day, %d flagged by the last snapshot "
            "(median lag %s days, p90 %s); never-churned users flagged on the last snapshot: %d of %d",
            tag_id, churn["flagged_values"], churners[C.CHURNERS], churners[C.FLAGGED_ON_CHURN_DAY],
            churners[C.FLAGGED_BY_LAST_SNAPSHOT], churners[C.MEDIAN_LAG_DAYS], churners[C.P90_LAG_DAYS],
            others[C.FLAGGED_USERS], others[C.USERS],
        )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Score the tag snapshots against the truth; 0 when every check passes, 1 otherwise."""
    parser = build_parser()
    ctx = parse_job_args(parser, argv)
    cfg = ctx.config
    first, last = ctx.first_date, ctx.run_date
    log.info("scoring tag snapshots %s..%s against the truth", first, last)

    spark = get_spark(cfg.spark, app_name="measure_tag_truth")
    lake = open_lake(spark, cfg.lake)
    try:
        personas = read_truth(lake, "truth/personas", TRUTH_PERSONAS_SCHEMA)
        churn = read_truth(lake, "truth/churn", TRUTH_CHURN_SCHEMA)
    except TruthSchemaError as exc:
        log.error("%s", exc)
        return 1
    snapshots = read_snapshots(lake, first, last).persist(StorageLevel.MEMORY_AND_DISK)
    if snapshots.where(F.col(C.SNAPSHOT_DATE) == F.lit(last)).isEmpty():
        log.error("%s has no snapshot for %s: run build_tag_snapshots first", SNAPSHOTS_TABLE, last)
        return 1
    with timed(log, "score personas"):
        shares = score_personas(snapshots.where(F.col(C.SNAPSHOT_DATE) == F.lit(last)), personas).persist()
        traits = {(t.persona, t.tag_id, t.value) for t in PLANTED_TRAITS}
        planted = [
            row
            for row in rows_as_dicts(shares.orderBy(C.TAG_ID, C.VALUE, C.PERSONA))
            if (row[C.PERSONA], row[C.TAG_ID], row[C.VALUE]) in traits
        ]
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


if __name__ == "__main__":
    sys.exit(main())
