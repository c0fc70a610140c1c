"""A small hand-built gold lake of the catalogue's tables (transforms.tables: their schemas and partitions),
written through the lake API once per test session: what the report and the notebooks read
(tests/test_report*.py, tests/test_notebooks.py).

Run date RUN; most tables hold RUN and the day before (PREV), whose rows must not leak into RUN's summaries;
the segments exist for PREV only, so the report must say it shows them one day before the run date.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import types as T

from shop_platform.settings import LakeSettings
from shop_platform.storage import Lake, open_lake
from shop_platform.storage.spec import TableSpec
from transforms import columns as C
from transforms import tables

RUN = dt.date(2031, 3, 12)
PREV = RUN - dt.timedelta(days=1)
WRITERS = 4
# Local rows reach Spark as Arrow batches, with no silent fallback to the slow path.
ARROW = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
}

USERS = ("u1", "u2", "u3", "u4", "u5", "u6")
RFM = {
    "u1": "champions",
    "u2": "champions",
    "u3": "lost",
    "u4": "no_purchase",
    "u5": "no_purchase",
    "u6": "no_purchase",
}
STAGES = {"u1": "active", "u2": "active", "u3": "at_risk", "u4": "new", "u5": "active", "u6": "churned"}
PREFERRED = {"u1": ["apparel", "beauty"], "u2": ["sports"], "u3": ["food"]}
ITEMS = {
    "i1": ("apparel", "shoes", "Li-Ning"),
    "i2": ("beauty", "skincare", "SK-II"),
    "i3": ("sports", "outdoor", "Kailas"),
    "i4": ("food", "snacks", "Oreo"),
    "i5": ("apparel", "men", "Uniqlo"),
    "i6": ("home", "kitchen", "Midea"),
}
# Every user's blended list on RUN: (item, score, source); u6 has no list.
LISTS = {
    "u1": [("i1", 0.9, "als"), ("i2", 0.8, "copurchase"), ("i5", 0.7, "category_popular")],
    "u2": [("i3", 0.9, "als"), ("i1", 0.5, "als"), ("i6", 0.2, "global_popular")],
    "u3": [("i4", 0.6, "copurchase"), ("i2", 0.5, "als"), ("i3", 0.4, "als")],
    "u4": [("i6", 0.3, "segment_popular"), ("i1", 0.2, "segment_popular"), ("i2", 0.1, "global_popular")],
    "u5": [("i5", 0.8, "als"), ("i4", 0.4, "category_popular"), ("i3", 0.1, "global_popular")],
}
PROPENSITY = {"u1": 0.05, "u2": 0.95, "u3": 1.0, "u4": 0.5, "u5": 0.51, "u6": 0.0}
# Sessions per funnel step on RUN in two cells: (step index, step, sessions, dropped sessions).
FUNNEL_CELLS = {
    ("web", "desktop", 1, "active"): [
        (1, "page_view", 10, 0),
        (2, "product_view", 8, 2),
        (3, "add_to_cart", 4, 4),
        (4, "order", 2, 2),
        (5, "pay", 2, 0),
    ],
    ("app", "ios", 2, "new"): [
        (1, "page_view", 5, 1),
        (2, "product_view", 5, 0),
        (3, "add_to_cart", 2, 3),
        (4, "order", 1, 1),
        (5, "pay", 0, 1),
    ],
}
AUDIENCES = {RUN: {"a_big": 50, "a_mid": 30, "a_small": 10, "a_tiny": 2}, PREV: {"a_big": 45, "a_mid": 30}}
# gold.customer_value on RUN: user -> (tier, tier rank, CLV, P(alive), expected orders); u3 and u2 share a tier.
CUSTOMER_VALUE = {
    "u1": ("vip", 1, 1000.0, 0.9, 3.0),
    "u2": ("high", 2, 400.0, 0.8, 2.0),
    "u3": ("high", 2, 200.0, 0.3, 1.0),
    "u4": ("low", 4, 50.0, 1.0, 0.5),
}
# The holdout of RUN's evaluation: it starts the day after CALIBRATION_END.
CALIBRATION_END = RUN - dt.timedelta(days=7)
# Calibration frequency bucket (7: 7 and more) -> (customers, mean predicted, mean actual holdout purchases).
HOLDOUT_BY_FREQUENCY = {0: (10, 0.2, 0.1), 1: (6, 0.5, 0.5), 2: (3, 0.9, 1.0), 7: (2, 2.5, 3.0)}
# Cumulative actual purchases of the 21 calibration customers by holdout day 1..7 (1.5 a day predicted).
HOLDOUT_ACTUAL_BY_DAY = (1, 3, 4, 6, 8, 9, 11)
# (score, population) -> (customers, positives, AUC) on RUN; the propensity score ranks best, P(alive) worst.
RANKING = {
    ("p_alive", "all_customers"): (21, 7, 0.45),
    ("expected_orders", "all_customers"): (21, 7, 0.7),
    ("p_alive", "scored_by_both"): (18, 6, 0.44),
    ("expected_orders", "scored_by_both"): (18, 6, 0.68),
    ("purchase_propensity", "scored_by_both"): (18, 6, 0.8),
}
TAG_QUALITY = {  # tag: (users with a value, coverage, distinct values, PSI on RUN)
    "rfm_segment": (6, 1.0, 3, 0.02),
    "lifecycle_stage": (6, 1.0, 4, 0.3),
    "preferred_categories": (3, 0.5, 4, 0.12),
    "gender": (5, 0.83, 2, 0.0),
}


def rows(schema: T.StructType, records: Iterable[Mapping[str, Any]]) -> list[tuple]:
    """Tuples in the schema's column order; a column a record leaves out is null."""
    names = schema.fieldNames()
    out = []
    for record in records:
        unknown = set(record) - set(names)
        if unknown:
            raise KeyError(f"not columns of the schema: {sorted(unknown)}")
        out.append(tuple(record.get(name) for name in names))
    return out


