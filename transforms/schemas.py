"""Table schemas as StructTypes: raw files are always read with these, never with schema inference.

The sample shop's truth schemas are in `sample_shop.schemas`.
"""

from pyspark.sql import types as T

from transforms import columns as C
from transforms.features.daily_activity import AMOUNT_COLUMNS as DAILY_AMOUNT_COLUMNS
from transforms.features.daily_activity import COUNT_COLUMNS as DAILY_COUNT_COLUMNS
from transforms.features.user_features import PROFILE_COLUMNS as FEATURE_PROFILE_COLUMNS
from transforms.features.windows import SUMMED as WINDOW_SUMMED
from transforms.features.windows import WINDOWS, windowed


def _fields(*pairs: tuple[str, T.DataType]) -> T.StructType:
    return T.StructType([T.StructField(name, data_type, nullable=True) for name, data_type in pairs])


ORDER_LINE_SCHEMA = _fields(
    (C.ITEM_ID, T.StringType()),
    (C.QUANTITY, T.IntegerType()),
    (C.PRICE, T.DoubleType()),
)

# One JSON object per line under raw/events/date=YYYY-MM-DD/. Fields a type does not use are absent.
# Read it with mode PERMISSIVE and a corrupt-record column: a line whose values do not fit these types
# (e.g. an amount written as text) then keeps its text there instead of becoming silent nulls.
RAW_EVENT_SCHEMA = _fields(
    (C.EVENT_ID, T.StringType()),
    (C.USER_ID, T.StringType()),
    (C.EVENT_TYPE, T.StringType()),
    # ISO-8601 in UTC, e.g. 2026-10-01T08:15:30.123Z.
    (C.EVENT_TIME, T.TimestampType()),
    (C.DEVICE, T.StringType()),
    (C.CHANNEL, T.StringType()),
    (C.PAGE_TYPE, T.StringType()),
    (C.ITEM_ID, T.StringType()),
    (C.KEYWORD, T.StringType()),
    (C.QUANTITY, T.IntegerType()),
    (C.ORDER_ID, T.StringType()),
    (C.ITEMS, T.ArrayType(ORDER_LINE_SCHEMA, containsNull=True)),
    (C.AMOUNT, T.DoubleType()),
    (C.DISCOUNT, T.DoubleType()),
    (C.COUPON_ID, T.StringType()),
    (C.PAYMENT_METHOD, T.StringType()),
    (C.RATING, T.IntegerType()),
    # Order exports state what their rows are (paid orders, unless a status column says otherwise); the
    # collector says it with `pay` and `refund` events instead and leaves this null.
    (C.ORDER_STATUS, T.StringType()),
)

# raw/users/: CSV with a header, the registration profile (phone and email are PII).
RAW_USERS_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.GENDER, T.StringType()),
    (C.BIRTH_YEAR, T.IntegerType()),
    (C.CITY, T.StringType()),
    (C.CITY_TIER, T.IntegerType()),
    (C.PROVINCE, T.StringType()),
    (C.REGISTRATION_DATE, T.DateType()),
    (C.REGISTRATION_CHANNEL, T.StringType()),
    (C.DEVICE_PREFERENCE, T.StringType()),
    (C.PHONE, T.StringType()),
    (C.EMAIL, T.StringType()),
)

# raw/items/: CSV with a header, the catalogue.
RAW_ITEMS_SCHEMA = _fields(
    (C.ITEM_ID, T.StringType()),
    (C.CATEGORY_L1, T.StringType()),
    (C.CATEGORY_L2, T.StringType()),
    (C.BRAND, T.StringType()),
    (C.LIST_PRICE, T.DoubleType()),
    (C.LAUNCH_DATE, T.DateType()),
)

# raw/campaigns/ and raw/campaign_assignments/: CSV exports of the marketing tool.
RAW_CAMPAIGNS_SCHEMA = _fields(
    (C.CAMPAIGN_ID, T.StringType()),
    (C.CAMPAIGN_NAME, T.StringType()),
    (C.START_DATE, T.DateType()),
    (C.END_DATE, T.DateType()),
)
RAW_CAMPAIGN_ASSIGNMENTS_SCHEMA = _fields(
    (C.CAMPAIGN_ID, T.StringType()),
    (C.USER_ID, T.StringType()),
    (C.GROUP, T.StringType()),
)


# bronze.events: valid events, typed, partitioned by the shop-local date the event happened and the raw
# folder date it arrived in (so re-ingesting one raw date replaces exactly the rows it produced).
BRONZE_EVENTS_SCHEMA = T.StructType(
    [
        *RAW_EVENT_SCHEMA.fields,
        # Formats that carry a category per event (Taobao UserBehavior) keep it here; others leave it null.
        T.StructField(C.CATEGORY_ID, T.StringType(), True),
        T.StructField(C.SOURCE_FILE, T.StringType(), True),
        T.StructField(C.INGESTED_AT, T.TimestampType(), True),
        T.StructField(C.EVENT_DATE, T.DateType(), True),
        T.StructField(C.INGEST_DATE, T.DateType(), True),
    ]
)

# bronze.events_quarantine: every raw line that failed validation, with every reason, never dropped.
BRONZE_QUARANTINE_SCHEMA = _fields(
    (C.RAW_LINE, T.StringType()),
    (C.REASONS, T.ArrayType(T.StringType(), containsNull=False)),
    (C.EVENT_ID, T.StringType()),
    (C.INGEST_FORMAT, T.StringType()),
    (C.SOURCE_FILE, T.StringType()),
    (C.INGESTED_AT, T.TimestampType()),
    (C.INGEST_DATE, T.DateType()),
)

