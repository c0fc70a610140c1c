"""The report of `measure_tag_truth`: the tag values each planted persona was built to show, the churn
tags against the planted churners, and the pass/fail checks on them.

The shares and detections are computed by `sample_shop.truth.tags`; this module names what was planted
(see `sample_shop/generator/personas.py`), collects the small results and judges them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.truth.reports import Check, rows_as_dicts
from sample_shop.truth.tags import (
    BOOLEAN_TRUE,
    churn_detection,
    flagged_share,
    persona_value_shares,
    summarise_churn_detection,
)
from shop_platform.logs import get_logger
from transforms import columns as C
from transforms.tags.lifecycle import AT_RISK, CHURNED

log = get_logger(__name__)

BOT_PERSONA = "bot"


@dataclass(frozen=True)
class PlantedTrait:
    """A tag value the generator's persona was built to show (see sample_shop/generator/personas.py)."""

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


def score_personas(snapshot: DataFrame, personas: DataFrame) -> DataFrame:
    """`persona_value_shares` of the planted traits' and churn flags' tags, bots left out."""
    tag_ids = sorted({trait.tag_id for trait in PLANTED_TRAITS} | set(CHURN_FLAGS))
    scored = personas.where(F.col(TC.PERSONA) != F.lit(BOT_PERSONA))
    return persona_value_shares(snapshot, scored, tag_ids)


def planted_rows(shares: DataFrame) -> list[dict[str, Any]]:
    """The rows of `score_personas` that are planted traits (a few dozen at most), ordered by tag, value
    and persona."""
    traits = {(t.persona, t.tag_id, t.value) for t in PLANTED_TRAITS}
    return [
        row
        for row in rows_as_dicts(shares.orderBy(C.TAG_ID, C.VALUE, TC.PERSONA))
        if (row[TC.PERSONA], row[C.TAG_ID], row[C.VALUE]) in traits
    ]


def score_churn(
    snapshots: DataFrame, churn: DataFrame, personas: DataFrame, silent_days: int
) -> dict[str, Any]:
    """Per churn tag: the churners' detection summary and the false-alarm share among non-churners."""
    last = snapshots.agg(F.max(C.SNAPSHOT_DATE)).first()[0]
    never_churned = (
        personas.where(F.col(TC.PERSONA) != F.lit(BOT_PERSONA))
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
    """One check per planted trait (lift >= `min_lift`) and `churn_settled`."""
    by_key = {(row[TC.PERSONA], row[C.TAG_ID], row[C.VALUE]): row for row in shares}
    checks = []
    for trait in PLANTED_TRAITS:
        row = by_key.get((trait.persona, trait.tag_id, trait.value))
        lift = None if row is None else row[C.LIFT]
        detail = (
            f"no {trait.persona} user holds {trait.tag_id}={trait.value}"
            if row is None
            else f"{row[TC.TAGGED]} of {row[C.USERS]} {trait.persona} users ({row[C.SHARE]:.3f}) hold "
            f"{trait.tag_id}={trait.value}, against {row[TC.OTHERS_TAGGED]} of {row[TC.OTHERS_USERS]} others "
            f"({(row[TC.OTHERS_SHARE] or 0.0):.3f})"
        )
        checks.append(Check.at_least(trait.check_name, lift, min_lift, detail))
    settled = churn[SETTLED_FLAG]["churners"]
    share = (
        settled[TC.SETTLED_FLAGGED] / settled[TC.SETTLED_CHURNERS] if settled[TC.SETTLED_CHURNERS] else None
    )
    checks.append(
        Check(
            "churn_settled",
            share,
            1.0,
            share is None or share == 1.0,
            f"{settled[TC.SETTLED_FLAGGED]} of {settled[TC.SETTLED_CHURNERS]} churners silent for longer than "
            "lifecycle.silent_days are at_risk or churned",
        )
    )
    return checks


def log_report(report: dict[str, Any]) -> None:
    """One log line per planted trait and per churn tag."""
    for trait in report["planted_traits"]:
        log.info(
            "%s holding %s=%s: %d of %d (%.3f) against %d of %d others (%.3f), lift %s",
            trait[TC.PERSONA], trait[C.TAG_ID], trait[C.VALUE], trait[TC.TAGGED], trait[C.USERS], trait[C.SHARE],
            trait[TC.OTHERS_TAGGED], trait[TC.OTHERS_USERS], trait[TC.OTHERS_SHARE] or 0.0,
            "n/a" if trait[C.LIFT] is None else f"{trait[C.LIFT]:.2f}",
        )  # fmt: skip
    for tag_id, churn in report["churn"].items():
        churners, others = churn["churners"], churn["never_churned_flagged_on_last_snapshot"]
        log.info(
            "%s in %s: %d churners, %d flagged on their churn day, %d flagged by the last snapshot "
            "(median lag %s days, p90 %s); never-churned users flagged on the last snapshot: %d of %d",
            tag_id, churn["flagged_values"], churners[TC.CHURNERS], churners[TC.FLAGGED_ON_CHURN_DAY],
            churners[TC.FLAGGED_BY_LAST_SNAPSHOT], churners[TC.MEDIAN_LAG_DAYS], churners[TC.P90_LAG_DAYS],
            others[TC.FLAGGED_USERS], others[C.USERS],
        )  # fmt: skip