def _tags() -> list[dict[str, Any]]:
    records = []
    for day in (PREV, RUN):
        for user in USERS:
            rfm = "champions" if (day == PREV and user == "u3") else RFM[user]
            records.append({C.USER_ID: user, C.TAG_ID: "rfm_segment", C.VALUE: rfm, C.SNAPSHOT_DATE: day})
            records.append(
                {C.USER_ID: user, C.TAG_ID: "lifecycle_stage", C.VALUE: STAGES[user], C.SNAPSHOT_DATE: day}
            )
            if user in PREFERRED:
                records.append(
                    {
                        C.USER_ID: user,
                        C.TAG_ID: "preferred_categories",
                        C.VALUE: ",".join(PREFERRED[user]),
                        C.VALUE_LIST: PREFERRED[user],
                        C.SNAPSHOT_DATE: day,
                    }
                )
            if user != "u6":
                records.append(
                    {
                        C.USER_ID: user,
                        C.TAG_ID: "gender",
                        C.VALUE: "F" if user < "u4" else "M",
                        C.SNAPSHOT_DATE: day,
                    }
                )
    return records


def _tag_history() -> list[dict[str, Any]]:
    """`_tags()` as gold.tag_history intervals: a value held on consecutive days is one interval, current
    (VALID_TO null) when it still holds on RUN."""
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in _tags():
        by_key.setdefault((record[C.USER_ID], record[C.TAG_ID]), []).append(record)
    intervals = []
    for records in by_key.values():
        records.sort(key=lambda r: r[C.SNAPSHOT_DATE])
        for i, record in enumerate(records):
            value = {k: v for k, v in record.items() if k != C.SNAPSHOT_DATE}
            day = record[C.SNAPSHOT_DATE]
            before = records[i - 1] if i else None
            if (
                before is not None
                and before[C.SNAPSHOT_DATE] == day - dt.timedelta(days=1)
                and {k: v for k, v in before.items() if k != C.SNAPSHOT_DATE} == value
            ):
                intervals[-1][C.VALID_TO] = None if day == RUN else day + dt.timedelta(days=1)
                continue
            end = None if day == RUN else day + dt.timedelta(days=1)
            intervals.append({**value, C.VALID_FROM: day, C.VALID_TO: end})
    for interval in intervals:
        end = interval[C.VALID_TO]
        interval[C.VALID_TO_MONTH] = "open" if end is None else end.strftime("%Y-%m")
    return intervals