# bronze.users: the registration profile with phone and e-mail replaced by salted SHA-256 pseudonyms.
BRONZE_USERS_SCHEMA = _fields(
    *[(f.name, f.dataType) for f in RAW_USERS_SCHEMA.fields if f.name not in (C.PHONE, C.EMAIL)],
    (C.PHONE_HASH, T.StringType()),
    (C.EMAIL_HASH, T.StringType()),
    (C.INGESTED_AT, T.TimestampType()),
)

# bronze.items: the catalogue as last delivered.
BRONZE_ITEMS_SCHEMA = _fields(
    *[(f.name, f.dataType) for f in RAW_ITEMS_SCHEMA.fields],
    (C.INGESTED_AT, T.TimestampType()),
)


# silver.events: one row per valid, deduplicated, non-bot event with the session it belongs to; times in
# UTC plus the shop's local wall-clock time; item category and brand from the catalogue.
SILVER_EVENTS_SCHEMA = _fields(
    (C.EVENT_ID, T.StringType()),
    (C.USER_ID, T.StringType()),
    (C.SESSION_ID, T.StringType()),
    (C.EVENT_TYPE, T.StringType()),
    (C.EVENT_TIME, T.TimestampType()),
    (C.EVENT_TIME_LOCAL, T.TimestampNTZType()),
    (C.DEVICE, T.StringType()),
    (C.CHANNEL, T.StringType()),
    (C.PAGE_TYPE, T.StringType()),
    (C.ITEM_ID, T.StringType()),
    (C.CATEGORY_ID, T.StringType()),
    (C.CATEGORY_L1, T.StringType()),
    (C.CATEGORY_L2, T.StringType()),
    (C.BRAND, T.StringType()),
    (C.KEYWORD, T.StringType()),
    (C.QUANTITY, T.IntegerType()),
    (C.ORDER_ID, T.StringType()),
    (C.ITEMS, T.ArrayType(ORDER_LINE_SCHEMA, containsNull=True)),
    (C.AMOUNT, T.DoubleType()),
    (C.DISCOUNT, T.DoubleType()),
    (C.COUPON_ID, T.StringType()),
    (C.PAYMENT_METHOD, T.StringType()),
    (C.RATING, T.IntegerType()),
    # What an order export says an `order` row is; transforms/orders.py reads paid and refunded as payments.
    (C.ORDER_STATUS, T.StringType()),
    (C.EVENT_DATE, T.DateType()),
)

# silver.sessions: one row per session of a non-bot user, in the partition of the shop-local date it started
# (a session crossing midnight is one row there). Counts are events of each type; revenue is the amount of
# the session's `order` events (refunds later do not change it).
SILVER_SESSIONS_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.SESSION_ID, T.StringType()),
    (C.SESSION_START, T.TimestampType()),
    (C.SESSION_END, T.TimestampType()),
    (C.DURATION_SECONDS, T.LongType()),
    (C.EVENT_COUNT, T.LongType()),
    (C.PAGE_VIEWS, T.LongType()),
    (C.DISTINCT_ITEMS, T.LongType()),
    (C.DISTINCT_CATEGORIES, T.LongType()),
    (C.SEARCHES, T.LongType()),
    (C.CART_ADDS, T.LongType()),
    (C.ORDERS, T.LongType()),
    (C.REVENUE, T.DoubleType()),
    (C.CONVERTED, T.BooleanType()),
    (C.ENTRY_PAGE_TYPE, T.StringType()),
    (C.CHANNEL, T.StringType()),
    (C.DEVICE, T.StringType()),
    (C.EVENT_DATE, T.DateType()),
)

# silver.orders: one row per order, by the shop-local date it was placed; status placed/paid/refunded from
# the first `pay` and first `refund` event seen up to the run date (they may arrive days after the order).
SILVER_ORDERS_SCHEMA = _fields(
    (C.ORDER_ID, T.StringType()),
    (C.USER_ID, T.StringType()),
    (C.ORDER_TIME, T.TimestampType()),
    (C.ORDER_DATE, T.DateType()),
    (C.AMOUNT, T.DoubleType()),
    (C.DISCOUNT, T.DoubleType()),
    (C.COUPON_ID, T.StringType()),
    (C.ITEM_COUNT, T.IntegerType()),
    (C.STATUS, T.StringType()),
    (C.PAID_TIME, T.TimestampType()),
    (C.PAID_AMOUNT, T.DoubleType()),
    (C.REFUND_TIME, T.TimestampType()),
    (C.REFUND_AMOUNT, T.DoubleType()),
    (C.PAYMENT_METHOD, T.StringType()),
    (C.SESSION_ID, T.StringType()),
)

# silver.order_items: one row per (order, item) with units, average unit price and line value.
SILVER_ORDER_ITEMS_SCHEMA = _fields(
    (C.ORDER_ID, T.StringType()),
    (C.USER_ID, T.StringType()),
    (C.ITEM_ID, T.StringType()),
    (C.QUANTITY, T.IntegerType()),
    (C.PRICE, T.DoubleType()),
    (C.LINE_AMOUNT, T.DoubleType()),
    (C.ORDER_DATE, T.DateType()),
    (C.CATEGORY_L1, T.StringType()),
    (C.BRAND, T.StringType()),
)

