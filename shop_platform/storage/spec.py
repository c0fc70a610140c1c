"""A table's declaration: everything the lake needs to create, write and read it by date.

The product's tables are declared once, in `transforms.tables`; `lake.table(spec)` opens one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pyspark.sql import types as T


@dataclass(frozen=True)
class TableSpec:
    """One lake table.

    `schema` is None for a table whose columns come from config (e.g. one column per tag): its writer gives
    the schema when it writes. `date_column` is the column a snapshot or a day of the table is read by
    (`read_on`, `read_between`, `latest_on_or_before`); `keys` identify a row (what an upsert merges by, and
    what is unique within a date); `written_by` is the job that writes it, named when the table is missing.
    """

    name: str
    schema: T.StructType | None
    written_by: str
    partition_by: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    date_column: str | None = None
    description: str = ""
    # Columns that record when or by which run a row was written: left out when two lakes are compared.
    run_columns: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        layer, _, table = self.name.partition(".")
        if not layer or not table:
            raise ValueError(f"table name {self.name!r} is not layer.name")
        if self.schema is not None:
            names = self.schema.fieldNames()
            unknown = [c for c in (*self.partition_by, *self.keys, *self.run_columns) if c not in names]
            if self.date_column is not None and self.date_column not in names:
                unknown.append(self.date_column)
            if unknown:
                raise ValueError(f"{self.name}: columns {unknown} are not in its schema")


def specs_by_name(specs: Sequence[TableSpec]) -> dict[str, TableSpec]:
    """{name: spec}; a name declared twice is an error naming it."""
    by_name: dict[str, TableSpec] = {}
    for spec in specs:
        if spec.name in by_name:
            raise ValueError(f"table {spec.name} is declared twice")
        by_name[spec.name] = spec
    return by_name


def catalogue_markdown(specs: Sequence[TableSpec]) -> str:
    """A Markdown table of the declarations: name, writer, partitions, keys, date column, what it holds."""
    lines = [
        "| table | written by | partitioned by | keys | dated by | what it holds |",
        "|---|---|---|---|---|---|",
    ]
    for spec in specs:
        cells = (
            f"`{spec.name}`",
            f"`{spec.written_by}`",
            ", ".join(spec.partition_by) or "—",
            ", ".join(spec.keys) or "—",
            spec.date_column or "—",
            spec.description,
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