def _funnel() -> list[dict[str, Any]]:
    records = []
    for (channel, device, segment, stage), steps in FUNNEL_CELLS.items():
        total = steps[0][2] + steps[0][3]
        previous = total
        for index, step, sessions, dropped in steps:
            records.append(
                {
                    C.CHANNEL: channel,
                    C.DEVICE: device,
                    C.SEGMENT_ID: segment,
                    C.LIFECYCLE_STAGE: stage,
                    C.STEP_INDEX: index,
                    C.STEP: step,
                    C.SESSIONS: sessions,
                    C.STEP_CONVERSION: sessions / previous if previous else None,
                    C.CONVERSION_FROM_START: sessions / total,
                    C.DROPPED_SESSIONS: dropped,
                    C.EVENT_DATE: RUN,
                }
            )
            previous = sessions
    # The day before: must not be counted in RUN's funnel.
    records.append(
        {
            C.CHANNEL: "web",
            C.DEVICE: "desktop",
            C.STEP_INDEX: 1,
            C.STEP: "page_view",
            C.SESSIONS: 100,
            C.STEP_CONVERSION: 1.0,
            C.CONVERSION_FROM_START: 1.0,
            C.DROPPED_SESSIONS: 0,
            C.EVENT_DATE: PREV,
        }
    )
    return records


def _campaign_results() -> list[dict[str, Any]]:
    common = {
        C.CONFIDENCE_LEVEL: 0.95,
        C.PLANNED_TREATMENT_SHARE: 0.5,
        C.SRM_CHI2: 0.1,
        C.SRM_P_VALUE: 0.75,
        C.SRM_DETECTED: False,
        C.RUN_DATE: RUN,
    }
    first = {
        C.CAMPAIGN_ID: "cmp1",
        C.CAMPAIGN_NAME: "Spring sale",
        C.START_DATE: RUN - dt.timedelta(days=20),
        C.END_DATE: RUN - dt.timedelta(days=14),
        C.ATTRIBUTION_END: RUN - dt.timedelta(days=14),
        C.COMPLETE: True,
        C.TREATMENT_USERS: 500,
        C.CONTROL_USERS: 490,
    }
    second = {
        C.CAMPAIGN_ID: "cmp2",
        C.CAMPAIGN_NAME: "Member days",
        C.START_DATE: RUN - dt.timedelta(days=3),
        C.END_DATE: RUN + dt.timedelta(days=3),
        C.ATTRIBUTION_END: RUN + dt.timedelta(days=3),
        C.COMPLETE: False,
        C.TREATMENT_USERS: 300,
        C.CONTROL_USERS: 310,
    }
    conversion = {C.METRIC: "conversion", C.TEST: "two_proportion_z", C.CUPED_COVARIATE: "orders_30d"}
    gmv = {C.METRIC: "gmv_per_user", C.TEST: "welch_t", C.CUPED_COVARIATE: "paid_gmv_30d"}

    def result(uplift: float, half_width: float, control: float) -> dict[str, Any]:
        return {
            C.TREATMENT_MEAN: control + uplift,
            C.CONTROL_MEAN: control,
            C.ABSOLUTE_UPLIFT: uplift,
            C.ABSOLUTE_CI_LOW: uplift - half_width,
            C.ABSOLUTE_CI_HIGH: uplift + half_width,
            C.RELATIVE_UPLIFT: uplift / control,
            C.RELATIVE_CI_LOW: (uplift - half_width) / control,
            C.RELATIVE_CI_HIGH: (uplift + half_width) / control,
            C.STATISTIC: 2.0,
            C.P_VALUE: 0.04,
            C.CUPED_THETA: 0.1,
            C.CUPED_UPLIFT: uplift * 0.9,
            C.CUPED_CI_LOW: uplift * 0.9 - half_width * 0.8,
            C.CUPED_CI_HIGH: uplift * 0.9 + half_width * 0.8,
            C.CUPED_P_VALUE: 0.02,
            C.VARIANCE_REDUCTION: 0.2,
        }

    return [
        {**common, **first, **conversion, **result(0.03, 0.02, 0.15)},
        {**common, **first, **gmv, **result(80.0, 100.0, 200.0)},
        {**common, **second, **conversion, **result(-0.01, 0.03, 0.12)},
    ]


