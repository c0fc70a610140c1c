"""Coded values that both the settings and the pipeline name: each list is written here, once.

The platform imports nothing from `transforms`, so a list that config validation checks and the pipeline
writes or reads lives here; `transforms.vocabulary` re-exports it beside the values only the data knows.
Lists that a settings field is typed with are `Literal`s (the loader's "must be one of" message lists their
values in this order) and the tuple of their values is read from the `Literal`.
"""

from __future__ import annotations

from typing import Literal, get_args

# Raw formats bronze ingestion reads (`ingest.format`; transforms.ingest.formats parses each).
IngestFormat = Literal["events_jsonl", "taobao_user_behavior", "order_lines_csv"]
INGEST_FORMATS: tuple[str, ...] = get_args(IngestFormat)
EVENTS_JSONL, TAOBAO_USER_BEHAVIOR, ORDER_LINES_CSV = INGEST_FORMATS

# Statuses silver.orders holds (`graph.order_statuses` picks among them).
OrderStatus = Literal["placed", "paid", "refunded"]
ORDER_STATUSES: tuple[str, ...] = get_args(OrderStatus)
STATUS_PLACED, STATUS_PAID, STATUS_REFUNDED = ORDER_STATUSES
# What an order export may say an order row is (`ingest.order_lines.row_status`, and the targets of
# `ingest.values.order_lines.order_status`): a silver status, or cancelled.
OrderRowStatus = Literal[OrderStatus, "cancelled"]
ORDER_ROW_STATUSES: tuple[str, ...] = get_args(OrderRowStatus)

# Windows (days through the snapshot date) of gold.user_features' `<measure>_<N>d` columns.
FEATURE_WINDOWS = (1, 7, 30, 90)
# The windows RFM reads straight from gold.user_features; any other `rfm.window_days` is summed from
# gold.user_daily_activity.
RFM_WINDOWS = tuple(days for days in FEATURE_WINDOWS if days > 1)
# `rfm.window_days` for all history up to the snapshot.
RFM_ALL_HISTORY = "all"
# Each of R, F and M is high when its score is above the snapshot's mean (or median) score (`rfm.split`).
RfmSplit = Literal["mean", "median"]
RFM_SPLITS: tuple[str, ...] = get_args(RfmSplit)

# Edge types of the item co-purchase graph (keys of `graph.min_support` and `graph.min_lift`).
SAME_ORDER = "same_order"
SAME_USER = "same_user"
COPURCHASE_EDGE_TYPES = (SAME_ORDER, SAME_USER)
# What runs the graph algorithms (`graph.engine`); auto is GraphFrames when its classes are on the classpath.
GraphEngineChoice = Literal["auto", "graphframes", "builtin"]
GRAPH_ENGINE_CHOICES: tuple[str, ...] = get_args(GraphEngineChoice)
# What fits ALS (`recommend.engine`); auto is the `implicit` library on a local-mode session where it is
# installed, Spark MLlib elsewhere (a cluster).
AlsEngineChoice = Literal["auto", "spark", "implicit"]
ALS_ENGINE_CHOICES: tuple[str, ...] = get_args(AlsEngineChoice)
# How ALS turns an interaction strength s into its confidence (`recommend.grid.scaling`): linear, 1 + alpha * s
# (Spark's and implicit's), or log, 1 + alpha * log(1 + s) (Hu, Koren and Volinsky's second form), which keeps a
# heavy user's hundred views from drowning one purchase.
ConfidenceScaling = Literal["linear", "log"]
CONFIDENCE_SCALINGS: tuple[str, ...] = get_args(ConfidenceScaling)
LINEAR_SCALING, LOG_SCALING = CONFIDENCE_SCALINGS
# Which items a user already has that no model recommends again (`recommend.seen_items.exclude`): none, the
# items the user bought, or every item the user interacted with (viewed, carted, favourited, bought).
SeenItemsChoice = Literal["none", "bought", "interacted"]
SEEN_ITEMS_CHOICES: tuple[str, ...] = get_args(SeenItemsChoice)
EXCLUDE_NONE, EXCLUDE_BOUGHT, EXCLUDE_INTERACTED = SEEN_ITEMS_CHOICES
# How the item-to-item (SAR) model turns co-occurrence counts into similarity
# (`recommend.cooccurrence.similarity`).
CooccurrenceSimilarity = Literal["jaccard", "lift", "cooccurrence"]
COOCCURRENCE_SIMILARITIES: tuple[str, ...] = get_args(CooccurrenceSimilarity)
JACCARD, LIFT, PAIR_COUNT = COOCCURRENCE_SIMILARITIES
# What computes the item-to-item model (`recommend.cooccurrence.engine`): Spark DataFrames (a cluster), sparse
# matrices on the driver (one machine), or auto: the driver on a local-mode session.
CooccurrenceEngineChoice = Literal["auto", "spark", "driver"]
COOCCURRENCE_ENGINE_CHOICES: tuple[str, ...] = get_args(CooccurrenceEngineChoice)

# Candidate sources of the hybrid recommendations (keys of `recommend.blend.weights`), in the order that
# breaks ties when two sources contribute equally to an item.
ALS = "als"
COPURCHASE = "copurchase"
SEGMENT_POPULAR = "segment_popular"
CATEGORY_POPULAR = "category_popular"
GLOBAL_POPULAR = "global_popular"
BLEND_SOURCES = (ALS, COPURCHASE, SEGMENT_POPULAR, CATEGORY_POPULAR, GLOBAL_POPULAR)
