"""The allowed values of coded columns (event types, page types, groups), shared by generator and pipeline.

Lists that the settings also name (formats, order statuses, windows, edge types, blend sources) are written
once in shop_platform.vocabulary, since the platform imports nothing from transforms; they are re-exported here.
"""

from shop_platform.vocabulary import (
    ALS,
    ALS_ENGINE_CHOICES,
    BLEND_SOURCES,
    CATEGORY_POPULAR,
    CONFIDENCE_SCALINGS,
    COOCCURRENCE_ENGINE_CHOICES,
    COOCCURRENCE_SIMILARITIES,
    COPURCHASE,
    COPURCHASE_EDGE_TYPES,
    EVENTS_JSONL,
    EXCLUDE_BOUGHT,
    EXCLUDE_INTERACTED,
    EXCLUDE_NONE,
    FEATURE_WINDOWS,
    GLOBAL_POPULAR,
    GRAPH_ENGINE_CHOICES,
    INGEST_FORMATS,
    JACCARD,
    LIFT,
    LINEAR_SCALING,
    LOG_SCALING,
    ORDER_LINES_CSV,
    ORDER_ROW_STATUSES,
    ORDER_STATUSES,
    PAIR_COUNT,
    RFM_ALL_HISTORY,
    RFM_SPLITS,
    RFM_WINDOWS,
    SAME_ORDER,
    SAME_USER,
    SEEN_ITEMS_CHOICES,
    SEGMENT_POPULAR,
    STATUS_PAID,
    STATUS_PLACED,
    STATUS_REFUNDED,
    TAOBAO_USER_BEHAVIOR,
    AlsEngineChoice,
    CooccurrenceEngineChoice,
    CooccurrenceSimilarity,
    GraphEngineChoice,
    IngestFormat,
    OrderRowStatus,
    OrderStatus,
    RfmSplit,
    SeenItemsChoice,
)

PAGE_VIEW = "page_view"
SEARCH = "search"
ADD_TO_CART = "add_to_cart"
REMOVE_FROM_CART = "remove_from_cart"
FAVORITE = "favorite"
ORDER = "order"
PAY = "pay"
REFUND = "refund"
REVIEW = "review"

EVENT_TYPES = (PAGE_VIEW, SEARCH, ADD_TO_CART, REMOVE_FROM_CART, FAVORITE, ORDER, PAY, REFUND, REVIEW)
# Events that carry an `amount`.
AMOUNT_EVENT_TYPES = (ORDER, PAY, REFUND)

PAGE_HOME = "home"
PAGE_SEARCH = "search"
PAGE_CATEGORY = "category"
PAGE_PRODUCT = "product"
PAGE_TYPES = (PAGE_HOME, PAGE_SEARCH, PAGE_CATEGORY, PAGE_PRODUCT)

DEVICES = ("ios", "android", "web", "mini_program")
CHANNELS = ("direct", "search_engine", "social", "push", "ads")
PAYMENT_METHODS = ("alipay", "wechat_pay", "card", "credit")

TREATMENT = "treatment"
CONTROL = "control"

__all__ = [
    "ADD_TO_CART",
    "ALS",
    "ALS_ENGINE_CHOICES",
    "AMOUNT_EVENT_TYPES",
    "BLEND_SOURCES",
    "CATEGORY_POPULAR",
    "CHANNELS",
    "CONFIDENCE_SCALINGS",
    "CONTROL",
    "COOCCURRENCE_ENGINE_CHOICES",
    "COOCCURRENCE_SIMILARITIES",
    "COPURCHASE",
    "COPURCHASE_EDGE_TYPES",
    "DEVICES",
    "EVENTS_JSONL",
    "EVENT_TYPES",
    "EXCLUDE_BOUGHT",
    "EXCLUDE_INTERACTED",
    "EXCLUDE_NONE",
    "FAVORITE",
    "FEATURE_WINDOWS",
    "GLOBAL_POPULAR",
    "GRAPH_ENGINE_CHOICES",
    "INGEST_FORMATS",
    "JACCARD",
    "LIFT",
    "LINEAR_SCALING",
    "LOG_SCALING",
    "ORDER",
    "ORDER_LINES_CSV",
    "ORDER_ROW_STATUSES",
    "ORDER_STATUSES",
    "PAGE_CATEGORY",
    "PAGE_HOME",
    "PAGE_PRODUCT",
    "PAGE_SEARCH",
    "PAGE_TYPES",
    "PAGE_VIEW",
    "PAIR_COUNT",
    "PAY",
    "PAYMENT_METHODS",
    "REFUND",
    "REMOVE_FROM_CART",
    "REVIEW",
    "RFM_ALL_HISTORY",
    "RFM_SPLITS",
    "RFM_WINDOWS",
    "SAME_ORDER",
    "SAME_USER",
    "SEARCH",
    "SEEN_ITEMS_CHOICES",
    "SEGMENT_POPULAR",
    "STATUS_PAID",
    "STATUS_PLACED",
    "STATUS_REFUNDED",
    "TAOBAO_USER_BEHAVIOR",
    "TREATMENT",
    "AlsEngineChoice",
    "CooccurrenceEngineChoice",
    "CooccurrenceSimilarity",
    "GraphEngineChoice",
    "IngestFormat",
    "OrderRowStatus",
    "OrderStatus",
    "RfmSplit",
    "SeenItemsChoice",
]
