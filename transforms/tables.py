"""The table catalogue: every table the product reads or writes, declared once.

Each declaration names the table, its schema (`transforms.schemas`), partition columns, keys, the date
column a day or snapshot of it is read by, and the job that writes it. Jobs open tables with
`lake.table(SPEC)`; the report's inputs, the analytics outputs, the test lakes and README's table list use
the same declarations. The sample shop's truth tables are declared in its own package.
"""

from __future__ import annotations

from shop_platform.storage.spec import TableSpec, specs_by_name
from transforms import columns as C
from transforms import schemas as S

# --- bronze: raw deliveries, parsed and validated -------------------------------------------------------
EVENTS = TableSpec(
    "bronze.events",
    S.BRONZE_EVENTS_SCHEMA,
    "ingest_events",
    partition_by=(C.EVENT_DATE, C.INGEST_DATE),
    keys=(C.EVENT_ID,),
    date_column=C.EVENT_DATE,
    description="valid events by event date and raw (delivery) date",
    run_columns=(C.INGESTED_AT,),
)
EVENTS_QUARANTINE = TableSpec(
    "bronze.events_quarantine",
    S.BRONZE_QUARANTINE_SCHEMA,
    "ingest_events",
    partition_by=(C.INGEST_DATE,),
    date_column=C.INGEST_DATE,
    description="rejected event lines: the raw line, every reason, source file and ingestion time",
    run_columns=(C.INGESTED_AT,),
)
USERS = TableSpec(
    "bronze.users",
    S.BRONZE_USERS_SCHEMA,
    "ingest_catalog",
    keys=(C.USER_ID,),
    description="registered users; phone and e-mail as salted SHA-256 pseudonyms; upserted by id",
    run_columns=(C.INGESTED_AT,),
)
ITEMS = TableSpec(
    "bronze.items",
    S.BRONZE_ITEMS_SCHEMA,
    "ingest_catalog",
    keys=(C.ITEM_ID,),
    description="the item catalogue, upserted by id",
    run_columns=(C.INGESTED_AT,),
)
CATALOG_QUARANTINE = TableSpec(
    "bronze.catalog_quarantine",
    S.BRONZE_CATALOG_QUARANTINE_SCHEMA,
    "ingest_catalog",
    partition_by=(C.INGEST_DATE,),
    date_column=C.INGEST_DATE,
    description="rejected user and item rows with their reasons",
    run_columns=(C.INGESTED_AT,),
)
CAMPAIGNS = TableSpec(
    "bronze.campaigns",
    S.BRONZE_CAMPAIGNS_SCHEMA,
    "ingest_campaigns",
    keys=(C.CAMPAIGN_ID,),
    description="campaigns from the marketing tool's export",
    run_columns=(C.INGESTED_AT,),
)
CAMPAIGN_ASSIGNMENTS = TableSpec(
    "bronze.campaign_assignments",
    S.BRONZE_CAMPAIGN_ASSIGNMENTS_SCHEMA,
    "ingest_campaigns",
    keys=(C.CAMPAIGN_ID, C.USER_ID),
    description="each campaign user's group (treatment or control)",
    run_columns=(C.INGESTED_AT,),
)
CAMPAIGNS_QUARANTINE = TableSpec(
    "bronze.campaigns_quarantine",
    S.BRONZE_CAMPAIGNS_QUARANTINE_SCHEMA,
    "ingest_campaigns",
    partition_by=(C.INGEST_DATE,),
    date_column=C.INGEST_DATE,
    description="rejected campaign and assignment rows with their reasons",
    run_columns=(C.INGESTED_AT,),
)

