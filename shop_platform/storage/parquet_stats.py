"""Delta `add` action statistics (record count, per-column min/max/null count) from Parquet footers.

Only what is safe for data skipping is written: a reader may skip a file whose stats exclude a value, so
a min must never be above, nor a max below, any value in the file.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pyarrow.parquet as pq

# Delta truncates long strings in stats; rather than truncate (and risk a wrong max) we leave them out.
MAX_STRING_STAT_LENGTH = 32


def file_stats(metadata: pq.FileMetaData, partition_columns: set[str]) -> str:
    """The `stats` JSON of a Delta add action for one Parquet file."""
    min_values: dict[str, Any] = {}
    max_values: dict[str, Any] = {}
    null_counts: dict[str, int] = {}
    schema = metadata.schema
    for index in range(metadata.num_columns):
        column = schema.column(index)
        name = column.path
        if "." in name or name in partition_columns:
            continue  # nested leaves and partition columns carry no file stats
        mins, maxes, nulls = [], [], 0
        has_min_max = has_nulls = True
        for group in range(metadata.num_row_groups):
            stats = metadata.row_group(group).column(index).statistics
            if stats is None:
                has_min_max = has_nulls = False
                break
            has_nulls = has_nulls and stats.has_null_count
            nulls += stats.null_count if stats.has_null_count else 0
            if stats.has_min_max:
                try:
                    low, high = stats.min, stats.max
                except UnicodeDecodeError:
                    # A string column holding bytes that are not UTF-8 (a binary or UTF-16 line): its
                    # bounds cannot be written as JSON, and leaving them out only costs data skipping.
                    has_min_max = False
                    continue
                mins.append(low)
                maxes.append(high)
            elif metadata.row_group(group).num_rows > (stats.null_count or 0):
                has_min_max = False
        if has_nulls:
            null_counts[name] = nulls
        if has_min_max and mins:
            low, high = _json_bound(min(mins), lower=True), _json_bound(max(maxes), lower=False)
            if low is not None and high is not None:
                min_values[name], max_values[name] = low, high
    return json.dumps(
        {
            "numRecords": metadata.num_rows,
            "minValues": min_values,
            "maxValues": max_values,
            "nullCount": null_counts,
        },
        separators=(",", ":"),
    )


def _json_bound(value: Any, lower: bool) -> Any:
    """A JSON value for a stats bound, rounded outward where Delta's format is coarser than the data."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, str):
        return value if len(value) <= MAX_STRING_STAT_LENGTH else None
    if isinstance(value, dt.datetime):
        # Delta stats keep milliseconds; round the bound outward so microseconds are never excluded.
        extra = value.microsecond % 1000
        if extra:
            value = value - dt.timedelta(microseconds=extra)
            if not lower:
                value += dt.timedelta(milliseconds=1)
        text = value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}"
        if value.tzinfo is not None:
            return text + "Z" if value.utcoffset() == dt.timedelta(0) else None
        return text
    if isinstance(value, dt.date):
        return value.isoformat()
    return None  # decimals, binary: no stats rather than imprecise ones
