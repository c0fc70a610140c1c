"""The report's customer value section: BG/NBD checked on a holdout as Fader, Hardie and Lee (2005) do, its
rankings against the propensity model's, and the value tiers. Spark summaries of
gold.customer_value_holdout, gold.customer_value_ranking and gold.customer_value, and the section drawn from
them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.report import charts
from transforms.report.formats import count, day, humanize, missing, number, percent, table
from transforms.report.ordering import in_order
from transforms.report.page import Chart, Figures, Note, Section, Source
from transforms.value.holdout import TOP_FREQUENCY_BUCKET, VIEW_DAY, VIEW_FREQUENCY
from transforms.value.ranking import (
    ALL_CUSTOMERS,
    SCORE_EXPECTED,
    SCORE_P_ALIVE,
    SCORE_PROPENSITY,
    SCORED_BY_BOTH,
)

_TOTAL = "_total"
SCORE_LABELS = {
    SCORE_P_ALIVE: "P(alive) (BG/NBD)",
    SCORE_EXPECTED: "expected holdout orders (BG/NBD)",
    SCORE_PROPENSITY: "purchase propensity",
}
POPULATION_LABELS = {ALL_CUSTOMERS: "all calibration customers", SCORED_BY_BOTH: "scored by both models"}
# AUCs closer than this are read as a tie: the holdout's buyers are a sample, the third decimal is noise.
AUC_TIE = 0.01
USES = (
    "Which to use for what: BG/NBD's P(alive) and expected orders need nothing but orders, and with the "
    "Gamma-Gamma order value they give each customer's value (CLV): budget retention spend by them, and the "
    "value tiers rank by them. The propensity model reads behaviour (sessions, page views, cart adds, days "
    "active) and profile tags, and scores users who never bought too: when its AUC is the higher, it is the "
    "better list of who buys within its horizon, so pick the targets of short campaigns by it."
)


def holdout_views(holdout: DataFrame, run_date: dt.date) -> DataFrame:
    """Predicted against actual holdout purchases of one run (gold.customer_value_holdout), both views.

    Returns:
        VIEW, BUCKET, CALIBRATION_END, CUSTOMERS, PREDICTED, ACTUAL, by view and bucket.
    """
    return (
        holdout.where(F.col(C.RUN_DATE) == F.lit(run_date))
        .select(C.VIEW, C.BUCKET, C.CALIBRATION_END, C.CUSTOMERS, C.PREDICTED, C.ACTUAL)
        .transform(in_order, C.VIEW, C.BUCKET)
    )


def score_rankings(ranking: DataFrame, run_date: dt.date) -> DataFrame:
    """The AUCs of one run (gold.customer_value_ranking): the comparable population (customers scored by
    both models) first, then the best score first.

    Returns:
        CALIBRATION_END, RUN_DATE, SCORE_NAME, SOURCE, POPULATION, CUSTOMERS, POSITIVES, AUC.
    """
    return (
        ranking.where(F.col(C.RUN_DATE) == F.lit(run_date))
        .select(
            C.CALIBRATION_END,
            C.RUN_DATE,
            C.SCORE_NAME,
            C.SOURCE,
            C.POPULATION,
            C.CUSTOMERS,
            C.POSITIVES,
            C.AUC,
        )
        .transform(
            in_order,
            (F.col(C.POPULATION) == F.lit(SCORED_BY_BOTH)).desc(),
            F.col(C.AUC).desc_nulls_last(),
            C.SCORE_NAME,
        )
    )


def tier_summary(values: DataFrame, snapshot_date: dt.date) -> DataFrame:
    """Customers and value per value tier on one snapshot date (gold.customer_value).

    Returns:
        VALUE_TIER_RANK, VALUE_TIER, CUSTOMERS, SHARE (of the date's customers), MEAN_CLV, TOTAL_CLV,
        MEAN_P_ALIVE, MEAN_EXPECTED_ORDERS, highest tier first.
    """
    tiers = (
        values.where(F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date))
        .groupBy(C.VALUE_TIER_RANK, C.VALUE_TIER)
        .agg(
            F.count(F.lit(1)).alias(C.CUSTOMERS),
            F.avg(C.CLV).alias(C.MEAN_CLV),
            F.sum(C.CLV).alias(C.TOTAL_CLV),
            F.avg(C.P_ALIVE).alias(C.MEAN_P_ALIVE),
            F.avg(C.EXPECTED_ORDERS).alias(C.MEAN_EXPECTED_ORDERS),
        )
    )
    # One total row: the cross join keeps one row per tier.
    total = tiers.agg(F.sum(C.CUSTOMERS).alias(_TOTAL))
    return (
        tiers.crossJoin(total)
        .select(
            C.VALUE_TIER_RANK,
            C.VALUE_TIER,
            C.CUSTOMERS,
            (F.col(C.CUSTOMERS) / F.col(_TOTAL)).alias(C.SHARE),
            C.MEAN_CLV,
            C.TOTAL_CLV,
            C.MEAN_P_ALIVE,
            C.MEAN_EXPECTED_ORDERS,
        )
        .transform(in_order, C.VALUE_TIER_RANK)
    )


def frequency_label(bucket: int) -> str:
    """A calibration frequency bucket as shown: "3", and "7+" for the top bucket."""
    return f"{bucket}+" if bucket >= TOP_FREQUENCY_BUCKET else str(bucket)


def _named(row: pd.Series) -> str:
    """BG/NBD's score of a ranking row as a sentence names it."""
    return {SCORE_P_ALIVE: "P(alive)", SCORE_EXPECTED: "expected holdout orders"}.get(
        row["score_name"], row["score_name"]
    )


def ranking_guidance(rankings: pd.DataFrame) -> list[str]:
    """What the AUCs say, in a sentence, plus a warning for a BG/NBD score that ranks worse than chance.

    Compared on the customers both models scored when the propensity model scored any, else on all
    calibration customers. Expects `score_rankings` columns.
    """
    scored = rankings.dropna(subset=["auc"])
    both = scored[scored["population"] == SCORED_BY_BOTH]
    pool = both if not both.empty else scored[scored["population"] == ALL_CUSTOMERS]
    bg = pool[pool["score_name"].isin([SCORE_P_ALIVE, SCORE_EXPECTED])]
    propensity = pool[pool["score_name"] == SCORE_PROPENSITY]
    if bg.empty:
        return [
            "No score could be ranked on this holdout: it needs both customers who bought and who did not."
        ]
    days = (pd.Timestamp(pool["run_date"].iloc[0]) - pd.Timestamp(pool["calibration_end"].iloc[0])).days
    best = bg.loc[bg["auc"].idxmax()]
    if propensity.empty:
        sentences = [
            f"Only BG/NBD's scores were ranked on this {days}-day holdout (there were no propensity scores of "
            f"the calibration end): its {_named(best)} ranks the buyers best, AUC {number(best['auc'])}."
        ]
    else:
        rival = propensity.iloc[0]
        ours, theirs = f"AUC {number(best['auc'])}", f"AUC {number(rival['auc'])}"
        if rival["auc"] - best["auc"] >= AUC_TIE:
            verdict = (
                f"the propensity model ranks who buys better ({theirs}) than BG/NBD's {_named(best)} "
                f"({ours}, its better score): pick the targets of short campaigns by the propensity score"
            )
        elif best["auc"] - rival["auc"] >= AUC_TIE:
            verdict = (
                f"BG/NBD's {_named(best)} ranks who buys better ({ours}) than the propensity model ({theirs}): "
                "it needs only orders, so it can pick the targets as well as give their value"
            )
        else:
            verdict = (
                f"BG/NBD's {_named(best)} ({ours}) and the propensity model ({theirs}) rank who buys about "
                "as well"
            )
        customers = count(rival["customers"])
        sentences = [f"On this {days}-day holdout, over the {customers} customers both scored, {verdict}."]
    alive = bg[bg["score_name"] == SCORE_P_ALIVE]
    if not alive.empty and alive["auc"].iloc[0] < 0.5:
        instead = "; rank by expected orders instead" if best["score_name"] == SCORE_EXPECTED else ""
        sentences.append(
            "P(alive) ranks worse than chance here: BG/NBD gives every customer without a repeat purchase a "
            f"P(alive) of 1, so it puts one-time buyers first{instead}."
        )
    return sentences


def value_section(
    views: pd.DataFrame | None,
    rankings: pd.DataFrame | None,
    tiers: pd.DataFrame | None,
    tier_names: Mapping[str, tuple[str, str]],
    horizon_days: int,
    sources: Sequence[Source],
) -> Section:
    """The holdout validation of BG/NBD, its rankings against the propensity model's and the value tiers.

    Args:
        tier_names: Tier id -> (English, Chinese) names (clv.tiers).
        horizon_days: The CLV's horizon (clv.horizon_days), for the tiers' headings.
    """
    blocks: list = []
    by_day = None if missing(views) else views[views["view"] == VIEW_DAY]
    by_frequency = None if missing(views) else views[views["view"] == VIEW_FREQUENCY]
    if not missing(by_day):
        last = by_day.iloc[-1]
        blocks.append(
            Figures(
                [
                    ("calibration end", day(last["calibration_end"])),
                    ("calibration customers", count(last["customers"])),
                    (f"repeat purchases predicted in {int(last['bucket'])} days", number(last["predicted"])),
                    ("actual", count(last["actual"])),
                    (
                        "predicted / actual",
                        number(last["predicted"] / last["actual"]) if last["actual"] else "–",
                    ),
                ]
            )
        )
        tracking = charts.holdout_tracking(
            by_day, "Cumulative repeat purchases in the holdout: predicted and actual"
        )
        blocks.append(Chart("value-tracking", tracking))
    if not missing(by_frequency):
        labelled = by_frequency.assign(label=[frequency_label(int(b)) for b in by_frequency["bucket"]])
        expectations = charts.conditional_expectations(
            labelled, "Holdout purchases per customer by repeat purchases in the calibration period"
        )
        blocks.append(Chart("value-frequency", expectations))
        blocks.append(
            table(
                "Mean holdout purchases per customer by repeat purchases in the calibration period",
                labelled,
                {
                    "label": ("repeat purchases", str),
                    "customers": ("customers", count),
                    "predicted": ("predicted", number),
                    "actual": ("actual", number),
                },
            )
        )
    if not missing(rankings):
        blocks.extend(Note(sentence) for sentence in ranking_guidance(rankings))
        blocks.append(
            table(
                "Who buys in the holdout: ROC AUC of each score",
                rankings,
                {
                    "score_name": ("score", lambda v: SCORE_LABELS.get(v, v)),
                    "source": ("source", str),
                    "population": ("population", lambda v: POPULATION_LABELS.get(v, v)),
                    "customers": ("customers", count),
                    "positives": ("bought", count),
                    "auc": ("AUC", number),
                },
            )
        )
    if not missing(views) or not missing(rankings):
        blocks.append(Note(USES))
    if not missing(tiers):
        named = tiers.assign(
            name=[tier_names.get(t, (humanize(t), ""))[0] for t in tiers["value_tier"]],
            name_zh=[tier_names.get(t, ("", ""))[1] for t in tiers["value_tier"]],
        )
        blocks.append(
            table(
                f"Value tiers by {horizon_days}-day CLV",
                named,
                {
                    "value_tier": ("tier", str),
                    "name": ("name", str),
                    "name_zh": ("中文", str),
                    "customers": ("customers", count),
                    "share": ("share", percent),
                    "mean_clv": ("mean CLV", number),
                    "total_clv": ("total CLV", number),
                    "mean_p_alive": ("mean P(alive)", number),
                    "mean_expected_orders": (f"mean expected orders, {horizon_days} days", number),
                },
            )
        )
    return Section(
        "value",
        "Customer value",
        "BG/NBD fitted on the orders up to a calibration end and checked against the repeat purchases of the "
        "holdout after it, how well its scores pick the holdout's buyers against the propensity model's, and "
        "the customers' value tiers by CLV.",
        sources,
        blocks,
    )