def _calibration(offset: float) -> list[dict[str, Any]]:
    return [
        {
            C.DECILE: d,
            C.USERS: 10,
            C.POSITIVES: d,
            C.MEAN_PREDICTED: d / 10 + offset,
            C.OBSERVED_RATE: d / 10,
            C.MIN_SCORE: (d - 1) / 10,
            C.MAX_SCORE: d / 10,
        }
        for d in (1, 5, 10)
    ]


def _customer_value() -> dict[TableSpec, list[dict[str, Any]]]:
    """The four customer value tables; each also holds a PREV row that must not reach RUN's summaries."""
    values = [
        {
            C.USER_ID: user,
            C.FREQUENCY: 1,
            C.CLV: clv,
            C.P_ALIVE: alive,
            C.EXPECTED_ORDERS: orders,
            C.VALUE_TIER: tier,
            C.VALUE_TIER_RANK: rank,
            C.SNAPSHOT_DATE: RUN,
        }
        for user, (tier, rank, clv, alive, orders) in CUSTOMER_VALUE.items()
    ] + [
        {C.USER_ID: "u1", C.CLV: 9000.0, C.P_ALIVE: 0.1, C.EXPECTED_ORDERS: 9.0, C.VALUE_TIER: "vip",
         C.VALUE_TIER_RANK: 1, C.SNAPSHOT_DATE: PREV}
    ]  # fmt: skip
    fits = [
        {
            C.MODEL: model,
            C.ESTIMATES: estimates,
            C.LOG_LIKELIHOOD: -100.0,
            C.CUSTOMERS: 21,
            C.DISTINCT_ROWS: 12,
            C.TRAIN_SECONDS: 0.1,
            C.SNAPSHOT_DATE: day,
        }
        for day in (PREV, RUN)
        for model, estimates in (
            ("bg_nbd", {"r": 0.25, "alpha": 4.4, "a": 0.8, "b": 2.4}),
            ("gamma_gamma", {"p": 6.2, "q": 3.7, "v": 15.4}),
        )
    ]
    holdout = [
        {C.VIEW: "frequency", C.BUCKET: bucket, C.CUSTOMERS: customers, C.PREDICTED: predicted, C.ACTUAL: actual}
        for bucket, (customers, predicted, actual) in HOLDOUT_BY_FREQUENCY.items()
    ] + [
        {C.VIEW: "day", C.BUCKET: day, C.CUSTOMERS: 21, C.PREDICTED: 1.5 * day, C.ACTUAL: float(actual)}
        for day, actual in enumerate(HOLDOUT_ACTUAL_BY_DAY, start=1)
    ]  # fmt: skip
    ranking = [
        {C.SCORE_NAME: score, C.POPULATION: population, C.CUSTOMERS: customers, C.POSITIVES: positives,
         C.AUC: auc, C.SOURCE: "gold.user_propensity" if score == "purchase_propensity" else "bg_nbd_calibration_fit"}
        for (score, population), (customers, positives, auc) in RANKING.items()
    ]  # fmt: skip
    previous_end = CALIBRATION_END - dt.timedelta(days=1)
    previous_holdout = {C.CALIBRATION_END: previous_end, C.VIEW: "frequency", C.BUCKET: 3, C.CUSTOMERS: 99,
                        C.PREDICTED: 9.0, C.ACTUAL: 9.0, C.RUN_DATE: PREV}  # fmt: skip
    previous_ranking = {C.CALIBRATION_END: previous_end, C.SCORE_NAME: "p_alive", C.SOURCE: "bg_nbd_calibration_fit",
                        C.POPULATION: "all_customers", C.CUSTOMERS: 99, C.POSITIVES: 9, C.AUC: 0.99,
                        C.RUN_DATE: PREV}  # fmt: skip
    run = {C.CALIBRATION_END: CALIBRATION_END, C.RUN_DATE: RUN}
    return {
        tables.CUSTOMER_VALUE: values,
        tables.CUSTOMER_VALUE_FITS: fits,
        tables.CUSTOMER_VALUE_HOLDOUT: [*({**r, **run} for r in holdout), previous_holdout],
        tables.CUSTOMER_VALUE_RANKING: [*({**r, **run} for r in ranking), previous_ranking],
    }


