"""Schemas of the generator's ground truth (`<lake.root>/truth/`): what it planted, read by the truth checks.

Every column is nullable because that is how Parquet reads them back; the checks compare the read schema
with these exactly.
"""

from pyspark.sql import types as T

from sample_shop import columns as TC
from transforms import columns as C


def _fields(*pairs: tuple[str, T.DataType]) -> T.StructType:
    return T.StructType([T.StructField(name, data_type, nullable=True) for name, data_type in pairs])


TRUTH_PERSONAS_SCHEMA = _fields((C.USER_ID, T.StringType()), (TC.PERSONA, T.StringType()))
TRUTH_EVENT_SESSIONS_SCHEMA = _fields((C.EVENT_ID, T.StringType()), (C.SESSION_ID, T.StringType()))
TRUTH_BUNDLES_SCHEMA = _fields((TC.BUNDLE_ID, T.StringType()), (C.ITEM_ID, T.StringType()))
TRUTH_CAMPAIGNS_SCHEMA = _fields(
    (C.CAMPAIGN_ID, T.StringType()),
    (C.USER_ID, T.StringType()),
    (C.GROUP, T.StringType()),
    (TC.PLANTED_UPLIFT, T.DoubleType()),
)
TRUTH_CHURN_SCHEMA = _fields((C.USER_ID, T.StringType()), (TC.CHURN_DATE, T.DateType()))
# One row per event whose raw line carries a planted defect: DATE is its raw folder ("YYYY-MM-DD"), DIRT the
# kind (duplicate, malformed_json, missing_field, wrong_type, negative_amount, future_timestamp, ...).
TRUTH_DIRT_SCHEMA = _fields((C.EVENT_ID, T.StringType()), (C.DATE, T.StringType()), (TC.DIRT, T.StringType()))
# Drift only (`generator.drift`): items launched during the period, and users whose favourite category
# changes in it (categories by their l2 name).
TRUTH_LAUNCHES_SCHEMA = _fields((C.ITEM_ID, T.StringType()), (C.LAUNCH_DATE, T.DateType()))
TRUTH_TASTE_CHANGES_SCHEMA = _fields(
    (C.USER_ID, T.StringType()),
    (TC.CHANGE_DATE, T.DateType()),
    (TC.FAVOURITE_BEFORE, T.StringType()),
    (TC.FAVOURITE_AFTER, T.StringType()),
)
