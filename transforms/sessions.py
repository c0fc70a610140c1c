"""Sessionization: a user's events, in time order, cut where they paused or (optionally) switched channel.

A session's id is a hash of its user and its first event's id, so recomputing any run of days that
includes a session's first event gives it the same id: the daily job can rewrite a few days at a time
and a session crossing midnight keeps one id on both sides.

The plan is one shuffle by user and one sort by (user, time, event id) feeding two window passes over the
same order (previous time and channel, then the running session id), and an aggregate that needs no
further shuffle: events are already clustered by user. Distinct counts are sizes of sets rather than
COUNT(DISTINCT), which would make Spark expand every row once per distinct column and shuffle twice more.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import vocabulary as V
from transforms.orders import order_key

_PREV_TIME = "_prev_event_time"
_PREV_CHANNEL = "_prev_channel"
_FIRST = "_first"
_FIRST_PAGE_VIEW = "_first_page_view"
_FIRST_CHANNEL = "_first_channel"
_FIRST_DEVICE = "_first_device"


def _user_timeline() -> Window:
    # event_id breaks ties between events logged in the same microsecond, so the order is total.
    return Window.partitionBy(C.USER_ID).orderBy(F.col(C.EVENT_TIME), F.col(C.EVENT_ID))


def flag_session_starts(events: DataFrame, gap_minutes: int, split_on_channel_change: bool) -> DataFrame:
    """Add IS_SESSION_START: the user's first event, one `gap_minutes` or more after the previous one, or
    (when `split_on_channel_change`) one arriving through another channel than the previous event that had
    a channel.

    Args:
        events: Rows with USER_ID, EVENT_ID, EVENT_TIME, CHANNEL.
        gap_minutes: `sessions.gap_minutes`.
        split_on_channel_change: `sessions.split_on_channel_change`.

    Returns:
        The input's columns plus IS_SESSION_START (boolean, never null).
    """
    timeline = _user_timeline()
    before = timeline.rowsBetween(Window.unboundedPreceding, -1)
    gap_micros = F.unix_micros(F.col(C.EVENT_TIME)) - F.unix_micros(F.col(_PREV_TIME))
    idle = gap_micros >= F.lit(gap_minutes * 60 * 1_000_000)
    # An event without a channel (a field the format lacks) neither starts a session nor hides a switch:
    # it is compared with nothing, and the next event with a channel is compared with the last one seen.
    switched = (
        F.col(C.CHANNEL).isNotNull()
        & F.col(_PREV_CHANNEL).isNotNull()
        & (F.col(C.CHANNEL) != F.col(_PREV_CHANNEL))
    )
    starts = F.col(_PREV_TIME).isNull() | idle
    if split_on_channel_change:
        starts = starts | switched
    return events.select(
        *events.columns,
        F.lag(C.EVENT_TIME).over(timeline).alias(_PREV_TIME),
        F.last(C.CHANNEL, ignorenulls=True).over(before).alias(_PREV_CHANNEL),
    ).select(*events.columns, starts.alias(C.IS_SESSION_START))


def assign_session_ids(events: DataFrame) -> DataFrame:
    """Replace IS_SESSION_START by SESSION_ID = sha2(user id | id of the session's first event).

    Args:
        events: Output of `flag_session_starts`.

    Returns:
        The input's columns without IS_SESSION_START, plus SESSION_ID.
    """
    so_far = _user_timeline().rowsBetween(Window.unboundedPreceding, Window.currentRow)
    # Hashed only where a session starts and carried forward: one sha2 per session, not one per event.
    started_here = F.sha2(F.concat_ws("|", F.col(C.USER_ID), F.col(C.EVENT_ID)), 256)
    session_id = F.last(F.when(F.col(C.IS_SESSION_START), started_here), ignorenulls=True).over(so_far)
    columns = [name for name in events.columns if name != C.IS_SESSION_START]
    return events.select(*columns, session_id.alias(C.SESSION_ID))


def sessionize(events: DataFrame, gap_minutes: int, split_on_channel_change: bool) -> DataFrame:
    """Add SESSION_ID to every event (see `flag_session_starts` for where sessions are cut).

    Returns:
        The input's columns plus SESSION_ID.
    """
    return events.transform(
        flag_session_starts, gap_minutes=gap_minutes, split_on_channel_change=split_on_channel_change
    ).transform(assign_session_ids)


def _count_type(event_type: str) -> Column:
    return F.count_if(F.col(C.EVENT_TYPE) == F.lit(event_type))


def _count_distinct(column: Column) -> Column:
    # COUNT(DISTINCT) of the non-null values, as the size of their set: several COUNT(DISTINCT)s in one
    # aggregate make Spark expand each row once per column and aggregate (and shuffle) twice more.
    return F.size(F.collect_set(column)).cast("long")


def summarise_sessions(events: DataFrame) -> DataFrame:
    """One row per session with its span, activity counts, orders and where it came from.

    Args:
        events: Sessionized events with USER_ID, SESSION_ID, EVENT_ID, EVENT_TYPE, EVENT_TIME,
            EVENT_TIME_LOCAL, PAGE_TYPE, ITEM_ID, CATEGORY_ID, CATEGORY_L1, CATEGORY_L2, ORDER_ID,
            AMOUNT, CHANNEL, DEVICE.

    Returns:
        SILVER_SESSIONS_SCHEMA columns. CHANNEL and DEVICE are the first non-null ones of the session;
        ENTRY_PAGE_TYPE is the page type of its first page view; EVENT_DATE is the local date it started.
    """
    in_order = [F.col(C.EVENT_TIME), F.col(C.EVENT_ID)]
    # min() of a struct orders by its leading fields, i.e. by time: the first event with a value.
    first_channel = F.min(F.when(F.col(C.CHANNEL).isNotNull(), F.struct(*in_order, F.col(C.CHANNEL))))
    first_device = F.min(F.when(F.col(C.DEVICE).isNotNull(), F.struct(*in_order, F.col(C.DEVICE))))
    entry_page = F.min(
        F.when(
            (F.col(C.EVENT_TYPE) == F.lit(V.PAGE_VIEW)) & F.col(C.PAGE_TYPE).isNotNull(),
            F.struct(*in_order, F.col(C.PAGE_TYPE)),
        )
    )
    # Collector events carry catalogue categories, Taobao rows a category id; the pair is qualified by
    # its level-1 name because level-2 names repeat under different level-1 categories.
    category = F.coalesce(
        F.col(C.CATEGORY_ID),
        F.when(
            F.col(C.CATEGORY_L2).isNotNull(), F.concat_ws("/", F.col(C.CATEGORY_L1), F.col(C.CATEGORY_L2))
        ),
    )
    is_order = F.col(C.EVENT_TYPE) == F.lit(V.ORDER)
    start, end = F.col(C.SESSION_START), F.col(C.SESSION_END)
    return (
        events.groupBy(C.USER_ID, C.SESSION_ID)
        .agg(
            F.min(C.EVENT_TIME).alias(C.SESSION_START),
            F.max(C.EVENT_TIME).alias(C.SESSION_END),
            F.min(C.EVENT_TIME_LOCAL).alias(_FIRST),
            F.count(F.lit(1)).alias(C.EVENT_COUNT),
            _count_type(V.PAGE_VIEW).alias(C.PAGE_VIEWS),
            _count_distinct(F.col(C.ITEM_ID)).alias(C.DISTINCT_ITEMS),
            _count_distinct(category).alias(C.DISTINCT_CATEGORIES),
            _count_type(V.SEARCH).alias(C.SEARCHES),
            _count_type(V.ADD_TO_CART).alias(C.CART_ADDS),
            # An order export logs one row per order line: an order is counted once, however many lines.
            _count_distinct(F.when(is_order, order_key())).alias(C.ORDERS),
            F.round(F.coalesce(F.sum(F.when(is_order, F.col(C.AMOUNT))), F.lit(0.0)), 2).alias(C.REVENUE),
            entry_page.alias(_FIRST_PAGE_VIEW),
            first_channel.alias(_FIRST_CHANNEL),
            first_device.alias(_FIRST_DEVICE),
        )
        .select(
            C.USER_ID,
            C.SESSION_ID,
            C.SESSION_START,
            C.SESSION_END,
            # Whole seconds: sub-second precision is noise at session scale.
            F.floor((F.unix_micros(end) - F.unix_micros(start)) / F.lit(1_000_000))
            .cast("long")
            .alias(C.DURATION_SECONDS),
            C.EVENT_COUNT,
            C.PAGE_VIEWS,
            C.DISTINCT_ITEMS,
            C.DISTINCT_CATEGORIES,
            C.SEARCHES,
            C.CART_ADDS,
            C.ORDERS,
            C.REVENUE,
            (F.col(C.ORDERS) > F.lit(0)).alias(C.CONVERTED),
            F.col(f"{_FIRST_PAGE_VIEW}.{C.PAGE_TYPE}").alias(C.ENTRY_PAGE_TYPE),
            F.col(f"{_FIRST_CHANNEL}.{C.CHANNEL}").alias(C.CHANNEL),
            F.col(f"{_FIRST_DEVICE}.{C.DEVICE}").alias(C.DEVICE),
            F.to_date(F.col(_FIRST)).alias(C.EVENT_DATE),
        )
    )