def contents() -> dict[TableSpec, list[dict[str, Any]]]:
    """Every table of the lake, as the catalogue declares it: table -> records."""
    items = [
        {C.ITEM_ID: i, C.CATEGORY_L1: a, C.CATEGORY_L2: b, C.BRAND: brand, C.LIST_PRICE: 10.0}
        for i, (a, b, brand) in ITEMS.items()
    ]
    recommendations = [
        {
            C.USER_ID: user,
            C.RANK: rank,
            C.ITEM_ID: item,
            C.SCORE: score,
            C.SOURCE: source,
            C.SNAPSHOT_DATE: RUN,
        }
        for user, entries in LISTS.items()
        for rank, (item, score, source) in enumerate(entries, start=1)
    ] + [
        {C.USER_ID: "u1", C.RANK: 1, C.ITEM_ID: "i6", C.SCORE: 1.0, C.SOURCE: "stale", C.SNAPSHOT_DATE: PREV}
    ]
    als = [
        {C.USER_ID: user, C.RANK: rank, C.ITEM_ID: item, C.SCORE: 1.0 / rank, C.SNAPSHOT_DATE: RUN}
        for user in USERS
        for rank, item in enumerate(("i1", "i3"), start=1)
    ]
    return {
        tables.ACTIVITY_DAILY: [
            {
                C.DAU: dau,
                C.WAU: dau * 2,
                C.MAU: 200,
                C.NEW_USERS: 5,
                C.RETURNING_USERS: dau - 5,
                C.STICKINESS: dau / 200,
                C.ACTIVITY_DATE: RUN - dt.timedelta(days=back),
            }
            for back, dau in ((2, 40), (1, 50), (0, 60))
        ],
        tables.FUNNEL_DAILY: _funnel(),
        tables.SESSION_PATHS: [
            {
                C.CONVERTED: converted,
                C.RANK: rank,
                C.PATH: path,
                C.PATH_LENGTH: path.count(">") + 1,
                C.SESSIONS: sessions,
                C.SHARE: share,
                C.EVENT_DATE: RUN,
            }
            for converted, rank, path, sessions, share in (
                (True, 1, "home > product", 2, 0.67),
                (True, 2, "product", 1, 0.33),
                (False, 1, "product", 8, 0.62),
                (False, 2, "home", 5, 0.38),
            )
        ],
        tables.RETENTION_COHORTS: [
            {
                C.COHORT_TYPE: kind,
                C.COHORT_WEEK: week,
                C.WEEK_OFFSET: offset,
                C.COHORT_USERS: users,
                C.RETAINED_USERS: kept,
                C.RETENTION_RATE: kept / users,
                C.AS_OF_DATE: RUN,
            }
            for kind, week, offset, users, kept in (
                ("registration", dt.date(2031, 2, 24), 0, 20, 20),
                ("registration", dt.date(2031, 2, 24), 1, 20, 12),
                ("registration", dt.date(2031, 3, 3), 0, 10, 10),
                ("first_order", dt.date(2031, 2, 24), 0, 8, 8),
                ("first_order", dt.date(2031, 2, 24), 1, 8, 3),
            )
        ],
        tables.CHURN_MONTHLY: [
            {
                C.MONTH: dt.date(2031, 2, 1),
                C.THROUGH_DATE: dt.date(2031, 2, 28),
                C.USERS_AT_START: 60,
                C.CHURNED_USERS: 2,
                C.CHURN_RATE: 2 / 60,
                C.CHURNED_AT_START: 40,
                C.REACTIVATED_USERS: 38,
                C.REACTIVATION_RATE: 0.95,
                C.HISTORY_COMPLETE: False,
                C.AS_OF_DATE: RUN,
            },
            {
                C.MONTH: dt.date(2031, 3, 1),
                C.THROUGH_DATE: RUN,
                C.USERS_AT_START: 100,
                C.CHURNED_USERS: 5,
                C.CHURN_RATE: 0.05,
                C.CHURNED_AT_START: 20,
                C.REACTIVATED_USERS: 4,
                C.REACTIVATION_RATE: 0.2,
                C.HISTORY_COMPLETE: True,
                C.AS_OF_DATE: RUN,
            },
        ],
        tables.TAG_HISTORY: _tag_history(),
        tables.TAG_QUALITY: [
            {
                C.TAG_ID: tag,
                C.USERS_WITH_VALUE: users,
                C.COVERAGE: coverage,
                C.DISTINCT_VALUES: values,
                C.DISTRIBUTION: {"x": 1.0},
                C.PSI: psi if day == RUN else None,
                C.SNAPSHOT_DATE: day,
            }
            for day in (PREV, RUN)
            for tag, (users, coverage, values, psi) in TAG_QUALITY.items()
        ],
        tables.SEGMENT_PROFILES: [
            {
                C.SEGMENT_ID: 0,
                C.USERS: 2,
                C.SHARE: 0.4,
                C.FEATURE_MEANS: {"orders_90d": 3.0, "paid_gmv_90d": 1500.0},
                C.FEATURE_Z: {"orders_90d": 1.2, "paid_gmv_90d": 0.9},
                C.DOMINANT_RFM_SEGMENT: "champions",
                C.DOMINANT_LIFECYCLE_STAGE: "active",
                C.TOP_CATEGORIES: ["apparel", "beauty"],
                C.CATEGORY_LIFT: {"apparel": 1.5},
                C.LABEL: "high spend, high frequency",
                C.SNAPSHOT_DATE: PREV,
            },
            {
                C.SEGMENT_ID: 1,
                C.USERS: 3,
                C.SHARE: 0.6,
                C.FEATURE_MEANS: {"orders_90d": 0.2, "paid_gmv_90d": 40.0},
                C.FEATURE_Z: {"orders_90d": -0.8, "paid_gmv_90d": -0.6},
                C.DOMINANT_RFM_SEGMENT: "no_purchase",
                C.DOMINANT_LIFECYCLE_STAGE: "active",
                C.TOP_CATEGORIES: ["food"],
                C.CATEGORY_LIFT: {"food": 1.2},
                C.LABEL: "low spend",
                C.SNAPSHOT_DATE: PREV,
            },
        ],
        tables.USER_SEGMENTS: [
            {C.USER_ID: user, C.SEGMENT_ID: segment, C.DISTANCE_TO_CENTRE: 0.5, C.SNAPSHOT_DATE: PREV}
            for user, segment in (("u1", 0), ("u2", 0), ("u3", 1), ("u5", 1), ("u6", 1))
        ],
        tables.AUDIENCE_SIZES: [
            {C.AUDIENCE_ID: audience, C.USERS: users, C.SNAPSHOT_DATE: day}
            for day, sizes in AUDIENCES.items()
            for audience, users in sizes.items()
        ],
        tables.CAMPAIGN_RESULTS: _campaign_results(),
        tables.CAMPAIGN_BREAKDOWN: [
            {
                C.CAMPAIGN_ID: "cmp1",
                C.DIMENSION: dimension,
                C.DIMENSION_VALUE: value,
                C.TREATMENT_USERS: t,
                C.CONTROL_USERS: c,
                C.TREATMENT_CONVERSION: 0.18,
                C.CONTROL_CONVERSION: 0.15,
                C.CONVERSION_UPLIFT: 0.03,
                C.TREATMENT_GMV_PER_USER: 280.0,
                C.CONTROL_GMV_PER_USER: 200.0,
                C.GMV_UPLIFT: 80.0,
                C.RUN_DATE: RUN,
            }
            for dimension, value, t, c in (
                ("all", "all", 500, 490),
                ("segment", "0", 120, 118),
                ("audience", "a_big", 40, 41),
            )
        ],
        tables.RECOMMENDATION_METRICS: [
            {
                C.MODEL: model,
                C.PARAMS: params,
                C.EVALUATED_USERS: 100,
                C.PRECISION_AT_K: ndcg / 3,
                C.RECALL_AT_K: ndcg * 1.2,
                C.NDCG_AT_K: ndcg,
                C.MAP_AT_K: ndcg / 2,
                C.HIT_RATE: ndcg * 2,
                C.CATALOG_COVERAGE: 0.2,
                C.NOVELTY: 10.0,
                C.SPLIT_DATE: RUN - dt.timedelta(days=7),
                C.TEST_DAYS: 7,
                C.K: 10,
                C.RUN_DATE: RUN,
            }
            for model, params, ndcg in (
                ("als", {"rank": "16"}, 0.12),
                ("popularity", {}, 0.05),
                ("als_candidate", {"rank": "16"}, 0.12),
                ("als_candidate", {"rank": "32"}, 0.09),
            )
        ],
        tables.RECOMMENDATIONS: recommendations,
        tables.ALS_RECOMMENDATIONS: als,
        tables.USER_PROPENSITY: [
            {
                C.USER_ID: user,
                C.PURCHASE_PROPENSITY: p,
                C.CHURN_RISK: 1 - p,
                C.MODEL_VERSION: 3,
                C.SNAPSHOT_DATE: RUN,
            }
            for user, p in PROPENSITY.items()
        ],
        tables.PROPENSITY_METRICS: [
            {
                C.MODEL: model,
                C.PARAMS: {},
                C.CHOSEN: chosen,
                C.EVALUATED_USERS: 30,
                C.POSITIVES: 9,
                C.BASE_RATE: 0.3,
                C.AUC: auc,
                C.PRECISION_TOP_DECILE: 0.6,
                C.RECALL_TOP_DECILE: 0.2,
                C.LIFT_TOP_DECILE: 2.0,
                C.BRIER_SCORE: 0.2,
                C.CALIBRATION: _calibration(offset),
                C.TRAIN_ROWS: 60,
                C.TRAIN_SECONDS: 1.0,
                C.TRAIN_DATES: [RUN - dt.timedelta(days=60)],
                C.VALIDATION_DATE: RUN - dt.timedelta(days=30),
                C.HORIZON_DAYS: 30,
                C.MODEL_VERSION: 3 if chosen else None,
                C.RUN_DATE: RUN,
            }
            for model, chosen, auc, offset in (
                ("logistic_regression", True, 0.8, 0.02),
                ("gbt", False, 0.75, 0.1),
            )
        ],
        tables.ITEMS: items,
        **_customer_value(),
    }


