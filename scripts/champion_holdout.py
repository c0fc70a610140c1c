"""The served champions out of sample: each evaluation's champions scored on the next evaluation's test days.

    .venv/bin/python scripts/champion_holdout.py --lake LAKE [--markdown out.md]

build_recommendations serves each user group the champion of the latest evaluation (transforms.recommend.
champions). Measuring the served lists on the evaluation that chose them flatters the rule where models are
close; here the champions of the evaluation of run date p serve the test days of the next run date d, as they
would in production (gold.recommendation_metrics_by_group, evaluations with non-overlapping test days, e.g.
evaluate_recommenders run weekly with recommend.test_days 7). Users with history are the light and heavy
groups, pooled over every d by their evaluated users.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections import defaultdict
from pathlib import Path

from shop_platform.config import load_config
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables
from transforms.recommend.blend import HEAVY, LIGHT, NEW
from transforms.recommend.champions import choose_champions
from transforms.recommend.models import POPULARITY

WITH_HISTORY = (LIGHT, HEAVY)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, type=Path, help="a lake evaluate_recommenders has run on")
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args(argv)
    cfg = load_config("local", [f"lake.root={args.lake}"])
    lake = open_lake(get_spark(cfg.spark, app_name="champion_holdout"), cfg.lake, check_writable=False)
    rows = (
        lake.table(tables.RECOMMENDATION_METRICS_BY_GROUP)
        .read()
        .select(C.RUN_DATE, C.USER_GROUP, C.MODEL, C.NDCG_AT_K, C.EVALUATED_USERS)
        .collect()
    )
    # run date -> group -> model -> (NDCG@k, evaluated users): a few hundred rows.
    scores: dict = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        scores[row[C.RUN_DATE]][row[C.USER_GROUP]][row[C.MODEL]] = (
            row[C.NDCG_AT_K] or 0.0,
            row[C.EVALUATED_USERS],
        )
    dates = sorted(scores)
    lines = [
        "| run date | chosen on | group | users | champion | served NDCG@10 | in-sample champion | its NDCG@10 "
        "| popularity NDCG@10 |",
        "|---|---|---|---:|---|---:|---|---:|---:|",
    ]
    pooled = defaultdict(lambda: [0.0, 0.0, 0.0, 0])  # group -> served, in-sample, popularity sums, users
    for previous, current in itertools.pairwise(dates):
        earlier = choose_champions(
            (group, model, ndcg)
            for group, models in scores[previous].items()
            for model, (ndcg, _) in models.items()
        )
        now = choose_champions(
            (group, model, ndcg)
            for group, models in scores[current].items()
            for model, (ndcg, _) in models.items()
        )
        for group in (NEW, *WITH_HISTORY):
            models = scores[current].get(group)
            if not models or POPULARITY not in models:
                continue
            users = models[POPULARITY][1]
            served = models.get(earlier[group], models[POPULARITY])[0]
            in_sample = models.get(now[group], models[POPULARITY])[0]
            popular = models[POPULARITY][0]
            lines.append(
                f"| {current} | {previous} | {group} | {users} | {earlier[group]} | {served:.4f} | {now[group]} | "
                f"{in_sample:.4f} | {popular:.4f} |"
            )
            totals = pooled[group]
            totals[0] += served * users
            totals[1] += in_sample * users
            totals[2] += popular * users
            totals[3] += users
    summary = ["", "| users | test users | served NDCG@10 (out of sample) | in-sample | popularity | served vs "
               "popularity |", "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for label, groups in (("new", (NEW,)), ("with history", WITH_HISTORY)):
        served, in_sample, popular, users = (sum(pooled[g][i] for g in groups) for i in range(4))
        if users:
            summary.append(
                f"| {label} | {users} | {served / users:.4f} | {in_sample / users:.4f} | {popular / users:.4f} | "
                f"{(served / popular - 1) * 100 if popular else float('nan'):+.1f}% |"
            )
    text = "\n".join(lines + summary) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