# silver.bot_users: one row per user, shop-local day and rate rule broken (e.g. "events_per_minute>30"), with
# the observed value; these users' events are kept out of every other silver table.
SILVER_BOT_USERS_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.RULE, T.StringType()),
    (C.OBSERVED_VALUE, T.LongType()),
    (C.THRESHOLD, T.LongType()),
    (C.EVENT_DATE, T.DateType()),
)


# Gold user-item interactions (transforms/interactions.py). Every aggregate carries, per (user, item): the
# count of each event type (an order counts once per item of its lines), the first and last interaction
# time, and STRENGTH, the sum of weight(event type) * 0.5 ** (age / half-life), aged to the end of the
# row's date: EVENT_DATE, SETTLED_THROUGH or AS_OF_DATE.
_INTERACTION_MEASURES = (
    (C.PAGE_VIEWS, T.LongType()),
    (C.FAVORITES, T.LongType()),
    (C.CART_ADDS, T.LongType()),
    (C.CART_REMOVES, T.LongType()),
    (C.ORDERS, T.LongType()),
    (C.REVIEWS, T.LongType()),
    (C.FIRST_INTERACTION_TIME, T.TimestampType()),
    (C.LAST_INTERACTION_TIME, T.TimestampType()),
    (C.STRENGTH, T.DoubleType()),
)

# gold.user_item_daily: one row per (user, item, shop-local day); the look-back window is rewritten daily.
GOLD_USER_ITEM_DAILY_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.ITEM_ID, T.StringType()),
    *_INTERACTION_MEASURES,
    (C.EVENT_DATE, T.DateType()),
)

# gold.user_item_settled: the interactions of every day through SETTLED_THROUGH (the day before the last
# run's look-back window), which no later run changes; each incremental run starts from it.
GOLD_USER_ITEM_SETTLED_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.ITEM_ID, T.StringType()),
    *_INTERACTION_MEASURES,
    (C.SETTLED_THROUGH, T.DateType()),
)

# gold.user_item_interactions: one row per (user, item) as of the run date, with ALS's integer indexes.
GOLD_USER_ITEM_INTERACTIONS_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.ITEM_ID, T.StringType()),
    (C.USER_IDX, T.IntegerType()),
    (C.ITEM_IDX, T.IntegerType()),
    *_INTERACTION_MEASURES,
    (C.AS_OF_DATE, T.DateType()),
)

# gold.user_index and gold.item_index: append-only; an id keeps its index for good. FIRST_SEEN is the run
# date that indexed it.
GOLD_USER_INDEX_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.USER_IDX, T.IntegerType()),
    (C.FIRST_SEEN, T.DateType()),
)
GOLD_ITEM_INDEX_SCHEMA = _fields(
    (C.ITEM_ID, T.StringType()),
    (C.ITEM_IDX, T.IntegerType()),
    (C.FIRST_SEEN, T.DateType()),
)

# gold.item_categories: one category per item, the smallest name among all the events that name the item
# (transforms.recommend.baselines.item_categories), kept up to date by merging each run's window into it.
GOLD_ITEM_CATEGORIES_SCHEMA = _fields(
    (C.ITEM_ID, T.StringType()),
    (C.CATEGORY, T.StringType()),
)


# bronze.catalog_quarantine: users and items rows that failed validation. RECORD is the row as JSON with
# phone and e-mail already pseudonymised, so raw PII never reaches any table.
BRONZE_CATALOG_QUARANTINE_SCHEMA = _fields(
    (C.DATASET, T.StringType()),
    (C.RECORD_ID, T.StringType()),
    (C.REASONS, T.ArrayType(T.StringType(), containsNull=False)),
    (C.RECORD, T.StringType()),
    (C.SOURCE_FILE, T.StringType()),
    (C.INGESTED_AT, T.TimestampType()),
    (C.INGEST_DATE, T.DateType()),
)


# gold.user_daily_activity: one row per user and shop-local day with any event or session
# (transforms/features/daily_activity.py); a daily run rewrites the look-back window.
GOLD_USER_DAILY_ACTIVITY_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.ACTIVITY_DATE, T.DateType()),
    *[(name, T.LongType()) for name in DAILY_COUNT_COLUMNS],
    *[(name, T.DoubleType()) for name in DAILY_AMOUNT_COLUMNS],
    (C.CATEGORIES, T.ArrayType(T.StringType())),
    (C.EVENTS_BY_HOUR, T.ArrayType(T.LongType())),
    (C.SESSIONS_BY_DEVICE, T.MapType(T.StringType(), T.LongType())),
    (C.SESSIONS_BY_CHANNEL, T.MapType(T.StringType(), T.LongType())),
)

