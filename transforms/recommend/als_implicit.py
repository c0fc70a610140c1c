"""ALS fitted on the driver with the `implicit` library's solver, handed back as a Spark ALSModel.

Spark's ALS ships every factor block through a shuffle on every half-iteration; on one machine that
machinery, not the algebra, is the cost. At the 100k-user sample shop's evaluation matrix (3.9M pairs,
rank 32, 10 iterations, 2 cores) Spark's fit took 41.5 s and this one 6.5 s, with NDCG@10 0.1262 and 0.1266
and recall@10 0.1730 and 0.1737 (scripts/bench_als.py, BENCHMARKS.md). So where Spark runs in local mode the suite fits
here and wraps the factors in an ALSModel: scoring, similar items, MLflow logging and the registry stay
Spark's, and a cluster keeps Spark's distributed ALS (`recommend.engine`).

The equations are Spark's, not implicit's defaults: confidence 1 + alpha * |strength|, preference 1 for a
positive strength and 0 for a negative one, and each user's (item's) factors regularised by reg_param times
its number of positive pairs (ALS-WR, `alternating_least_squares`). implicit's own model regularises every
row by the same reg_param: on the same matrix its best of a small grid reached NDCG@10 0.117, so a grid tuned
for Spark would not carry over. The solver differs: three conjugate-gradient steps from the previous factors
per half-iteration (implicit's) where Spark solves each exactly.
"""

from __future__ import annotations

import numpy as np
from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from transforms import columns as C
from transforms.recommend.indexed_lists import lists_from_driver

# The schema Spark's ALSModel keeps its factors in.
_FACTORS_SCHEMA = T.StructType(
    [
        T.StructField("id", T.IntegerType(), False),
        T.StructField("features", T.ArrayType(T.FloatType()), False),
    ]
)


def implicit_installed() -> bool:
    """True when the `implicit` package can be imported."""
    try:
        import implicit.cpu.als  # noqa: F401
    except ImportError:
        return False
    return True


def confidence_matrix(users: np.ndarray, items: np.ndarray, strengths: np.ndarray, alpha: float):
    """The user x item CSR matrix implicit fits: 1 + alpha * |strength|, negative where the strength is
    (implicit's sign for preference 0); zero strengths are left out, as Spark's ALS ignores them.

    Rows and columns are the indexes themselves, so row u is USER_IDX u; duplicate pairs add up. Each row's
    entries are sorted by column, so the solver sums them in one order whatever order the pairs came in: the
    same pairs give the same factors without Spark's fixed training layout.
    """
    from scipy.sparse import csr_matrix

    kept = strengths != 0
    users, items, strengths = users[kept], items[kept], strengths[kept]
    confidence = (np.sign(strengths) * (1.0 + alpha * np.abs(strengths))).astype(np.float32)
    shape = (int(users.max()) + 1, int(items.max()) + 1) if len(users) else (0, 0)
    matrix = csr_matrix((confidence, (users, items)), shape=shape, dtype=np.float32)
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def fit_implicit_als(
    train: DataFrame, *, rank: int, reg_param: float, alpha: float, max_iter: int, seed: int
) -> ALSModel:
    """Fit ALS on the training interactions (USER_IDX, ITEM_IDX, STRENGTH) on the driver.

    The pairs travel to the driver once as Arrow (16 bytes a pair: 78 MB at 4.9M pairs); the factors come
    back as two DataFrames. Only users and items with a pair get factors, as in Spark's model, so scoring an
    unseen user yields no list (coldStartStrategy drop).

    Raises:
        ValueError: `train` has no pair with a non-zero strength.
    """
    pairs = train.select(C.USER_IDX, C.ITEM_IDX, C.STRENGTH).toArrow()
    users, items, strengths = (
        pairs.column(name).to_numpy(zero_copy_only=False) for name in (C.USER_IDX, C.ITEM_IDX, C.STRENGTH)
    )
    matrix = confidence_matrix(users, items, strengths, alpha)
    if matrix.nnz == 0:
        raise ValueError(f"no training pair with a non-zero {C.STRENGTH}: nothing to fit ALS on")
    user_factors, item_factors = alternating_least_squares(
        matrix, rank=rank, reg_param=reg_param, max_iter=max_iter, seed=seed
    )
    return fitted_model(train.sparkSession, matrix, user_factors, item_factors)


def fitted_model(spark: SparkSession, matrix, user_factors: np.ndarray, item_factors: np.ndarray) -> ALSModel:
    """The ALSModel of factors fitted on `matrix`: only users and items with a pair in it keep theirs."""
    fitted_users = np.flatnonzero(np.diff(matrix.indptr))
    fitted_items = np.unique(matrix.indices)
    return als_model_from_factors(
        spark,
        user_factors.shape[1],
        factors_frame(spark, fitted_users, user_factors[fitted_users]),
        factors_frame(spark, fitted_items, item_factors[fitted_items]),
    )


