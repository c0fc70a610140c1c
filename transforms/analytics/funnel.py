"""The purchase funnel of sessions: page view -> product view -> add to cart -> order -> pay.

Sessions, not users, are counted: a session has one channel and device, so the cells of the table add up
and every rate can be recomputed for any roll-up. A session reaches a step when it holds that step's event
and has reached every step before it (an order without a product view in the session does not count).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import vocabulary as V

PAGE_VIEW_STEP = "page_view"
PRODUCT_VIEW_STEP = "product_view"
ADD_TO_CART_STEP = "add_to_cart"
ORDER_STEP = "order"
PAY_STEP = "pay"
STEPS = (PAGE_VIEW_STEP, PRODUCT_VIEW_STEP, ADD_TO_CART_STEP, ORDER_STEP, PAY_STEP)
DIMENSIONS = (C.EVENT_DATE, C.CHANNEL, C.DEVICE, C.SEGMENT_ID, C.LIFECYCLE_STAGE)
_ALL = "_all_sessions"


def _step_events() -> dict[str, Column]:
    event = F.col(C.EVENT_TYPE)
    return {
        PAGE_VIEW_STEP: event == V.PAGE_VIEW,
        PRODUCT_VIEW_STEP: (event == V.PAGE_VIEW) & (F.col(C.PAGE_TYPE) == V.PAGE_PRODUCT),
        ADD_TO_CART_STEP: event == V.ADD_TO_CART,
        ORDER_STEP: event == V.ORDER,
        PAY_STEP: event == V.PAY,
    }


def session_steps(events: DataFrame) -> DataFrame:
    """Which funnel steps each session reached.

    Args:
        events: silver.events rows (SESSION_ID, EVENT_TYPE, PAGE_TYPE).

    Returns:
        SESSION_ID and one boolean column per step of STEPS, each true only when the steps before are too.
    """
    has = events.groupBy(C.SESSION_ID).agg(
        *[F.max(condition).alias(step) for step, condition in _step_events().items()]
    )
    reached, columns = F.lit(True), []
    for step in STEPS:
        reached = reached & F.coalesce(F.col(step), F.lit(False))
        columns.append(reached.alias(step))
    return has.select(C.SESSION_ID, *columns)


def funnel_daily(steps: DataFrame, sessions: DataFrame, segments: DataFrame, stages: DataFrame) -> DataFrame:
    """Sessions reaching each step per day, channel, device, segment and lifecycle stage.

    Args:
        steps: `session_steps` output.
        sessions: silver.sessions rows (USER_ID, SESSION_ID, CHANNEL, DEVICE, EVENT_DATE).
        segments: USER_ID, EVENT_DATE, SEGMENT_ID: the user's segment known at the start of the day (may be
            empty: no segments table yet).
        stages: USER_ID, EVENT_DATE, LIFECYCLE_STAGE, likewise.

    Returns:
        GOLD_FUNNEL_DAILY_SCHEMA columns: per cell and step, SESSIONS, STEP_CONVERSION (over the step before;
        over all the cell's sessions for the first step), CONVERSION_FROM_START (over the first step) and
        DROPPED_SESSIONS (the step before minus this one). A session's step columns are false when it has
        no events (every silver session has some).
    """
    # One row per session: segments and stages hold one row per (user, date), so the joins keep the count.
    per_session = (
        sessions.select(C.USER_ID, C.SESSION_ID, C.CHANNEL, C.DEVICE, C.EVENT_DATE)
        .join(steps, on=[C.SESSION_ID], how="left")
        .join(
            segments.select(C.USER_ID, C.EVENT_DATE, C.SEGMENT_ID), on=[C.USER_ID, C.EVENT_DATE], how="left"
        )
        .join(
            stages.select(C.USER_ID, C.EVENT_DATE, C.LIFECYCLE_STAGE),
            on=[C.USER_ID, C.EVENT_DATE],
            how="left",
        )
    )
    cells = per_session.groupBy(*DIMENSIONS).agg(
        F.count(F.lit(1)).alias(_ALL),
        *[F.count(F.when(F.col(step), True)).alias(step) for step in STEPS],
    )
    previous = [_ALL, *STEPS[:-1]]
    long = cells.select(
        *DIMENSIONS,
        F.explode(
            F.array(
                *[
                    F.struct(
                        F.lit(index + 1).alias(C.STEP_INDEX),
                        F.lit(step).alias(C.STEP),
                        F.col(step).alias(C.SESSIONS),
                        F.col(previous[index]).alias("_before"),
                        F.col(STEPS[0]).alias("_first"),
                    )
                    for index, step in enumerate(STEPS)
                ]
            )
        ).alias("_step"),
    ).select(*DIMENSIONS, "_step.*")
    return long.select(
        C.CHANNEL,
        C.DEVICE,
        F.col(C.SEGMENT_ID).cast("int").alias(C.SEGMENT_ID),
        C.LIFECYCLE_STAGE,
        F.col(C.STEP_INDEX).cast("int").alias(C.STEP_INDEX),
        C.STEP,
        F.col(C.SESSIONS).cast("long").alias(C.SESSIONS),
        F.when(F.col("_before") > 0, F.col(C.SESSIONS) / F.col("_before")).alias(C.STEP_CONVERSION),
        F.when(F.col("_first") > 0, F.col(C.SESSIONS) / F.col("_first")).alias(C.CONVERSION_FROM_START),
        (F.col("_before") - F.col(C.SESSIONS)).cast("long").alias(C.DROPPED_SESSIONS),
        C.EVENT_DATE,
    )
