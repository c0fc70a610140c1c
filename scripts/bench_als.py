"""ALS training time per iteration and recall@10: Spark MLlib, the suite's implicit engine, bare `implicit`.

    .venv/bin/python scripts/bench_als.py --lake /work/bench/shop-100000 --date 2026-10-30 \
        [--rank 32] [--reg-param 0.5] [--alpha 5] [--iterations 10] [--repeats 2] [--csv out.csv]
        [--without-spark]

One matrix for all three: the evaluation split of a lake (evaluate_recommenders' training pairs, as of the
run date - recommend.test_days). Each is fitted with the same rank, iterations and seed on the same session
(local[2] from conf/local.yaml), and scored by the same harness on the same test users:
- `spark`: `transforms.recommend.als.fit_als` with engine spark (MLlib ALS, recommend.blocks blocks);
- `suite-implicit`: the same call with engine implicit: the pairs collected as Arrow, the fit, the factors
  handed back to Spark as an ALSModel;
- `implicit`: implicit's fit alone on the matrix already on the driver (the peer: the library's own speed).
Times are medians of --repeats fits; the ratio column is each engine's time over bare implicit's.
Spark and the suite's engine regularise each user and item by reg_param times its pair count (ALS-WR); bare
implicit applies reg_param as given, so at equal reg_param its model differs; recall shows what each gives.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

from shop_platform.config import load_config
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables
from transforms.recommend import evaluation as ev
from transforms.recommend.als import als_recommendations, fit_als
from transforms.recommend.als_implicit import confidence_matrix, fitted_model
from transforms.training_order import in_fixed_order

FIELDS = (
    "engine", "pairs", "rank", "reg_param", "alpha", "iterations", "seconds", "seconds_per_iteration",
    "ratio_to_implicit", "recall_at_10", "ndcg_at_10", "load",
)  # fmt: skip


def bare_implicit(matrix, *, rank: int, reg_param: float, iterations: int, seed: int):
    """implicit's own fit on a CSR matrix already on the driver; returns the fitted model."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=rank, regularization=reg_param, alpha=1.0, iterations=iterations, random_state=seed,
            calculate_training_loss=False,
        )  # fmt: skip
        model.fit(matrix, show_progress=False)
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, help="lake root that build_interactions has run on")
    parser.add_argument("--date", required=True, type=dt.date.fromisoformat, help="the evaluation's run date")
    parser.add_argument("--rank", type=int, default=32)
    parser.add_argument("--reg-param", type=float, nargs="+", default=[0.5])
    parser.add_argument("--alpha", type=float, nargs="+", default=[5.0])
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--without-spark", action="store_true", help="leave Spark's fit out (a quick grid)")
    args = parser.parse_args()

    cfg = load_config("local", [f"lake.root={args.lake}"])
    rec = cfg.recommend
    lake = open_lake(get_spark(cfg.spark, app_name="bench_als"), cfg.lake, check_writable=False)
    daily, user_index, item_index, events = (
        lake.table(spec).read()
        for spec in (tables.USER_ITEM_DAILY, tables.USER_INDEX, tables.ITEM_INDEX, tables.SILVER_EVENTS)
    )
    split = ev.time_split(daily, user_index, item_index, events, rec, split_date=args.date - dt.timedelta(
        days=rec.test_days), run_date=args.date, half_life_days=cfg.interactions.half_life_days,
        timezone=cfg.app.timezone)  # fmt: skip
    train = in_fixed_order(split.train.select(C.USER_IDX, C.ITEM_IDX, C.STRENGTH), [C.USER_IDX, C.ITEM_IDX])
    train = train.persist()
    pairs = train.count()
    print(f"{pairs} training pairs, {split.users.count()} evaluated users", flush=True)
    arrow = train.toArrow()
    columns = [
        arrow.column(name).to_numpy(zero_copy_only=False) for name in (C.USER_IDX, C.ITEM_IDX, C.STRENGTH)
    ]

    def timed(fit, *fit_args, **fit_kwargs):
        seconds, model = [], None
        for _ in range(args.repeats):
            started = time.perf_counter()
            model = fit(*fit_args, **fit_kwargs)
            seconds.append(time.perf_counter() - started)
        return statistics.median(seconds), model

    results = []
    for reg_param, alpha in itertools.product(args.reg_param, args.alpha):
        params = {"rank": args.rank, "reg_param": reg_param, "alpha": alpha, "max_iter": args.iterations}
        matrix = confidence_matrix(*columns, alpha)
        implicit_seconds, implicit_model = timed(
            bare_implicit,
            matrix,
            rank=args.rank,
            reg_param=reg_param,
            iterations=args.iterations,
            seed=rec.seed,
        )
        bare = fitted_model(lake.spark, matrix, implicit_model.user_factors, implicit_model.item_factors)
        fitted = {"implicit": (implicit_seconds, bare)}
        engines = [("implicit", "suite-implicit")] + ([] if args.without_spark else [("spark", "spark")])
        for engine, label in engines:
            fitted[label] = timed(fit_als, train, seed=rec.seed, blocks=rec.blocks, engine=engine, **params)
        load = os.getloadavg()[0]
        for label, (seconds, model) in fitted.items():
            # One scorer for every model, so the metrics compare the fits alone.
            lists = als_recommendations(
                model, split.users, split.user_index, split.item_index, k=rec.k, engine="spark"
            )
            metrics = ev.measure(lists, split, rec.k)
            results.append({
                "engine": label, "pairs": pairs, "rank": args.rank, "reg_param": reg_param, "alpha": alpha,
                "iterations": args.iterations, "seconds": round(seconds, 2),
                "seconds_per_iteration": round(seconds / args.iterations, 3),
                "ratio_to_implicit": round(seconds / implicit_seconds, 2),
                "recall_at_10": round(metrics[C.RECALL_AT_K], 4), "ndcg_at_10": round(metrics[C.NDCG_AT_K], 4),
                "load": round(load, 2),
            })  # fmt: skip
            print(results[-1], flush=True)
    if args.csv:
        new = not args.csv.exists()
        with args.csv.open("a", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=FIELDS)
            if new:
                writer.writeheader()
            writer.writerows(results)
    split.unpersist()
    return 0


if __name__ == "__main__":
    sys.exit(main())