def alternating_least_squares(
    matrix, *, rank: int, reg_param: float, max_iter: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """User and item factors of the confidence matrix (`confidence_matrix`), with Spark's regularisation.

    Spark regularises a user's factors by reg_param times the user's number of positive pairs (and an
    item's likewise); implicit's solver takes one number for all. Appending `rank` pseudo-items whose
    factors are the unit vectors, each paired with every user at confidence -(reg_param * n_u), adds
    exactly reg_param * n_u * I to that user's normal equations and nothing to the right-hand side (a
    negative confidence is implicit's preference 0): Spark's equations, solved by implicit's conjugate
    gradient with solver regularisation 0. Like Spark, each iteration solves the items from the users, then
    the users from the items; the initial factors are seeded unit-length Gaussian vectors, as Spark's.
    """
    from implicit.cpu._als import least_squares_cg
    from threadpoolctl import threadpool_limits

    random = np.random.default_rng(seed)
    users = unit_vectors(random, matrix.shape[0], rank)
    items = unit_vectors(random, matrix.shape[1], rank)
    by_user = with_regularisation(matrix, reg_param, rank)
    by_item = with_regularisation(matrix.T.tocsr(), reg_param, rank)
    pseudo = np.eye(rank, dtype=np.float32) if reg_param > 0 else np.empty((0, rank), dtype=np.float32)
    # implicit runs its own threads over users; a multi-threaded BLAS underneath them only contends.
    with threadpool_limits(1, "blas"):
        for _ in range(max_iter):
            least_squares_cg(by_item, items, np.vstack([users, pseudo]), 0.0)
            least_squares_cg(by_user, users, np.vstack([items, pseudo]), 0.0)
    return users, items


def unit_vectors(random: np.random.Generator, count: int, rank: int) -> np.ndarray:
    """`count` Gaussian vectors scaled to length 1 (float32, one per row)."""
    vectors = random.standard_normal((count, rank))
    return np.ascontiguousarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), dtype=np.float32)