# gold.user_features: one row per user per snapshot date (transforms/features/user_features.py).
_WINDOWED_TYPES = {
    **{name: T.LongType() for name in WINDOW_SUMMED},
    C.PAID_GMV: T.DoubleType(),
    C.DAYS_ACTIVE: T.LongType(),
    C.DISTINCT_CATEGORIES: T.IntegerType(),
}
GOLD_USER_FEATURES_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    *[(f.name, f.dataType) for f in RAW_USERS_SCHEMA.fields if f.name in FEATURE_PROFILE_COLUMNS],
    *[(windowed(name, days), data_type) for days in WINDOWS for name, data_type in _WINDOWED_TYPES.items()],
    *[
        (windowed(name, days), T.DoubleType())
        for days in WINDOWS
        for name in (C.AVG_ORDER_VALUE, C.REFUND_RATE)
    ],
    (C.DAYS_SINCE_LAST_VISIT, T.IntegerType()),
    (C.DAYS_SINCE_LAST_ORDER, T.IntegerType()),
    (C.FIRST_ORDER_DATE, T.DateType()),
    (C.TOP_CATEGORIES, T.ArrayType(T.StringType())),
    (C.TOP_BRANDS, T.ArrayType(T.StringType())),
    (C.BRAND_CONCENTRATION, T.DoubleType()),
    (C.PRICE_LEVEL, T.DoubleType()),
    (C.DISCOUNT_SHARE, T.DoubleType()),
    (C.COUPON_SHARE, T.DoubleType()),
    (C.AVG_ORDER_LEAD_MINUTES, T.DoubleType()),
    (C.ACTIVE_HOURS, T.ArrayType(T.IntegerType())),
    (C.NIGHT_SHARE, T.DoubleType()),
    (C.WEEKEND_SHARE, T.DoubleType()),
    (C.MAIN_DEVICE, T.StringType()),
    (C.MAIN_CHANNEL, T.StringType()),
    (C.AGE, T.IntegerType()),
    (C.TENURE_DAYS, T.IntegerType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)

# A tag snapshot: the long form of one day's tag values (transforms/tags/evaluate.py, and what
# transforms.tags.history.tags_as_of gives from gold.tag_history): one row per user and tag with a value,
# the value as text plus in the typed column of its value type.
GOLD_TAG_SNAPSHOTS_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.TAG_ID, T.StringType()),
    (C.VALUE, T.StringType()),
    (C.VALUE_BOOL, T.BooleanType()),
    (C.VALUE_NUM, T.DoubleType()),
    (C.VALUE_LIST, T.ArrayType(T.StringType())),
    (C.SNAPSHOT_DATE, T.DateType()),
)

# gold.tag_history: the tag snapshots stored as changes (transforms/tags/intervals.py): one row per user, tag
# and value for every stretch of consecutive snapshots holding it, VALID_FROM its first snapshot date,
# VALID_TO the snapshot date it stopped holding on (exclusive; null while current); partitioned by
# VALID_TO's month ("yyyy-MM", "open" while current).
GOLD_TAG_HISTORY_SCHEMA = T.StructType(
    [field for field in GOLD_TAG_SNAPSHOTS_SCHEMA.fields if field.name != C.SNAPSHOT_DATE]
    + _fields(
        (C.VALID_FROM, T.DateType()),
        (C.VALID_TO, T.DateType()),
        (C.VALID_TO_MONTH, T.StringType()),
    ).fields
)

