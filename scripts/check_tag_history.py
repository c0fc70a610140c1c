"""Does gold.tag_history give back the daily tag snapshots? tags_as_of of every date against a lake written
before issue 17, whose gold.tag_snapshots held one row per user, tag and date.

    .venv/bin/python scripts/check_tag_history.py /work/lakes/h2-before /work/lakes/h2

For every snapshot date of the old table, `transforms.tags.history.tags_as_of_each` of the new lake's
history is compared with the old partition both ways (`exceptAll`, so duplicates count), and the row counts
of the two layouts are printed. Exits 1 when a date differs.
"""

from __future__ import annotations

import argparse
import sys

from lake_tables import open_before_and_after
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import tables
from transforms.tags.history import SNAPSHOT_COLUMNS, tags_as_of_each

OLD_TABLE = "gold.tag_snapshots"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="lake root holding gold.tag_snapshots (the old layout)")
    parser.add_argument("after", help="lake root holding gold.tag_history")
    args = parser.parse_args(argv)

    before, after = open_before_and_after("check_tag_history", args.before, args.after)
    old = before.table(OLD_TABLE).read().select(*SNAPSHOT_COLUMNS)
    history = after.table(tables.TAG_HISTORY).read()
    dates = sorted(r[0] for r in old.select(C.SNAPSHOT_DATE).distinct().collect())
    new = tags_as_of_each(history, dates)
    gone_rows, extra_rows = old.exceptAll(new).cache(), new.exceptAll(old).cache()
    only_old = gone_rows.groupBy(C.SNAPSHOT_DATE).count().collect()
    only_new = extra_rows.groupBy(C.SNAPSHOT_DATE).count().collect()
    # Which tags differ says why: a tag whose input changed on purpose differs on every date it covers.
    differing_tags = sorted(
        r[0] for r in gone_rows.unionByName(extra_rows).select(C.TAG_ID).distinct().collect()
    )
    old_rows, history_rows = old.count(), history.count()
    print(f"{OLD_TABLE}: {old_rows} rows over {len(dates)} dates ({dates[0]}..{dates[-1]})")
    print(
        f"{tables.TAG_HISTORY.name}: {history_rows} rows ({history_rows / max(old_rows, 1):.1%} of the old table)"
    )
    by_date = {r[0]: [r[1], 0] for r in only_old}
    for r in only_new:
        by_date.setdefault(r[0], [0, 0])[1] = r[1]
    for day, (gone, extra) in sorted(by_date.items()):
        print(f"{day}: {gone} rows only in the old snapshot, {extra} only as of the history")
    if differing_tags:
        print(f"tags of the differing rows: {', '.join(differing_tags)}")
    current = history.where(F.col(C.VALID_TO).isNull()).count()
    print(f"{current} current intervals; every date's snapshot {'equal' if not by_date else 'DIFFERS'}")
    return 1 if by_date else 0


if __name__ == "__main__":
    sys.exit(main())
