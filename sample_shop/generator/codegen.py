"""Keep Spark's generated code JIT-friendly on the generator's hot paths.

Whole-stage codegen fuses a chain of projections into one Java method, and Spark splits a projection
into its own method only when the next one reads every input column at least twice. The generator's
per-event chains (item picks, ids, timestamps, JSON) easily pass 8,000 bytes of bytecode, the size above
which the JVM never JIT-compiles a method, so they run interpreted and many times slower. A generator
node (`explode`) starts a new consume method, so a one-row explode between steps keeps each method small.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

_SPLIT = "_codegen_split"


def split_codegen(df: DataFrame) -> DataFrame:
    """`df` unchanged (same rows, same columns), with a one-row explode so generated code is split here."""
    return df.select("*", F.explode(F.array(F.lit(0))).alias(_SPLIT)).drop(_SPLIT)
