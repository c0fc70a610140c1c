"""Plain files under the lake root that are not Delta tables: raw collector drops and ground truth.

The generator writes them and ingestion reads them; both go through here so that no other module
touches lake paths directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

# Spark's hidden per-file metadata of file sources: the file a row came from, as rows report it.
FILE_PATH = "_metadata.file_path"


class LakeFiles:
    """Raw and truth folders under `<lake.root>`, addressed by relative paths such as `raw/events`."""

    def __init__(self, spark: SparkSession, root: str) -> None:
        self.spark = spark
        self.root = root.rstrip("/")

    def path(self, relative_dir: str) -> str:
        return f"{self.root}/{relative_dir.strip('/')}"

    def write_lines(
        self, df: DataFrame, relative_dir: str, partition_by: Sequence[str] = (), append: bool = False
    ) -> None:
        """Replace `relative_dir` with text files, one line per row of the single string column of `df`
        (besides the partition columns), e.g. JSON-lines collector drops under `date=YYYY-MM-DD/`.
        With `append`, add new files beside the existing ones instead, which stay untouched."""
        df.write.mode(_mode(append)).partitionBy(*partition_by).text(self.path(relative_dir))

    def write_csv(self, df: DataFrame, relative_dir: str, append: bool = False) -> None:
        """Replace `relative_dir` with header-carrying CSV files (with `append`, add files beside them)."""
        df.write.mode(_mode(append)).option("header", True).csv(self.path(relative_dir))

    def write_parquet(self, df: DataFrame, relative_dir: str, append: bool = False) -> None:
        """Replace `relative_dir` with a Parquet dataset (ground truth read by other tools); with `append`,
        add files beside the existing ones."""
        df.write.mode(_mode(append)).parquet(self.path(relative_dir))

    def read_lines(self, relative_dir: str) -> DataFrame:
        """Every line under `relative_dir` as column `value`, with partition columns from the folder names."""
        return self.spark.read.text(self.path(relative_dir))

    def list_files(self, relative_dir: str) -> list[str]:
        """The data files under `relative_dir` as Spark lists them (hidden and `_` files excluded).

        Raises:
            AnalysisException: PATH_NOT_FOUND when the folder does not exist.
        """
        return sorted(self.spark.read.text(self.path(relative_dir)).inputFiles())

    def file_stamps(self, files: Sequence[str]) -> list[tuple[str, int, int]]:
        """(URI, size in bytes, modification time in microseconds) of each of `files` (URIs from
        `list_files`), sorted by URI: from the file system's listing, since the binary-file source reads a
        file's content only when its `content` column is selected."""
        if not files:
            return []
        listing = self.spark.read.format("binaryFile").load([unquote(f) for f in files])
        rows = listing.select("path", "length", F.unix_micros("modificationTime").alias("micros")).collect()
        return sorted((row["path"], row["length"], row["micros"]) for row in rows)

    def read_text_files(self, files: Sequence[str]) -> DataFrame:
        """Every line of `files` (URIs from `list_files`) as column `value`."""
        return self.spark.read.text([unquote(f) for f in files])

    def read_csv_files(self, files: Sequence[str], schema: StructType) -> DataFrame:
        """Header-carrying CSV files (URIs from `list_files`), read with `schema` by position, header line
        dropped from each file, and rows whose field count differs from the schema in its corrupt-record
        column (PERMISSIVE)."""
        return self.spark.read.schema(schema).option("header", True).csv([unquote(f) for f in files])

    def read_parquet(self, relative_dir: str) -> DataFrame:
        return self.spark.read.parquet(self.path(relative_dir))


def _mode(append: bool) -> str:
    return "append" if append else "overwrite"