def with_regularisation(matrix, reg_param: float, rank: int):
    """`matrix` (rows solved for) with `rank` pseudo-columns holding -(reg_param * positive pairs of the row)
    for every row with a positive pair (`alternating_least_squares`); `matrix` itself when reg_param is 0."""
    from scipy.sparse import csr_matrix, hstack

    if reg_param == 0:
        return matrix
    positives = np.diff((matrix > 0).tocsr().indptr)
    rows = np.repeat(np.flatnonzero(positives), rank)
    columns = np.tile(np.arange(rank), len(rows) // rank)
    penalty = np.repeat(-reg_param * positives[positives > 0], rank).astype(np.float32)
    pseudo = csr_matrix((penalty, (rows, columns)), shape=(matrix.shape[0], rank), dtype=np.float32)
    return hstack([matrix, pseudo], format="csr", dtype=np.float32)


def factors_frame(spark: SparkSession, ids: np.ndarray, factors: np.ndarray) -> DataFrame:
    """`ids` and their factor rows as the DataFrame (id, features) an ALSModel holds."""
    import pyarrow as pa

    rank = factors.shape[1] if factors.ndim == 2 else 0
    flat = pa.array(np.ascontiguousarray(factors, dtype=np.float32).reshape(-1))
    features = pa.ListArray.from_arrays(
        pa.array(np.arange(0, len(ids) * rank + 1, rank, dtype=np.int32)), flat
    )
    table = pa.table({"id": pa.array(ids.astype(np.int32)), "features": features})
    return spark.createDataFrame(table, schema=_FACTORS_SCHEMA)


def als_model_from_factors(
    spark: SparkSession, rank: int, user_factors: DataFrame, item_factors: DataFrame
) -> ALSModel:
    """A Spark ALSModel over USER_IDX and ITEM_IDX holding the given factors (id, features).

    Spark builds an ALSModel only from its own fit or a saved model; its JVM constructor (package-private in
    Scala, public in the bytecode) takes the factors directly, the way ALS.fit calls it.
    """
    jvm = spark.sparkContext._jvm
    uid = jvm.org.apache.spark.ml.util.Identifiable.randomUID("als")
    java_model = jvm.org.apache.spark.ml.recommendation.ALSModel(
        uid, rank, user_factors._jdf, item_factors._jdf
    )
    # Set on the JVM side: recommendFor* read the JVM model's columns, not the Python wrapper's.
    java_model.setUserCol(C.USER_IDX).setItemCol(C.ITEM_IDX).setColdStartStrategy("drop")
    return ALSModel._from_java(java_model)


def factor_matrix(factors: DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """An ALSModel's factors (id, features) on the driver: the ids and one row of factors per id (float32)."""
    import pyarrow.compute as pc

    table = factors.select("id", "features").toArrow()
    ids = table.column("id").to_numpy().astype(np.int32)
    flat = pc.list_flatten(table.column("features")).to_numpy().astype(np.float32)
    return ids, flat.reshape(len(ids), -1) if len(ids) else np.empty((0, 0), dtype=np.float32)


def seen_mask(seen: DataFrame, user_ids: np.ndarray, item_ids: np.ndarray):
    """The seen pairs (USER_IDX, ITEM_IDX) as a CSR matrix over the positions of `user_ids` (rows) and
    `item_ids` (columns); pairs of users or items without factors are left out. Two int32 a pair travel to
    the driver (31 MB for 3.9M pairs), once."""
    from scipy.sparse import csr_matrix

    pairs = seen.select(C.USER_IDX, C.ITEM_IDX).toArrow()
    users, items = (pairs.column(name).to_numpy(zero_copy_only=False) for name in (C.USER_IDX, C.ITEM_IDX))
    rows, row_known = _positions(user_ids, users)
    columns, column_known = _positions(item_ids, items)
    known = row_known & column_known
    ones = np.ones(int(known.sum()), dtype=np.bool_)
    return csr_matrix((ones, (rows[known], columns[known])), shape=(len(user_ids), len(item_ids)))


def _positions(ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `wanted` stands in `ids` (distinct, any order), and whether it is there at all."""
    order = np.argsort(ids, kind="stable")
    found = np.searchsorted(ids[order], wanted)
    found = np.minimum(found, max(len(ids) - 1, 0))
    known = ids[order][found] == wanted if len(ids) else np.zeros(len(wanted), dtype=np.bool_)
    return order[found] if len(ids) else found, known


def top_items_on_driver(
    model: ALSModel, users: DataFrame | None, k: int, seen: DataFrame | None = None, batch: int = 4096
) -> DataFrame:
    """Each user's `k` best-scored items, scored on the driver: USER_IDX, RANK, ITEM_IDX, SCORE.

    What Spark's recommendForAllUsers / recommendForUserSubset compute (the dot product of the user's and the
    item's factors), in float32 matrix products of `batch` users at a time with numpy's BLAS; Spark's
    blockified cross join runs in Java BLAS here (22 s of task time for 95k users x 2,000 items). The factors
    are small (rank floats per user and item); the lists go back to Spark as Arrow, which is the dear part
    for many users: 15 s in all for 100k users x 50 items, where the evaluation grid's 39k users x 10 items
    were scored and measured in 1.5-4.4 s against Spark's 7-16 s (BENCHMARKS.md). Ties go to the smaller item
    index, except at the k-th place, where the partition picks.

    Args:
        users: USER_IDX of the users to score (users the model does not know get no list); None for all.
        seen: USER_IDX, ITEM_IDX pairs never listed (their scores are masked before the top k is taken, so a
            user still gets k items when the catalogue has k unseen ones), or None.
    """

    user_ids, user_factors = factor_matrix(model.userFactors)
    item_ids, item_factors = factor_matrix(model.itemFactors)
    if users is not None:
        wanted = users.select(C.USER_IDX).toArrow().column(C.USER_IDX).to_numpy()
        known = np.isin(user_ids, wanted)
        user_ids, user_factors = user_ids[known], user_factors[known]
    mask = None if seen is None else seen_mask(seen, user_ids, item_ids)
    depth = min(k, len(item_ids))
    item_ids_by_rank, scores = [], []
    for start in range(0, len(user_ids) if depth else 0, batch):
        scored = user_factors[start : start + batch] @ item_factors.T
        if mask is not None:
            scored[mask[start : start + batch].nonzero()] = -np.inf
        best = np.argpartition(-scored, depth - 1, axis=1)[:, :depth]
        best_scores = np.take_along_axis(scored, best, axis=1)
        order = np.lexsort((item_ids[best], -best_scores), axis=1)
        item_ids_by_rank.append(item_ids[np.take_along_axis(best, order, axis=1)].reshape(-1))
        scores.append(np.take_along_axis(best_scores, order, axis=1).reshape(-1))
    count = len(user_ids) if depth else 0
    flat_scores = np.concatenate(scores).astype(np.float64) if count else np.empty(0)
    # A masked (seen) item only fills the places of a user with fewer than k unseen items: drop them.
    listed = np.isfinite(flat_scores)
    return lists_from_driver(
        model.userFactors.sparkSession,
        np.repeat(user_ids[:count], depth)[listed],
        np.tile(np.arange(1, depth + 1, dtype=np.int32), count)[listed],
        np.concatenate(item_ids_by_rank)[listed] if count else np.empty(0, dtype=np.int32),
        flat_scores[listed],
    )
