"""Plain files under the lake root that are not Delta tables: raw collector drops and ground truth.

The generator writes them and ingestion reads them; both go through here so that no other module
touches lake paths directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType


class LakeFiles:
    """Raw and truth folders under `<lake.root>`, addressed by relative paths such as `raw/events`."""

    def __init__(self, spark: SparkSession, root: str) -> None:
        self.spark = spark
        self.root = root.rstrip("/")

    def path(self, relative_dir: str) -> str:
        return f"{self.root}/{relative_dir.strip('/')}"

    def write_lines(self, df: DataFrame, relative_dir: str, partition_by: Sequence[str] = ()) -> None:
        """Replace `relative_dir` with text files, one line per row of the single string column of `df`
        (besides the partition columns), e.g. JSON-lines collector drops under `date=YYYY-MM-DD/`."""
        df.write.mode("overwrite").partitionBy(*partition_by).text(self.path(relative_dir))

    def write_csv(self, df: DataFrame, relative_dir: str) -> None:
        """Replace `relative_dir` with header-carrying CSV files."""
        df.write.mode("overwrite").option("header", True).csv(self.path(relative_dir))

    def write_parquet(self, df: DataFrame, relative_dir: str) -> None:
        """Replace `relative_dir` with a Parquet dataset (ground truth read by other tools)."""
        df.write.mode("overwrite").parquet(self.path(relative_dir))

    def read_lines(self, relative_dir: str) -> DataFrame:
        """Every line under `relative_dir` as column `value`, with partition columns from the folder names."""
        return self.spark.read.text(self.path(relative_dir))

    def read_csv(self, relative_dir: str, schema: StructType) -> DataFrame:
        """CSV with a header, read with an explicit schema (never inferred)."""
        return self.spark.read.schema(schema).option("header", True).csv(self.path(relative_dir))

    def read_parquet(self, relative_dir: str) -> DataFrame:
        return self.spark.read.parquet(self.path(relative_dir))
