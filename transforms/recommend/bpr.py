"""Bayesian Personalized Ranking (BPR) with the `implicit` library, fitted on the driver.

BPR (Rendle et al. 2009) learns user and item factors so that each user's items score above the items the
user has no pair with: stochastic gradient steps on ln sigmoid(x_ui - x_uj) over sampled triples (user u,
one of u's items i, another item j), with an L2 penalty on the factors. ALS fits confidence-weighted
preferences and ranks as a by-product; BPR optimises the ranking itself. How implicit's CPU solver is used:

- The matrix is binary: a pair with a positive strength is a positive pair, whatever its size (implicit
  ignores the values); zero and negative strengths are no pair.
- Each epoch samples as many triples as there are pairs; j is the item of a random pair (so negatives are
  drawn in proportion to popularity), and a j the user has is skipped (verify_negative_samples).
- Each item's last factor is a bias (the user's is fixed at 1), so the dot product includes it.
- One thread: with more, implicit's threads update shared factors without locks (Hogwild) and the same seed
  no longer gives the same factors. BLAS is kept to one thread too, as for ALS's implicit engine.
- Only users and items with a positive pair get factors, as in ALS: a user without one gets no list.

The factors go back to Spark as an ALSModel (als_implicit.fitted_model), so the lists are ALS's implicit
engine's: scored on the driver, the seen pairs masked before the top k (top_items_on_driver).

BPR has no distributed solver. On a session that is not local mode (a cluster) it is neither evaluated nor
served: the whole matrix would travel to the driver and one core would fit it while the executors wait.
`bpr_unavailable` says why, and the jobs log it; a Databricks single-node cluster runs local mode and keeps
it.
"""

from __future__ import annotations

import numpy as np
from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.recommend.als_implicit import confidence_matrix, fitted_model, implicit_installed


def bpr_unavailable(spark: SparkSession) -> str | None:
    """Why BPR cannot run on `spark`, or None when it can (a local-mode session with `implicit` installed)."""
    if not implicit_installed():
        return "the implicit package cannot be imported (pip install implicit)"
    master = spark.conf.get("spark.master", "")
    if not master.startswith("local"):
        return (
            f"it fits on the driver only and spark.master is {master!r}, not local mode: the whole matrix "
            f"would travel to the driver and one core would fit it"
        )
    return None


def fit_bpr(
    train: DataFrame, *, factors: int, learning_rate: float, regularization: float, iterations: int, seed: int
) -> ALSModel:
    """Fit BPR on the training interactions (USER_IDX, ITEM_IDX, STRENGTH) on the driver.

    The positive pairs travel to the driver once as Arrow; the factors (`factors` + 1 per user and item, the
    last the item's bias) come back as an ALSModel over USER_IDX and ITEM_IDX.

    Raises:
        ValueError: `train` has no pair with a positive strength.
    """
    from implicit.cpu.bpr import BayesianPersonalizedRanking
    from threadpoolctl import threadpool_limits

    pairs = train.where(F.col(C.STRENGTH) > F.lit(0.0)).select(C.USER_IDX, C.ITEM_IDX, C.STRENGTH).toArrow()
    users, items, strengths = (
        pairs.column(name).to_numpy(zero_copy_only=False) for name in (C.USER_IDX, C.ITEM_IDX, C.STRENGTH)
    )
    # alpha 0: every positive pair is a 1, rows sorted by column (the same pairs give the same samples).
    matrix = confidence_matrix(users, items, strengths, alpha=0.0)
    if matrix.nnz == 0:
        raise ValueError(f"no training pair with a positive {C.STRENGTH}: nothing to fit BPR on")
    model = BayesianPersonalizedRanking(
        factors=factors,
        learning_rate=learning_rate,
        regularization=regularization,
        iterations=iterations,
        dtype=np.float32,
        num_threads=1,
        random_state=seed,
    )
    with threadpool_limits(1, "blas"):
        model.fit(matrix, show_progress=False)
    return fitted_model(train.sparkSession, matrix, model.user_factors, model.item_factors)
