"""A model fitted on the same rows in another layout: different as read, the same in the fixed layout."""

from __future__ import annotations

from pyspark.ml.clustering import KMeans
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import functions as F

from transforms.training_order import in_fixed_order


def centres(rows) -> list[tuple[float, ...]]:
    features = VectorAssembler(inputCols=["x", "y"], outputCol="features").transform(rows)
    model = KMeans(k=6, seed=7, maxIter=4, initSteps=1).fit(features)
    return sorted(tuple(float(v) for v in centre) for centre in model.clusterCenters())


def test_kmeans_depends_on_the_layout_of_its_rows_unless_they_are_in_the_fixed_order(spark):
    """Structureless points, so k-means|| seeding (drawn partition by partition) decides the centres."""
    points = spark.range(3000).select(
        F.col("id").cast("string").alias("user_id"),
        (F.abs(F.hash("id")) % 1000 / 1000.0).alias("x"),
        (F.abs(F.hash(F.col("id") * 31)) % 1000 / 1000.0).alias("y"),
    )
    layouts = [points.repartition(4), points.coalesce(1).orderBy(F.desc("user_id")).repartition(3, "x")]
    as_read = [centres(rows) for rows in layouts]
    assert as_read[0] != as_read[1]
    fixed = [centres(in_fixed_order(rows, ["user_id"])) for rows in layouts]
    assert fixed[0] == fixed[1]
