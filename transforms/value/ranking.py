"""Which customers will buy again: BG/NBD's rankings against the propensity model's on the same holdout.

The label is a purchase in the holdout (E, D] by a customer who had bought by E. BG/NBD ranks by P(alive) at E
and by its expected holdout purchases; the propensity model by its score of E (gold.user_propensity), which
predicts exactly this when the holdout is its horizon. Every score is compared on the customers all of them
scored, so the AUCs are comparable; BG/NBD's are also given over all calibration customers.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.propensity.evaluation import area_under_roc

# The scores a ranking row names.
SCORE_P_ALIVE = "p_alive"
SCORE_EXPECTED = "expected_orders"
SCORE_PROPENSITY = "purchase_propensity"
# Where a row was measured: every calibration customer, or those the propensity model scored too.
ALL_CUSTOMERS = "all_customers"
SCORED_BY_BOTH = "scored_by_both"
BG_NBD_SOURCE = "bg_nbd_calibration_fit"


@dataclass(frozen=True)
class RankingAuc:
    """One score's ROC AUC for 'buys in the holdout' over one population."""

    score: str
    # Where the score came from: BG/NBD's calibration fit, or the propensity table it was read from.
    source: str
    population: str
    customers: int
    positives: int
    auc: float | None


def _auc(labelled: DataFrame, score: str, source: str, population: str) -> RankingAuc:
    customers, positives = labelled.agg(F.count(F.lit(1)), F.sum(C.PURCHASED)).first()
    positives = int(positives or 0)
    # Both classes are needed for an AUC.
    auc = (
        area_under_roc(labelled.select(F.col(score).alias(C.SCORE), C.PURCHASED))
        if 0 < positives < customers
        else None
    )
    return RankingAuc(score, source, population, int(customers), positives, auc)


def ranking_aucs(
    predicted: DataFrame, holdout: DataFrame, propensity: DataFrame | None, propensity_source: str = ""
) -> list[RankingAuc]:
    """The AUCs of P(alive), expected purchases and (when given) the propensity score.

    Args:
        predicted: `holdout.predicted_holdout` rows (USER_ID, P_ALIVE, PREDICTED).
        holdout: `holdout.holdout_purchases` rows (USER_ID, ORDER_DATE).
        propensity: The propensity model's scores of the calibration end (USER_ID, PURCHASE_PROPENSITY), or None.
        propensity_source: The table they were read from, for the rows.
    """
    buyers = holdout.select(C.USER_ID).distinct().select(C.USER_ID, F.lit(1.0).alias(C.PURCHASED))
    # One row per customer on each side: the left join keeps one row per customer.
    labelled = (
        predicted.join(buyers, on=[C.USER_ID], how="left")
        .select(
            C.USER_ID,
            F.col(C.P_ALIVE).alias(SCORE_P_ALIVE),
            F.col(C.PREDICTED).alias(SCORE_EXPECTED),
            F.coalesce(F.col(C.PURCHASED), F.lit(0.0)).alias(C.PURCHASED),
        )
        .cache()
    )
    try:
        rows = [_auc(labelled, s, BG_NBD_SOURCE, ALL_CUSTOMERS) for s in (SCORE_P_ALIVE, SCORE_EXPECTED)]
        if propensity is not None:
            both = labelled.join(
                propensity.select(C.USER_ID, F.col(C.PURCHASE_PROPENSITY).alias(SCORE_PROPENSITY)),
                on=[C.USER_ID],
                how="inner",
            )
            rows += [_auc(both, s, BG_NBD_SOURCE, SCORED_BY_BOTH) for s in (SCORE_P_ALIVE, SCORE_EXPECTED)]
            rows.append(_auc(both, SCORE_PROPENSITY, propensity_source, SCORED_BY_BOTH))
        return rows
    finally:
        labelled.unpersist()