# --- silver: cleansed behaviour ------------------------------------------------------------------------
SILVER_EVENTS = TableSpec(
    "silver.events",
    S.SILVER_EVENTS_SCHEMA,
    "build_silver",
    partition_by=(C.EVENT_DATE,),
    keys=(C.EVENT_ID,),
    date_column=C.EVENT_DATE,
    description="deduplicated events of human users with session ids, local time and item attributes",
)
BOT_USERS = TableSpec(
    "silver.bot_users",
    S.SILVER_BOT_USERS_SCHEMA,
    "build_silver",
    partition_by=(C.EVENT_DATE,),
    keys=(C.USER_ID, C.RULE),
    date_column=C.EVENT_DATE,
    description="users flagged as bots per day, with the rule and the value that tripped it",
)
SESSIONS = TableSpec(
    "silver.sessions",
    S.SILVER_SESSIONS_SCHEMA,
    "build_silver",
    partition_by=(C.EVENT_DATE,),
    keys=(C.SESSION_ID,),
    date_column=C.EVENT_DATE,
    description="sessions by the 30-minute inactivity rule",
)
ORDERS = TableSpec(
    "silver.orders",
    S.SILVER_ORDERS_SCHEMA,
    "build_silver",
    partition_by=(C.ORDER_DATE,),
    keys=(C.ORDER_ID,),
    date_column=C.ORDER_DATE,
    description="one row per order: placed, paid and refunded amounts and times",
)
ORDER_ITEMS = TableSpec(
    "silver.order_items",
    S.SILVER_ORDER_ITEMS_SCHEMA,
    "build_silver",
    partition_by=(C.ORDER_DATE,),
    keys=(C.ORDER_ID, C.ITEM_ID),
    date_column=C.ORDER_DATE,
    description="one row per order line",
)

# --- gold: interactions --------------------------------------------------------------------------------
USER_ITEM_DAILY = TableSpec(
    "gold.user_item_daily",
    S.GOLD_USER_ITEM_DAILY_SCHEMA,
    "build_interactions",
    partition_by=(C.EVENT_DATE,),
    keys=(C.USER_ID, C.ITEM_ID),
    date_column=C.EVENT_DATE,
    description="per user, item and day: interaction counts and implicit-feedback strength",
)
USER_ITEM_SETTLED = TableSpec(
    "gold.user_item_settled",
    S.GOLD_USER_ITEM_SETTLED_SCHEMA,
    "build_interactions",
    keys=(C.USER_ID, C.ITEM_ID),
    date_column=C.SETTLED_THROUGH,
    description="the decayed user-item totals of every day before the look-back window",
)
USER_ITEM_INTERACTIONS = TableSpec(
    "gold.user_item_interactions",
    S.GOLD_USER_ITEM_INTERACTIONS_SCHEMA,
    "build_interactions",
    keys=(C.USER_ID, C.ITEM_ID),
    date_column=C.AS_OF_DATE,
    description="the user-item matrix as of the run date, with ALS indexes",
)
USER_INDEX = TableSpec(
    "gold.user_index",
    S.GOLD_USER_INDEX_SCHEMA,
    "build_interactions",
    keys=(C.USER_ID,),
    description="stable integer ids of users for ALS",
)
ITEM_INDEX = TableSpec(
    "gold.item_index",
    S.GOLD_ITEM_INDEX_SCHEMA,
    "build_interactions",
    keys=(C.ITEM_ID,),
    description="stable integer ids of items for ALS",
)
ITEM_CATEGORIES = TableSpec(
    "gold.item_categories",
    S.GOLD_ITEM_CATEGORIES_SCHEMA,
    "build_interactions",
    keys=(C.ITEM_ID,),
    description="one category per item: the smallest of the categories the events that name it carry",
)