def write_gold_lake(spark: SparkSession, root: str) -> Lake:
    """Write every table of `contents()` under `root` and return the lake.

    The rows go to Spark as Arrow batches (a list of tuples would start Python workers to convert them, three
    times slower here), and the tables, being independent, are written from a few threads: each write is
    mostly driver work (job set-up, Parquet footers, the delta-rs commit) that overlaps well.
    """
    lake = open_lake(spark, LakeSettings(root=root, engine="embedded", vacuum_retention_hours=0,
                                         staging_retention_hours=0))  # fmt: skip
    catalog = contents()

    def write(table: TableSpec) -> None:
        schema = table.schema
        frame = pd.DataFrame(rows(schema, catalog[table]), columns=schema.fieldNames())
        lake.table(table).overwrite(spark.createDataFrame(frame, schema).coalesce(1))

    saved = {key: spark.conf.get(key, None) for key in ARROW}
    for key, value in ARROW.items():
        spark.conf.set(key, value)
    try:
        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            list(pool.map(write, catalog))
    finally:
        for key, value in saved.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)
    return lake


@pytest.fixture(scope="session")
def gold_lake(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The root of the session's gold lake (read-only for tests: copy a table to change anything).

    Under pytest-xdist the workers share one lake in the run's common temporary folder: the first to get
    the lock writes it, the others wait and read it.
    """
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        root = tmp_path_factory.mktemp("gold_lake") / "lake"
        write_gold_lake(spark, str(root))
        return str(root)
    shared = tmp_path_factory.getbasetemp().parent / "gold_lake"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "written").exists():
            write_gold_lake(spark, str(shared / "lake"))
            (shared / "written").touch()
    return str(shared / "lake")
