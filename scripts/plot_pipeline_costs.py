"""Turn scripts/bench_pipeline.py's CSV into the cost curve: a PNG and Markdown tables for BENCHMARKS.md.

    .venv/bin/python scripts/plot_pipeline_costs.py bench/costs.csv --png docs/pipeline_costs.png [--label after]

Several labels (`--label s30 s31`) draw their runs as one curve, e.g. sizes measured in different sessions;
a size measured under more than one of them keeps the first label's runs.

Per task of the back-fills at each shop size: wall and CPU seconds, rows written and rows per wall second,
and the fitted growth exponent b of wall ~ a * users^b (least squares on the logs; 1 = linear in the shop's
size, 0 = a fixed cost). The PNG plots wall seconds against users on log-log axes for the costliest tasks and
the whole run, one panel for the back-fills and one for the daily runs.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

RUN_LABEL = re.compile(r"^(?P<label>\S+) (?P<users>\d+) (?P<kind>back-fill|day \d+)$")


def runs(costs: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """The rows of the runs labelled `labels` with their users and kind ("back-fill" or "day N") split
    out; for a size and kind several labels measured, those of the first label in `labels`."""
    parsed = costs["run"].str.extract(RUN_LABEL)
    costs = costs.assign(label=parsed["label"], users=pd.to_numeric(parsed["users"]), kind=parsed["kind"])
    costs = costs[costs["label"].isin(labels)].dropna(subset=["users"])
    rank = costs["label"].map({label: position for position, label in enumerate(labels)})
    first = rank.groupby([costs["users"], costs["kind"]]).transform("min")
    return costs[rank == first]


def growth_exponent(users: Sequence[float], seconds: Sequence[float]) -> float | None:
    """The b of seconds ~ a * users^b by least squares on logs; None with fewer than two sizes."""
    points = [(math.log(u), math.log(s)) for u, s in zip(users, seconds, strict=True) if s > 0]
    if len({x for x, _ in points}) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def markdown_table(kind_rows: pd.DataFrame) -> str:
    """Tasks as rows, shop sizes as columns of wall (CPU) seconds, then rows/s at the largest size and b."""
    sizes = sorted(kind_rows["users"].unique())
    largest = sizes[-1]
    header = [
        "task",
        *(f"{int(u):,} users wall s (CPU s)" for u in sizes),
        f"rows/s at {int(largest):,}",
        "b",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    totals: dict[float, list[float]] = defaultdict(lambda: [0.0, 0.0])
    order = kind_rows[kind_rows["users"] == largest].sort_values("wall_s", ascending=False)["task"]
    for task in order:
        task_rows = kind_rows[kind_rows["task"] == task].set_index("users")
        cells = []
        for users in sizes:
            if users in task_rows.index:
                wall, cpu = task_rows.loc[users, "wall_s"], task_rows.loc[users, "cpu_s"]
                totals[users][0] += wall
                totals[users][1] += cpu
                cells.append(f"{wall:.0f} ({cpu:.0f})")
            else:
                cells.append("")
        at_largest = task_rows.loc[largest]
        rows = at_largest["rows_written"]
        rate = f"{rows / at_largest['wall_s']:,.0f}" if pd.notna(rows) and at_largest["wall_s"] > 0 else ""
        b = growth_exponent(list(task_rows.index), list(task_rows["wall_s"]))
        lines.append(f"| {task} | " + " | ".join(cells) + f" | {rate} | {'' if b is None else f'{b:.2f}'} |")
    total_b = growth_exponent(sizes, [totals[u][0] for u in sizes])
    total_cells = [f"**{totals[u][0]:.0f}** ({totals[u][1]:.0f})" for u in sizes]
    lines.append("| **all tasks** | " + " | ".join(total_cells) + f" | | {total_b or 0:.2f} |")
    return "\n".join(lines)


def plot(selected: pd.DataFrame, png: Path, top: int) -> None:
    figure, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    for axis, (title, kind_rows) in zip(
        axes,
        (("month back-fill", selected[selected["kind"] == "back-fill"]),
         ("daily run (first new day)", selected[selected["kind"].str.startswith("day")])),
        strict=True,
    ):  # fmt: skip
        if kind_rows.empty:
            axis.set_visible(False)
            continue
        first_day = kind_rows.groupby("users")["kind"].transform("min")
        kind_rows = kind_rows[kind_rows["kind"] == first_day]
        totals = kind_rows.groupby("users")["wall_s"].sum()
        axis.plot(totals.index, totals.values, "k-o", linewidth=2.5, label="all tasks")
        largest = kind_rows[kind_rows["users"] == kind_rows["users"].max()]
        for task in largest.nlargest(top, "wall_s")["task"]:
            task_rows = kind_rows[kind_rows["task"] == task].sort_values("users")
            axis.plot(task_rows["users"], task_rows["wall_s"], "-o", label=task, alpha=0.8)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("users")
        axis.set_ylabel("wall seconds")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7)
    figure.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png, dpi=110)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--png", type=Path, default=Path("docs/pipeline_costs.png"))
    parser.add_argument("--label", nargs="+", default=["after"], help="run labels, first preferred")
    parser.add_argument("--top", type=int, default=7, help="tasks drawn besides the total")
    args = parser.parse_args(argv)
    selected = runs(pd.read_csv(args.csv), args.label)
    if selected.empty:
        parser.exit(1, f"{args.csv}: no runs labelled {' or '.join(args.label)}\n")
    for kind in sorted(selected["kind"].unique()):
        print(f"\n### {' + '.join(args.label)}: {kind}\n")
        print(markdown_table(selected[selected["kind"] == kind]))
    plot(selected, args.png, args.top)
    print(f"\nplot: {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