# --- gold: the user profile ----------------------------------------------------------------------------
USER_DAILY_ACTIVITY = TableSpec(
    "gold.user_daily_activity",
    S.GOLD_USER_DAILY_ACTIVITY_SCHEMA,
    "build_user_features",
    partition_by=(C.ACTIVITY_DATE,),
    keys=(C.USER_ID,),
    date_column=C.ACTIVITY_DATE,
    description="per user and day: activity counts, amounts, categories, hours, devices",
)
USER_FEATURES = TableSpec(
    "gold.user_features",
    S.GOLD_USER_FEATURES_SCHEMA,
    "build_user_features",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.USER_ID,),
    date_column=C.SNAPSHOT_DATE,
    description="per user and snapshot date: windowed activity, recency, preferences, profile",
)
# Read it through transforms.tags.history (tags_as_of, tags_as_of_each, tag_moves), never by date column.
TAG_HISTORY = TableSpec(
    "gold.tag_history",
    S.GOLD_TAG_HISTORY_SCHEMA,
    "build_tag_snapshots",
    partition_by=(C.VALID_TO_MONTH,),
    keys=(C.USER_ID, C.TAG_ID, C.VALID_FROM),
    description="every user's tag values as validity intervals (valid_from, valid_to exclusive or null while"
    " current): the snapshot as of any date",
)
# One column per tag of the catalogue: its writer gives the schema.
USER_PROFILE = TableSpec(
    "gold.user_profile",
    None,
    "build_tag_snapshots",
    keys=(C.USER_ID,),
    description="the latest snapshot's tags, one column per tag (wide)",
)
LIFECYCLE_TRANSITIONS = TableSpec(
    "gold.lifecycle_transitions",
    S.GOLD_LIFECYCLE_TRANSITIONS_SCHEMA,
    "build_tag_snapshots",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.FROM_STAGE, C.TO_STAGE),
    date_column=C.SNAPSHOT_DATE,
    description="users moving between lifecycle stages from the previous snapshot",
)
TAG_QUALITY = TableSpec(
    "gold.tag_quality",
    S.GOLD_TAG_QUALITY_SCHEMA,
    "build_tag_snapshots",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.TAG_ID,),
    date_column=C.SNAPSHOT_DATE,
    description="per tag and snapshot: coverage, distribution and drift (PSI)",
)
USER_PROPENSITY = TableSpec(
    "gold.user_propensity",
    S.GOLD_USER_PROPENSITY_SCHEMA,
    "score_propensity",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.USER_ID,),
    date_column=C.SNAPSHOT_DATE,
    description="purchase propensity and churn risk per user and date",
)
PROPENSITY_METRICS = TableSpec(
    "gold.propensity_metrics",
    S.GOLD_PROPENSITY_METRICS_SCHEMA,
    "train_propensity",
    partition_by=(C.RUN_DATE,),
    keys=(C.MODEL, C.PARAMS),
    date_column=C.RUN_DATE,
    description="every propensity candidate's validation AUC, top-decile precision and calibration",
    run_columns=(C.TRAIN_SECONDS,),
)
PROPENSITY_VALIDATION = TableSpec(
    "gold.propensity_validation",
    S.GOLD_PROPENSITY_VALIDATION_SCHEMA,
    "train_propensity",
    partition_by=(C.RUN_DATE,),
    keys=(C.USER_ID,),
    date_column=C.RUN_DATE,
    description="the chosen propensity candidate's out-of-sample scores of its validation snapshot",
)

# --- gold: customer value -------------------------------------------------------------------------------
CUSTOMER_VALUE = TableSpec(
    "gold.customer_value",
    S.GOLD_CUSTOMER_VALUE_SCHEMA,
    "build_customer_value",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.USER_ID,),
    date_column=C.SNAPSHOT_DATE,
    description="per customer and date: BG/NBD P(alive) and expected orders, Gamma-Gamma order value, CLV, tier",
)
CUSTOMER_VALUE_FITS = TableSpec(
    "gold.customer_value_fits",
    S.GOLD_CUSTOMER_VALUE_FITS_SCHEMA,
    "build_customer_value",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.MODEL,),
    date_column=C.SNAPSHOT_DATE,
    description="BG/NBD and Gamma-Gamma estimates and log-likelihood per date",
    run_columns=(C.TRAIN_SECONDS,),
)
CUSTOMER_VALUE_HOLDOUT = TableSpec(
    "gold.customer_value_holdout",
    S.GOLD_CUSTOMER_VALUE_HOLDOUT_SCHEMA,
    "evaluate_customer_value",
    partition_by=(C.RUN_DATE,),
    keys=(C.VIEW, C.BUCKET),
    date_column=C.RUN_DATE,
    description="predicted vs actual holdout purchases by calibration frequency and by holdout day",
)
CUSTOMER_VALUE_RANKING = TableSpec(
    "gold.customer_value_ranking",
    S.GOLD_CUSTOMER_VALUE_RANKING_SCHEMA,
    "evaluate_customer_value",
    partition_by=(C.RUN_DATE,),
    keys=(C.SCORE_NAME, C.POPULATION),
    date_column=C.RUN_DATE,
    description="AUC of P(alive), expected orders and purchase propensity for a purchase in the holdout",
)

