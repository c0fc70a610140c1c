"""The offline time split: train on the interactions through day T, test on what users did after T.

Training data is gold.user_item_interactions as it would have been on T, rebuilt from gold.user_item_daily
(each day's counts and strength aged to the end of that day) with the same decay, so any past T can be
evaluated from one table. Test labels are the purchases and cart adds of the days after T: a purchase is
worth more than a cart add (graded relevance), and a pair counts once with its best grade.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.interactions import MEASURES, accumulate_interactions, interaction_matrix


def interactions_as_of(
    daily: DataFrame,
    user_index: DataFrame,
    item_index: DataFrame,
    *,
    as_of: dt.date,
    half_life_days: float,
    timezone: str,
) -> DataFrame:
    """gold.user_item_interactions as of the end of `as_of`, from the daily rows through that day.

    Args:
        daily: gold.user_item_daily (USER_ID, ITEM_ID, MEASURES..., EVENT_DATE); later days are ignored.
        user_index: gold.user_index (USER_ID, USER_IDX).
        item_index: gold.item_index (ITEM_ID, ITEM_IDX).
        as_of: The last day of training data (the split day T).
        half_life_days: `interactions.half_life_days`, the decay the matrix was built with.
        timezone: `app.timezone`, in which EVENT_DATE is a local date.

    Returns:
        The GOLD_USER_ITEM_INTERACTIONS_SCHEMA columns, one row per (USER_ID, ITEM_ID) seen through `as_of`.
    """
    parts = daily.select(C.USER_ID, C.ITEM_ID, *MEASURES, F.col(C.EVENT_DATE).alias(C.REFERENCE_DATE))
    state = accumulate_interactions(parts, as_of=as_of, half_life_days=half_life_days, timezone=timezone)
    return interaction_matrix(state, user_index, item_index, as_of)


def holdout_relevance(
    daily: DataFrame, *, after: dt.date, through: dt.date, purchase_grade: float, cart_add_grade: float
) -> DataFrame:
    """The graded test labels: pairs bought or added to a cart in the days after `after` through `through`.

    Args:
        daily: gold.user_item_daily (USER_ID, ITEM_ID, ORDERS, CART_ADDS, EVENT_DATE).
        after: The split day T (excluded).
        through: The last test day (included).
        purchase_grade: Grade of a pair ordered in the test days.
        cart_add_grade: Grade of a pair only added to a cart there.

    Returns:
        USER_ID, ITEM_ID, GRADE (double), one row per pair with a purchase or a cart add.
    """
    in_test = (F.col(C.EVENT_DATE) > F.lit(after)) & (F.col(C.EVENT_DATE) <= F.lit(through))
    bought = F.sum(C.ORDERS) > 0
    carted = F.sum(C.CART_ADDS) > 0
    return (
        daily.where(in_test)
        .groupBy(C.USER_ID, C.ITEM_ID)
        .agg(
            F.when(bought, F.lit(float(purchase_grade)))
            .when(carted, F.lit(float(cart_add_grade)))
            .alias(C.GRADE)
        )
        .where(F.col(C.GRADE).isNotNull())
        .select(C.USER_ID, C.ITEM_ID, C.GRADE)
    )


def warm_relevance(relevance: DataFrame, train: DataFrame) -> DataFrame:
    """The test labels of users with training data: the users a collaborative model can be scored on.

    Users first seen after T get no list from ALS (nothing to factorise); the blend's cold-start rules
    serve them, and they are left out here so every model is scored on the same users. Their items stay:
    a relevant item no model could know still counts against recall.
    """
    return relevance.join(train.select(C.USER_ID).distinct(), on=[C.USER_ID], how="left_semi").select(
        C.USER_ID, C.ITEM_ID, C.GRADE
    )