# gold.lifecycle_transitions: users per (previous stage, stage) between a snapshot and the one before it.
GOLD_LIFECYCLE_TRANSITIONS_SCHEMA = _fields(
    (C.FROM_STAGE, T.StringType()),
    (C.TO_STAGE, T.StringType()),
    (C.USERS, T.LongType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)

# gold.audience_members, gold.audience_sizes, gold.audience_overlap: per snapshot date.
GOLD_AUDIENCE_MEMBERS_SCHEMA = _fields(
    (C.AUDIENCE_ID, T.StringType()), (C.USER_ID, T.StringType()), (C.SNAPSHOT_DATE, T.DateType())
)
GOLD_AUDIENCE_SIZES_SCHEMA = _fields(
    (C.AUDIENCE_ID, T.StringType()), (C.USERS, T.LongType()), (C.SNAPSHOT_DATE, T.DateType())
)
GOLD_AUDIENCE_OVERLAP_SCHEMA = _fields(
    (C.AUDIENCE_ID, T.StringType()),
    (C.OTHER_AUDIENCE_ID, T.StringType()),
    (C.USERS, T.LongType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)

# gold.tag_quality: per tag and snapshot date, coverage, value distribution and drift (transforms/tags/quality.py).
GOLD_TAG_QUALITY_SCHEMA = _fields(
    (C.TAG_ID, T.StringType()),
    (C.USERS_WITH_VALUE, T.LongType()),
    (C.COVERAGE, T.DoubleType()),
    (C.DISTINCT_VALUES, T.LongType()),
    (C.DISTRIBUTION, T.MapType(T.StringType(), T.DoubleType())),
    (C.PSI, T.DoubleType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)


# The co-purchase graph (transforms/graph/), one partition per snapshot (run) date.
# gold.copurchase_edges: both directions of every kept item pair, per edge type (same_order: bought in one
# order; same_user: by one user within graph.same_user_window_days). SUPPORT (orders or users with both
# items), LIFT and SHRUNK_LIFT (lift shrunk toward 1 by graph.lift_prior_strength pseudo co-occurrences) are
# the pair's; CONFIDENCE is P(DST | SRC).
GOLD_COPURCHASE_EDGES_SCHEMA = _fields(
    (C.SRC, T.StringType()),
    (C.DST, T.StringType()),
    (C.EDGE_TYPE, T.StringType()),
    (C.SUPPORT, T.LongType()),
    (C.CONFIDENCE, T.DoubleType()),
    (C.LIFT, T.DoubleType()),
    (C.SHRUNK_LIFT, T.DoubleType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)
# gold.item_rank: PageRank of every item bought in the window (summing to 1), its position and degree.
GOLD_ITEM_RANK_SCHEMA = _fields(
    (C.ITEM_ID, T.StringType()),
    (C.PAGERANK, T.DoubleType()),
    (C.RANK, T.IntegerType()),
    (C.DEGREE, T.LongType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)
# gold.item_communities: each item's connected component and label-propagation community, each named by
# its smallest item id, with sizes; communities of 2..graph.max_bundle_size items are bundle candidates.
GOLD_ITEM_COMMUNITIES_SCHEMA = _fields(
    (C.ITEM_ID, T.StringType()),
    (C.COMPONENT, T.StringType()),
    (C.COMPONENT_SIZE, T.LongType()),
    (C.COMMUNITY, T.StringType()),
    (C.COMMUNITY_SIZE, T.LongType()),
    (C.BUNDLE_CANDIDATE, T.BooleanType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)
# gold.bought_together: per item its top graph.bought_together_top_n partners, strongest first (by SHRUNK_LIFT,
# then SUPPORT, then partner id).
GOLD_BOUGHT_TOGETHER_SCHEMA = _fields(
    (C.ITEM_ID, T.StringType()),
    (C.RANK, T.IntegerType()),
    (C.PARTNER_ID, T.StringType()),
    (C.EDGE_TYPE, T.StringType()),
    (C.SUPPORT, T.LongType()),
    (C.CONFIDENCE, T.DoubleType()),
    (C.LIFT, T.DoubleType()),
    (C.SHRUNK_LIFT, T.DoubleType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)


# gold.recommendation_metrics: one row per evaluated model and run date (jobs/evaluate_recommenders.py):
# trained through SPLIT_DATE, tested on the TEST_DAYS after it, lists cut at K. PARAMS holds the model's
# hyperparameters (empty for the baselines); TRAIN_SECONDS the fit's wall time (null for the baselines).
GOLD_RECOMMENDATION_METRICS_SCHEMA = _fields(
    (C.MODEL, T.StringType()),
    (C.PARAMS, T.MapType(T.StringType(), T.StringType())),
    (C.EVALUATED_USERS, T.LongType()),
    (C.PRECISION_AT_K, T.DoubleType()),
    (C.RECALL_AT_K, T.DoubleType()),
    (C.NDCG_AT_K, T.DoubleType()),
    (C.MAP_AT_K, T.DoubleType()),
    (C.HIT_RATE, T.DoubleType()),
    (C.CATALOG_COVERAGE, T.DoubleType()),
    (C.NOVELTY, T.DoubleType()),
    (C.TRAIN_SECONDS, T.DoubleType()),
    (C.SPLIT_DATE, T.DateType()),
    (C.TEST_DAYS, T.IntegerType()),
    (C.K, T.IntegerType()),
    (C.RUN_DATE, T.DateType()),
)

# gold.als_recommendations: the registered ALS model's top-N items per user as of SNAPSHOT_DATE, the
# candidates the hybrid blend draws on (already-bought items are not removed here).
GOLD_ALS_RECOMMENDATIONS_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.RANK, T.IntegerType()),
    (C.ITEM_ID, T.StringType()),
    (C.SCORE, T.DoubleType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)

# gold.item_similar_als: per item its top-N items by cosine similarity of the ALS item factors.
GOLD_ITEM_SIMILAR_ALS_SCHEMA = _fields(
    (C.ITEM_ID, T.StringType()),
    (C.RANK, T.IntegerType()),
    (C.SIMILAR_ITEM_ID, T.StringType()),
    (C.SIMILARITY, T.DoubleType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)

# gold.recommendations: the hybrid blend's top-N items per user as of SNAPSHOT_DATE (jobs/build_recommendations.py,
# transforms/recommend/blend.py): SCORE is the weighted sum of the sources' scaled scores, SOURCE the source
# whose term was the largest (als, copurchase, segment_popular, category_popular, global_popular).
GOLD_RECOMMENDATIONS_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.RANK, T.IntegerType()),
    (C.ITEM_ID, T.StringType()),
    (C.SCORE, T.DoubleType()),
    (C.SOURCE, T.StringType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)

# gold.recommendation_metrics_by_group: the metrics of the baselines, the chosen ALS and the blend per user
# group (jobs/evaluate_recommenders.py): all (every test user, those without training data included), new
# (fewer than recommend.blend.cold_start_interactions training items), light, heavy. gold.recommendation_metrics
# holds the users with training data only, one row per model.
GOLD_RECOMMENDATION_METRICS_BY_GROUP_SCHEMA = _fields(
    (C.MODEL, T.StringType()),
    (C.USER_GROUP, T.StringType()),
    (C.EVALUATED_USERS, T.LongType()),
    (C.PRECISION_AT_K, T.DoubleType()),
    (C.RECALL_AT_K, T.DoubleType()),
    (C.NDCG_AT_K, T.DoubleType()),
    (C.MAP_AT_K, T.DoubleType()),
    (C.HIT_RATE, T.DoubleType()),
    (C.CATALOG_COVERAGE, T.DoubleType()),
    (C.NOVELTY, T.DoubleType()),
    (C.SPLIT_DATE, T.DateType()),
    (C.TEST_DAYS, T.IntegerType()),
    (C.K, T.IntegerType()),
    (C.RUN_DATE, T.DateType()),
)

# gold.user_segments: the K-means segment of every user active on the snapshot date (transforms/segments);
# DISTANCE_TO_CENTRE is Euclidean, in the model's standardized feature space.
GOLD_USER_SEGMENTS_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.SEGMENT_ID, T.IntegerType()),
    (C.DISTANCE_TO_CENTRE, T.DoubleType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)

# gold.segment_transitions: users per (segment the day before, segment on the date); a null side is a user
# segmented on one day only (transforms/segments/transitions.py).
GOLD_SEGMENT_TRANSITIONS_SCHEMA = _fields(
    (C.FROM_SEGMENT_ID, T.IntegerType()),
    (C.TO_SEGMENT_ID, T.IntegerType()),
    (C.USERS, T.LongType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)

# gold.segment_profiles: per snapshot date and segment (transforms/segments/profiles.py, labels.py).
GOLD_SEGMENT_PROFILES_SCHEMA = _fields(
    (C.SEGMENT_ID, T.IntegerType()),
    (C.USERS, T.LongType()),
    (C.SHARE, T.DoubleType()),
    (C.FEATURE_MEANS, T.MapType(T.StringType(), T.DoubleType())),
    (C.FEATURE_Z, T.MapType(T.StringType(), T.DoubleType())),
    (C.DOMINANT_RFM_SEGMENT, T.StringType()),
    (C.DOMINANT_LIFECYCLE_STAGE, T.StringType()),
    (C.TOP_CATEGORIES, T.ArrayType(T.StringType())),
    (C.CATEGORY_LIFT, T.MapType(T.StringType(), T.DoubleType())),
    (C.LABEL, T.StringType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)


# Behaviour analytics (transforms/analytics, jobs/build_behaviour_analytics.py).
# gold.activity_daily: distinct users with a session on the day (DAU), in the 7 and 30 days through it (WAU,
# MAU); new users are the day's active users registered that day, the others returning; STICKINESS = DAU / MAU.
GOLD_ACTIVITY_DAILY_SCHEMA = _fields(
    (C.DAU, T.LongType()),
    (C.WAU, T.LongType()),
    (C.MAU, T.LongType()),
    (C.NEW_USERS, T.LongType()),
    (C.RETURNING_USERS, T.LongType()),
    (C.STICKINESS, T.DoubleType()),
    (C.ACTIVITY_DATE, T.DateType()),
)
# gold.funnel_daily: sessions of the day reaching each funnel step (page view, product view, add to cart,
# order, pay; each step needs the ones before it), per channel, device, the user's K-means segment and
# lifecycle stage as of the previous snapshot (null when unknown). STEP_CONVERSION = sessions at the step /
# at the step before (all the cell's sessions before step 1); DROPPED_SESSIONS = the step before minus this.
GOLD_FUNNEL_DAILY_SCHEMA = _fields(
    (C.CHANNEL, T.StringType()),
    (C.DEVICE, T.StringType()),
    (C.SEGMENT_ID, T.IntegerType()),
    (C.LIFECYCLE_STAGE, T.StringType()),
    (C.STEP_INDEX, T.IntegerType()),
    (C.STEP, T.StringType()),
    (C.SESSIONS, T.LongType()),
    (C.STEP_CONVERSION, T.DoubleType()),
    (C.CONVERSION_FROM_START, T.DoubleType()),
    (C.DROPPED_SESSIONS, T.LongType()),
    (C.EVENT_DATE, T.DateType()),
)
# gold.retention_cohorts: per run (as-of) date, weekly cohorts (COHORT_TYPE registration: retained = a
# session in the week; first_order: an order in the week) and complete weeks WEEK_OFFSET 0..n after them.
GOLD_RETENTION_COHORTS_SCHEMA = _fields(
    (C.COHORT_TYPE, T.StringType()),
    (C.COHORT_WEEK, T.DateType()),
    (C.WEEK_OFFSET, T.IntegerType()),
    (C.COHORT_USERS, T.LongType()),
    (C.RETAINED_USERS, T.LongType()),
    (C.RETENTION_RATE, T.DoubleType()),
    (C.AS_OF_DATE, T.DateType()),
)
# gold.churn_monthly: per run (as-of) date, each month's churn and reactivation from the lifecycle stages:
# users not churned / churned at the month's start, moves into churned and from churned to reactivated
# between then and THROUGH_DATE (the month's last snapshot up to the as-of date), and their rates.
# HISTORY_COMPLETE is false while the lake is younger than lifecycle.churn_days at the month's start: "churned
# at start" then also counts users the lake has simply not seen yet, and their first visit counts as reactivation.
GOLD_CHURN_MONTHLY_SCHEMA = _fields(
    (C.MONTH, T.DateType()),
    (C.THROUGH_DATE, T.DateType()),
    (C.USERS_AT_START, T.LongType()),
    (C.CHURNED_USERS, T.LongType()),
    (C.CHURN_RATE, T.DoubleType()),
    (C.CHURNED_AT_START, T.LongType()),
    (C.REACTIVATED_USERS, T.LongType()),
    (C.REACTIVATION_RATE, T.DoubleType()),
    (C.HISTORY_COMPLETE, T.BooleanType()),
    (C.AS_OF_DATE, T.DateType()),
)
# gold.session_paths: the commonest page-type paths (first analytics.path_steps steps, "home > search >
# product") of the day's sessions, converted and not; SHARE is of the day's sessions with that outcome.
GOLD_SESSION_PATHS_SCHEMA = _fields(
    (C.CONVERTED, T.BooleanType()),
    (C.RANK, T.IntegerType()),
    (C.PATH, T.StringType()),
    (C.PATH_LENGTH, T.IntegerType()),
    (C.SESSIONS, T.LongType()),
    (C.SHARE, T.DoubleType()),
    (C.EVENT_DATE, T.DateType()),
)


# Campaigns (transforms/campaigns, jobs/ingest_campaigns.py, jobs/evaluate_campaigns.py).
# bronze.campaigns and bronze.campaign_assignments: the marketing tool's exports as last delivered;
# bronze.campaigns_quarantine: their bad rows with reasons (BRONZE_CATALOG_QUARANTINE_SCHEMA).
BRONZE_CAMPAIGNS_SCHEMA = _fields(
    *[(f.name, f.dataType) for f in RAW_CAMPAIGNS_SCHEMA.fields], (C.INGESTED_AT, T.TimestampType())
)
BRONZE_CAMPAIGN_ASSIGNMENTS_SCHEMA = _fields(
    *[(f.name, f.dataType) for f in RAW_CAMPAIGN_ASSIGNMENTS_SCHEMA.fields],
    (C.INGESTED_AT, T.TimestampType()),
)
BRONZE_CAMPAIGNS_QUARANTINE_SCHEMA = BRONZE_CATALOG_QUARANTINE_SCHEMA
# gold.campaign_results: per run date, campaign and METRIC (conversion: share of assigned users with an order
# in the attribution window, two-proportion z-test; gmv_per_user: paid amount of those orders per user,
# Welch's t-test): both groups, uplift with confidence intervals and p-value, CUPED (pre-period covariate of
# the day before the start) and the sample-ratio-mismatch check. COMPLETE: the window ended by the run date.
GOLD_CAMPAIGN_RESULTS_SCHEMA = _fields(
    (C.CAMPAIGN_ID, T.StringType()),
    (C.CAMPAIGN_NAME, T.StringType()),
    (C.START_DATE, T.DateType()),
    (C.END_DATE, T.DateType()),
    (C.ATTRIBUTION_END, T.DateType()),
    (C.COMPLETE, T.BooleanType()),
    (C.METRIC, T.StringType()),
    (C.TREATMENT_USERS, T.LongType()),
    (C.CONTROL_USERS, T.LongType()),
    (C.TREATMENT_MEAN, T.DoubleType()),
    (C.CONTROL_MEAN, T.DoubleType()),
    (C.ABSOLUTE_UPLIFT, T.DoubleType()),
    (C.ABSOLUTE_CI_LOW, T.DoubleType()),
    (C.ABSOLUTE_CI_HIGH, T.DoubleType()),
    (C.RELATIVE_UPLIFT, T.DoubleType()),
    (C.RELATIVE_CI_LOW, T.DoubleType()),
    (C.RELATIVE_CI_HIGH, T.DoubleType()),
    (C.TEST, T.StringType()),
    (C.STATISTIC, T.DoubleType()),
    (C.P_VALUE, T.DoubleType()),
    (C.CONFIDENCE_LEVEL, T.DoubleType()),
    (C.CUPED_COVARIATE, T.StringType()),
    (C.CUPED_THETA, T.DoubleType()),
    (C.CUPED_UPLIFT, T.DoubleType()),
    (C.CUPED_CI_LOW, T.DoubleType()),
    (C.CUPED_CI_HIGH, T.DoubleType()),
    (C.CUPED_P_VALUE, T.DoubleType()),
    (C.VARIANCE_REDUCTION, T.DoubleType()),
    (C.PLANNED_TREATMENT_SHARE, T.DoubleType()),
    (C.SRM_CHI2, T.DoubleType()),
    (C.SRM_P_VALUE, T.DoubleType()),
    (C.SRM_DETECTED, T.BooleanType()),
    (C.RUN_DATE, T.DateType()),
)
# gold.campaign_breakdown: per run date, campaign, DIMENSION (all, segment, audience) and its value as of the
# day before the start: reach (assigned users per group) and response (conversion, paid GMV per user, uplift).
GOLD_CAMPAIGN_BREAKDOWN_SCHEMA = _fields(
    (C.CAMPAIGN_ID, T.StringType()),
    (C.DIMENSION, T.StringType()),
    (C.DIMENSION_VALUE, T.StringType()),
    (C.TREATMENT_USERS, T.LongType()),
    (C.CONTROL_USERS, T.LongType()),
    (C.TREATMENT_CONVERSION, T.DoubleType()),
    (C.CONTROL_CONVERSION, T.DoubleType()),
    (C.CONVERSION_UPLIFT, T.DoubleType()),
    (C.TREATMENT_GMV_PER_USER, T.DoubleType()),
    (C.CONTROL_GMV_PER_USER, T.DoubleType()),
    (C.GMV_UPLIFT, T.DoubleType()),
    (C.RUN_DATE, T.DateType()),
)

# Purchase propensity (transforms/propensity, jobs train_propensity and score_propensity).
# gold.propensity_metrics: per run date, one row per candidate model (MODEL: logistic_regression or gbt, its
# PARAMS) trained on the TRAIN_DATES snapshots and evaluated on VALIDATION_DATE's users (labels: a paid order
# placed in the HORIZON_DAYS days after it): AUC, precision / recall / lift of the top score decile, Brier score,
# and the calibration table by score decile (1 = highest scores). CHOSEN marks the winner by AUC; MODEL_VERSION
# is the registered version of the winner retrained on the training and validation snapshots.
PROPENSITY_CALIBRATION_TYPE = T.ArrayType(
    _fields(
        (C.DECILE, T.IntegerType()),
        (C.USERS, T.LongType()),
        (C.POSITIVES, T.LongType()),
        (C.MEAN_PREDICTED, T.DoubleType()),
        (C.OBSERVED_RATE, T.DoubleType()),
        (C.MIN_SCORE, T.DoubleType()),
        (C.MAX_SCORE, T.DoubleType()),
    )
)
GOLD_PROPENSITY_METRICS_SCHEMA = _fields(
    (C.MODEL, T.StringType()),
    (C.PARAMS, T.MapType(T.StringType(), T.StringType())),
    (C.CHOSEN, T.BooleanType()),
    (C.EVALUATED_USERS, T.LongType()),
    (C.POSITIVES, T.LongType()),
    (C.BASE_RATE, T.DoubleType()),
    (C.AUC, T.DoubleType()),
    (C.PRECISION_TOP_DECILE, T.DoubleType()),
    (C.RECALL_TOP_DECILE, T.DoubleType()),
    (C.LIFT_TOP_DECILE, T.DoubleType()),
    (C.BRIER_SCORE, T.DoubleType()),
    (C.CALIBRATION, PROPENSITY_CALIBRATION_TYPE),
    (C.TRAIN_ROWS, T.LongType()),
    (C.TRAIN_SECONDS, T.DoubleType()),
    (C.TRAIN_DATES, T.ArrayType(T.DateType())),
    (C.VALIDATION_DATE, T.DateType()),
    (C.HORIZON_DAYS, T.IntegerType()),
    (C.MODEL_VERSION, T.IntegerType()),
    (C.RUN_DATE, T.DateType()),
)
# gold.propensity_validation: per run date, the chosen candidate's scores of the validation snapshot (fitted
# on the training snapshots only) with the label.
GOLD_PROPENSITY_VALIDATION_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.PURCHASE_PROPENSITY, T.DoubleType()),
    (C.PURCHASED, T.DoubleType()),
    (C.SNAPSHOT_DATE, T.DateType()),
    (C.RUN_DATE, T.DateType()),
)
# gold.user_propensity: per snapshot date, every user of gold.user_features scored by the registered model:
# P(a paid order placed in the horizon after the date) and its complement, the churn risk.
GOLD_USER_PROPENSITY_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.PURCHASE_PROPENSITY, T.DoubleType()),
    (C.CHURN_RISK, T.DoubleType()),
    (C.MODEL_VERSION, T.IntegerType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)

# gold.customer_value: per snapshot date, every customer (a paid order by the date) with their BG/NBD summary
# (x, t_x, T in clv.time_unit_days), P(alive), expected repeat purchases and CLV over clv.horizon_days, the
# Gamma-Gamma expected order value and the value tier by CLV rank.
GOLD_CUSTOMER_VALUE_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (C.FIRST_PURCHASE_DATE, T.DateType()),
    (C.FREQUENCY, T.IntegerType()),
    (C.RECENCY, T.DoubleType()),
    (C.CUSTOMER_AGE, T.DoubleType()),
    (C.MEAN_REPEAT_VALUE, T.DoubleType()),
    (C.FIRST_PURCHASE_VALUE, T.DoubleType()),
    (C.P_ALIVE, T.DoubleType()),
    (C.EXPECTED_ORDERS, T.DoubleType()),
    (C.EXPECTED_ORDER_VALUE, T.DoubleType()),
    (C.CLV, T.DoubleType()),
    (C.VALUE_TIER, T.StringType()),
    (C.VALUE_TIER_RANK, T.IntegerType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)
# gold.customer_value_fits: the two models' maximum-likelihood estimates per snapshot date.
GOLD_CUSTOMER_VALUE_FITS_SCHEMA = _fields(
    (C.MODEL, T.StringType()),
    (C.ESTIMATES, T.MapType(T.StringType(), T.DoubleType())),
    (C.LOG_LIKELIHOOD, T.DoubleType()),
    (C.CUSTOMERS, T.LongType()),
    (C.DISTINCT_ROWS, T.LongType()),
    (C.TRAIN_SECONDS, T.DoubleType()),
    (C.SNAPSHOT_DATE, T.DateType()),
)
# gold.customer_value_holdout: per run date, BG/NBD fitted up to the calibration end against the holdout:
# by calibration frequency (mean purchases per customer) and by holdout day (cumulative, all customers).
GOLD_CUSTOMER_VALUE_HOLDOUT_SCHEMA = _fields(
    (C.CALIBRATION_END, T.DateType()),
    (C.VIEW, T.StringType()),
    (C.BUCKET, T.IntegerType()),
    (C.CUSTOMERS, T.LongType()),
    (C.PREDICTED, T.DoubleType()),
    (C.ACTUAL, T.DoubleType()),
    (C.RUN_DATE, T.DateType()),
)
# gold.customer_value_ranking: per run date, the ROC AUC of each score for "buys in the holdout".
GOLD_CUSTOMER_VALUE_RANKING_SCHEMA = _fields(
    (C.CALIBRATION_END, T.DateType()),
    (C.SCORE_NAME, T.StringType()),
    (C.SOURCE, T.StringType()),
    (C.POPULATION, T.StringType()),
    (C.CUSTOMERS, T.LongType()),
    (C.POSITIVES, T.LongType()),
    (C.AUC, T.DoubleType()),
    (C.RUN_DATE, T.DateType()),
)