# --- gold: audiences and segments ----------------------------------------------------------------------
AUDIENCE_MEMBERS = TableSpec(
    "gold.audience_members",
    S.GOLD_AUDIENCE_MEMBERS_SCHEMA,
    "build_audiences",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.AUDIENCE_ID, C.USER_ID),
    date_column=C.SNAPSHOT_DATE,
    description="the users of each audience rule per snapshot date",
)
AUDIENCE_SIZES = TableSpec(
    "gold.audience_sizes",
    S.GOLD_AUDIENCE_SIZES_SCHEMA,
    "build_audiences",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.AUDIENCE_ID,),
    date_column=C.SNAPSHOT_DATE,
    description="each audience's size per snapshot date",
)
AUDIENCE_OVERLAP = TableSpec(
    "gold.audience_overlap",
    S.GOLD_AUDIENCE_OVERLAP_SCHEMA,
    "build_audiences",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.AUDIENCE_ID, C.OTHER_AUDIENCE_ID),
    date_column=C.SNAPSHOT_DATE,
    description="users shared by each pair of audiences",
)
USER_SEGMENTS = TableSpec(
    "gold.user_segments",
    S.GOLD_USER_SEGMENTS_SCHEMA,
    "build_segments",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.USER_ID,),
    date_column=C.SNAPSHOT_DATE,
    description="K-means segment per active user and date",
)
SEGMENT_TRANSITIONS = TableSpec(
    "gold.segment_transitions",
    S.GOLD_SEGMENT_TRANSITIONS_SCHEMA,
    "build_segments",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.FROM_SEGMENT_ID, C.TO_SEGMENT_ID),
    date_column=C.SNAPSHOT_DATE,
    description="users per (segment the day before, segment on the date)",
)
SEGMENT_PROFILES = TableSpec(
    "gold.segment_profiles",
    S.GOLD_SEGMENT_PROFILES_SCHEMA,
    "build_segment_profiles",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.SEGMENT_ID,),
    date_column=C.SNAPSHOT_DATE,
    description="size, share, feature means against the population, dominant RFM and lifecycle, label",
)

# --- gold: behaviour analytics -------------------------------------------------------------------------
ACTIVITY_DAILY = TableSpec(
    "gold.activity_daily",
    S.GOLD_ACTIVITY_DAILY_SCHEMA,
    "build_behaviour_analytics",
    partition_by=(C.ACTIVITY_DATE,),
    date_column=C.ACTIVITY_DATE,
    description="DAU, WAU, MAU, new and returning users, stickiness",
)
FUNNEL_DAILY = TableSpec(
    "gold.funnel_daily",
    S.GOLD_FUNNEL_DAILY_SCHEMA,
    "build_behaviour_analytics",
    partition_by=(C.EVENT_DATE,),
    date_column=C.EVENT_DATE,
    description="session funnel steps by channel, device, segment and lifecycle stage",
)
RETENTION_COHORTS = TableSpec(
    "gold.retention_cohorts",
    S.GOLD_RETENTION_COHORTS_SCHEMA,
    "build_behaviour_analytics",
    partition_by=(C.AS_OF_DATE,),
    keys=(C.COHORT_TYPE, C.COHORT_WEEK, C.WEEK_OFFSET),
    date_column=C.AS_OF_DATE,
    description="weekly retention of registration and first-order cohorts",
)
CHURN_MONTHLY = TableSpec(
    "gold.churn_monthly",
    S.GOLD_CHURN_MONTHLY_SCHEMA,
    "build_behaviour_analytics",
    partition_by=(C.AS_OF_DATE,),
    keys=(C.MONTH,),
    date_column=C.AS_OF_DATE,
    description="monthly churn and reactivation",
)
SESSION_PATHS = TableSpec(
    "gold.session_paths",
    S.GOLD_SESSION_PATHS_SCHEMA,
    "build_behaviour_analytics",
    partition_by=(C.EVENT_DATE,),
    keys=(C.CONVERTED, C.RANK),
    date_column=C.EVENT_DATE,
    description="the commonest page paths of converting and other sessions",
)

# --- gold: campaigns -----------------------------------------------------------------------------------
CAMPAIGN_RESULTS = TableSpec(
    "gold.campaign_results",
    S.GOLD_CAMPAIGN_RESULTS_SCHEMA,
    "evaluate_campaigns",
    partition_by=(C.RUN_DATE,),
    keys=(C.CAMPAIGN_ID, C.METRIC),
    date_column=C.RUN_DATE,
    description="uplift, intervals, p-values, SRM and CUPED per campaign and metric",
)
CAMPAIGN_BREAKDOWN = TableSpec(
    "gold.campaign_breakdown",
    S.GOLD_CAMPAIGN_BREAKDOWN_SCHEMA,
    "evaluate_campaigns",
    partition_by=(C.RUN_DATE,),
    keys=(C.CAMPAIGN_ID, C.DIMENSION, C.DIMENSION_VALUE),
    date_column=C.RUN_DATE,
    description="campaign uplift by segment, audience and lifecycle stage",
)

