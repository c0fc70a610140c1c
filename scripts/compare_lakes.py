"""Do two lakes hold the same tables? Row counts and order-independent content hashes of every Delta table.

    .venv/bin/python scripts/compare_lakes.py /work/lakes/before /work/lakes/after [--decimals 9]

For a change that must not change behaviour (a refactor): run the demo on the commit before it and after it
into two lakes, then compare them. Each table's rows are hashed (xxhash64 of every column, summed over the
rows, so row order and file layout do not matter) after:
- leaving out the columns that record when or by which run a row was written (the catalogue's
  `run_columns`, e.g. ingestion times and training seconds; listed per table in the output);
- rounding floats to `--decimals` places at any depth;
- in text, writing each lake's root as `<lake>` and Spark's per-write file id (the uuid in
  `part-00007-<uuid>.c000.txt`, new each time raw files are written) as `<write>`, so source paths compare.
A table whose hash differs gets its rows compared both ways (`exceptAll`) to say how many differ. Exits 1
when a table differs or exists in one lake only.
"""

from __future__ import annotations

import argparse
import sys

from lake_tables import comparable, open_before_and_after
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sample_shop import tables as sample_tables
from shop_platform.storage import Lake
from shop_platform.storage.paths import delta_tables_under
from transforms import tables

DECLARED = {**tables.BY_NAME, **sample_tables.BY_NAME}
WRITE_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def run_columns(name: str, extra: list[str]) -> list[str]:
    declared = DECLARED.get(name)
    return sorted({*(declared.run_columns if declared else ()), *extra})


def normalised(lake: Lake, name: str, decimals: int, ignored: set[str]) -> DataFrame:
    rows = comparable(lake.table(name).read(), decimals, ignored)
    root = F.lit(str(lake.root))
    return rows.select(
        *[
            F.regexp_replace(F.replace(F.col(f.name), root, F.lit("<lake>")), WRITE_ID, "<write>").alias(
                f.name
            )
            if isinstance(f.dataType, T.StringType)
            else F.col(f.name)
            for f in rows.schema.fields
        ]
    )


def fingerprint(rows: DataFrame) -> tuple[int, str]:
    """(rows, the sum of every row's xxhash64): the same multiset of rows gives the same pair."""
    hashed = rows.select(F.xxhash64(*rows.columns).cast("decimal(38,0)").alias("h"))
    count, total = hashed.agg(F.count(F.lit(1)), F.sum("h")).first()
    return count, str(total or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="lake root of the run before the change")
    parser.add_argument("after", help="lake root of the run after the change")
    parser.add_argument("--decimals", type=int, default=9, help="places floats are rounded to (default 9)")
    parser.add_argument("--ignore-column", action="append", default=[], help="a column left out everywhere")
    args = parser.parse_args(argv)

    before, after = open_before_and_after("compare_lakes", args.before, args.after)
    names = sorted({*delta_tables_under(before.root), *delta_tables_under(after.root)})
    differing = []
    for name in names:
        missing = [lake.root for lake in (before, after) if not lake.table(name).exists()]
        if missing:
            print(f"{name}: only in one lake (missing under {missing[0]})", flush=True)
            differing.append(name)
            continue
        ignored = run_columns(name, args.ignore_column)
        old, new = (normalised(lake, name, args.decimals, set(ignored)) for lake in (before, after))
        if old.columns != new.columns:
            print(f"{name}: columns differ: {old.columns} -> {new.columns}", flush=True)
            differing.append(name)
            continue
        (rows_before, hash_before), (rows_after, hash_after) = fingerprint(old), fingerprint(new)
        left_out = f" (leaving out {', '.join(ignored)})" if ignored else ""
        if (rows_before, hash_before) == (rows_after, hash_after):
            print(f"{name}: same, {rows_before} rows, hash {hash_before}{left_out}", flush=True)
            continue
        differing.append(name)
        print(
            f"{name}: DIFFERS{left_out}: {rows_before} -> {rows_after} rows, "
            f"{old.exceptAll(new).count()} only before, {new.exceptAll(old).count()} only after",
            flush=True,
        )
    print(f"{len(names) - len(differing)} of {len(names)} tables the same (floats to {args.decimals} places)")
    if differing:
        print("differ: " + ", ".join(differing))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