# --- gold: recommendations -----------------------------------------------------------------------------
RECOMMENDATION_METRICS = TableSpec(
    "gold.recommendation_metrics",
    S.GOLD_RECOMMENDATION_METRICS_SCHEMA,
    "evaluate_recommenders",
    partition_by=(C.RUN_DATE,),
    keys=(C.MODEL, C.PARAMS),
    date_column=C.RUN_DATE,
    description="the ALS grid, popularity baselines and the blend on a time split",
    run_columns=(C.TRAIN_SECONDS,),
)
RECOMMENDATION_METRICS_BY_GROUP = TableSpec(
    "gold.recommendation_metrics_by_group",
    S.GOLD_RECOMMENDATION_METRICS_BY_GROUP_SCHEMA,
    "evaluate_recommenders",
    partition_by=(C.RUN_DATE,),
    keys=(C.MODEL, C.USER_GROUP),
    date_column=C.RUN_DATE,
    description="the same metrics for new, light and heavy users",
)
ALS_RECOMMENDATIONS = TableSpec(
    "gold.als_recommendations",
    S.GOLD_ALS_RECOMMENDATIONS_SCHEMA,
    "train_als",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.USER_ID, C.RANK),
    date_column=C.SNAPSHOT_DATE,
    description="the registered ALS model's top items per user",
)
ITEM_SIMILAR_ALS = TableSpec(
    "gold.item_similar_als",
    S.GOLD_ITEM_SIMILAR_ALS_SCHEMA,
    "train_als",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.ITEM_ID, C.RANK),
    date_column=C.SNAPSHOT_DATE,
    description="each item's nearest items in the ALS factor space",
)
COPURCHASE_EDGES = TableSpec(
    "gold.copurchase_edges",
    S.GOLD_COPURCHASE_EDGES_SCHEMA,
    "build_copurchase_graph",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.SRC, C.DST, C.EDGE_TYPE),
    date_column=C.SNAPSHOT_DATE,
    description="item pairs bought (or viewed) together: support, confidence, lift, shrunk lift",
)
ITEM_RANK = TableSpec(
    "gold.item_rank",
    S.GOLD_ITEM_RANK_SCHEMA,
    "build_copurchase_graph",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.ITEM_ID,),
    date_column=C.SNAPSHOT_DATE,
    description="PageRank and degree of items in the co-purchase graph",
)
ITEM_COMMUNITIES = TableSpec(
    "gold.item_communities",
    S.GOLD_ITEM_COMMUNITIES_SCHEMA,
    "build_copurchase_graph",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.ITEM_ID,),
    date_column=C.SNAPSHOT_DATE,
    description="connected components and label-propagation communities of items",
)
BOUGHT_TOGETHER = TableSpec(
    "gold.bought_together",
    S.GOLD_BOUGHT_TOGETHER_SCHEMA,
    "build_copurchase_graph",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.ITEM_ID, C.RANK),
    date_column=C.SNAPSHOT_DATE,
    description="each item's top partners for 'bought together', by shrunk lift",
)
RECOMMENDATIONS = TableSpec(
    "gold.recommendations",
    S.GOLD_RECOMMENDATIONS_SCHEMA,
    "build_recommendations",
    partition_by=(C.SNAPSHOT_DATE,),
    keys=(C.USER_ID, C.RANK),
    date_column=C.SNAPSHOT_DATE,
    description="top-N per user blended from ALS, co-purchase and popularity, with score and source",
)

TABLES: tuple[TableSpec, ...] = tuple(v for v in list(globals().values()) if isinstance(v, TableSpec))
BY_NAME: dict[str, TableSpec] = specs_by_name(TABLES)


def spec(name: str) -> TableSpec:
    """The declaration of table `name` (e.g. "gold.user_features"); an unknown name is an error naming it."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no table {name!r} in the catalogue (transforms.tables)") from None
