"""Session recovery: how many of the generator's true sessions the sessionizer cut exactly.

The unit is a true session as silver can see it: its events that reached silver.events. Events that were
quarantined (planted dirt) or belong to users flagged as bots never reach silver, so they are not part of
the session the sessionizer is asked to find; a true session with no event in silver is not counted at
all. Users wrongly flagged as bots would silently leave the denominator, which is why bot flags are
scored against the true personas too (`bot_flags.py`).

A true session T is recovered
    - "first/last": the predicted session P holding T's first event also has T's last event as its own
      last, and T's first as its own first (the issue's definition);
    - "same events": additionally P holds exactly T's events and nothing else (stricter).
Events are ordered by (EVENT_TIME, EVENT_ID), as the sessionizer orders them.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from transforms import columns as C

RECOVERY_COLUMNS = (
    C.EVENT_DATE,
    C.USER_ID,
    TC.TRUE_SESSION_ID,
    TC.FIRST_EVENT_ID,
    TC.LAST_EVENT_ID,
    TC.TRUE_EVENTS,
    TC.PREDICTED_SESSION_ID,
    TC.PREDICTED_EVENTS,
    TC.SHARED_EVENTS,
    TC.PREDICTED_SESSIONS,
    TC.SAME_FIRST_LAST,
    TC.SAME_EVENTS,
    TC.SPLIT,
    TC.MERGED,
)
RECOVERY_METRICS = (
    TC.TRUE_SESSIONS,
    TC.RECOVERED_FIRST_LAST,
    TC.RECOVERED_SAME_EVENTS,
    TC.SPLIT_SESSIONS,
    TC.MERGED_SESSIONS,
    TC.FIRST_LAST_SHARE,
    TC.SAME_EVENTS_SHARE,
)

_FIRST, _LAST = "_first", "_last"
_P_FIRST, _P_LAST = "_predicted_first", "_predicted_last"


def _in_order(*payload: str) -> Column:
    # min()/max() of a struct compare its fields left to right: time first, then the id breaks ties.
    return F.struct(F.col(C.EVENT_TIME), F.col(C.EVENT_ID), *[F.col(name) for name in payload])


def session_recovery(events: DataFrame, truth: DataFrame) -> DataFrame:
    """One row per true session with at least one event in `events`, and how the sessionizer cut it.

    Args:
        events: silver.events rows with EVENT_ID, USER_ID, SESSION_ID (predicted), EVENT_TIME, EVENT_DATE;
            one row per EVENT_ID. Read a day more on each side of the evaluated dates, so sessions
            crossing a boundary are complete.
        truth: `truth/event_sessions`: EVENT_ID, SESSION_ID (true), one row per EVENT_ID.

    Returns:
        RECOVERY_COLUMNS: EVENT_DATE is the local date of the true session's first event in silver;
        PREDICTED_SESSION_ID is the predicted session of that first event, PREDICTED_EVENTS its size,
        SHARED_EVENTS how many of the true session's events it holds; PREDICTED_SESSIONS is the number
        of predicted sessions the true session's events fall in; SPLIT = that is more than one;
        MERGED = the predicted session holds events of other true sessions (or events absent from truth).
    """
    predicted = events.select(
        C.EVENT_ID,
        C.USER_ID,
        F.col(C.SESSION_ID).alias(TC.PREDICTED_SESSION_ID),
        C.EVENT_TIME,
        C.EVENT_DATE,
    )
    # Both sides have one row per event id, so the inner join never multiplies events.
    labelled = predicted.join(
        truth.select(C.EVENT_ID, F.col(C.SESSION_ID).alias(TC.TRUE_SESSION_ID)), on=[C.EVENT_ID], how="inner"
    )
    true_sessions = labelled.groupBy(TC.TRUE_SESSION_ID).agg(
        F.min(C.USER_ID).alias(C.USER_ID),
        F.min(_in_order(C.EVENT_DATE, TC.PREDICTED_SESSION_ID)).alias(_FIRST),
        F.max(_in_order()).alias(_LAST),
        F.count(F.lit(1)).alias(TC.TRUE_EVENTS),
        F.count_distinct(TC.PREDICTED_SESSION_ID).alias(TC.PREDICTED_SESSIONS),
    )
    predicted_sessions = predicted.groupBy(TC.PREDICTED_SESSION_ID).agg(
        F.min(_in_order()).alias(_P_FIRST),
        F.max(_in_order()).alias(_P_LAST),
        F.count(F.lit(1)).alias(TC.PREDICTED_EVENTS),
    )
    shared = labelled.groupBy(TC.TRUE_SESSION_ID, TC.PREDICTED_SESSION_ID).agg(
        F.count(F.lit(1)).alias(TC.SHARED_EVENTS)
    )
    same_first_last = (F.col(f"{_P_FIRST}.{C.EVENT_ID}") == F.col(TC.FIRST_EVENT_ID)) & (
        F.col(f"{_P_LAST}.{C.EVENT_ID}") == F.col(TC.LAST_EVENT_ID)
    )
    # SHARED_EVENTS counts events in both, so equal sizes on all three mean equal event sets.
    same_events = (
        F.col(TC.SAME_FIRST_LAST)
        & (F.col(TC.SHARED_EVENTS) == F.col(TC.TRUE_EVENTS))
        & (F.col(TC.PREDICTED_EVENTS) == F.col(TC.TRUE_EVENTS))
    )
    # One row per true session: each side of both joins has one row per key.
    return (
        true_sessions.select(
            F.col(f"{_FIRST}.{C.EVENT_DATE}").alias(C.EVENT_DATE),
            C.USER_ID,
            TC.TRUE_SESSION_ID,
            F.col(f"{_FIRST}.{C.EVENT_ID}").alias(TC.FIRST_EVENT_ID),
            F.col(f"{_LAST}.{C.EVENT_ID}").alias(TC.LAST_EVENT_ID),
            TC.TRUE_EVENTS,
            F.col(f"{_FIRST}.{TC.PREDICTED_SESSION_ID}").alias(TC.PREDICTED_SESSION_ID),
            TC.PREDICTED_SESSIONS,
        )
        .join(predicted_sessions, on=[TC.PREDICTED_SESSION_ID], how="left")
        .join(shared, on=[TC.TRUE_SESSION_ID, TC.PREDICTED_SESSION_ID], how="left")
        .select("*", same_first_last.alias(TC.SAME_FIRST_LAST))
        .select(
            C.EVENT_DATE,
            C.USER_ID,
            TC.TRUE_SESSION_ID,
            TC.FIRST_EVENT_ID,
            TC.LAST_EVENT_ID,
            TC.TRUE_EVENTS,
            TC.PREDICTED_SESSION_ID,
            TC.PREDICTED_EVENTS,
            TC.SHARED_EVENTS,
            TC.PREDICTED_SESSIONS,
            TC.SAME_FIRST_LAST,
            same_events.alias(TC.SAME_EVENTS),
            (F.col(TC.PREDICTED_SESSIONS) > 1).alias(TC.SPLIT),
            (F.col(TC.PREDICTED_EVENTS) > F.col(TC.SHARED_EVENTS)).alias(TC.MERGED),
        )
    )


def _share(part: str) -> Column:
    # No true session at all gives no share rather than a division by zero.
    return F.when(F.col(TC.TRUE_SESSIONS) > 0, F.col(part) / F.col(TC.TRUE_SESSIONS))


def summarise_recovery(recovery: DataFrame, by: Sequence[str] = ()) -> DataFrame:
    """Counts and shares of recovered sessions, overall (one row) or per value of the `by` columns.

    Args:
        recovery: Output of `session_recovery`, filtered to the evaluated dates.
        by: Grouping columns of `recovery`, e.g. [EVENT_DATE]; none gives one row, also for no input.

    Returns:
        The `by` columns, then RECOVERY_METRICS; shares are null when there is no true session.
    """
    counts = recovery.groupBy(*by).agg(
        F.count(F.lit(1)).alias(TC.TRUE_SESSIONS),
        F.count_if(F.col(TC.SAME_FIRST_LAST)).alias(TC.RECOVERED_FIRST_LAST),
        F.count_if(F.col(TC.SAME_EVENTS)).alias(TC.RECOVERED_SAME_EVENTS),
        F.count_if(F.col(TC.SPLIT)).alias(TC.SPLIT_SESSIONS),
        F.count_if(F.col(TC.MERGED)).alias(TC.MERGED_SESSIONS),
    )
    return counts.select(
        *by,
        TC.TRUE_SESSIONS,
        TC.RECOVERED_FIRST_LAST,
        TC.RECOVERED_SAME_EVENTS,
        TC.SPLIT_SESSIONS,
        TC.MERGED_SESSIONS,
        _share(TC.RECOVERED_FIRST_LAST).alias(TC.FIRST_LAST_SHARE),
        _share(TC.RECOVERED_SAME_EVENTS).alias(TC.SAME_EVENTS_SHARE),
    )


def failed_sessions(recovery: DataFrame) -> DataFrame:
    """The true sessions of `session_recovery` not recovered with exactly their events (its columns)."""
    return recovery.where(~F.col(TC.SAME_EVENTS)).select(*RECOVERY_COLUMNS)


def events_without_truth(events: DataFrame, truth: DataFrame) -> DataFrame:
    """Rows of `events` whose EVENT_ID the truth does not know (the generator never made them).

    Returns:
        The columns of `events`.
    """
    return events.join(truth.select(C.EVENT_ID), on=[C.EVENT_ID], how="left_anti").select(*events.columns)


def missing_from_silver(
    bronze_events: DataFrame, silver_events: DataFrame, bot_users: DataFrame
) -> DataFrame:
    """Valid bronze events of users never flagged as bots that have no row in silver.events.

    Silver drops only bot users' events and duplicate copies, so every row here is an event lost between
    bronze and silver; such events would quietly shrink the true sessions being scored.

    Args:
        bronze_events: bronze.events rows with EVENT_ID, USER_ID, EVENT_DATE (copies allowed).
        silver_events: silver.events rows with EVENT_ID.
        bot_users: silver.bot_users rows with USER_ID.

    Returns:
        EVENT_ID, USER_ID, EVENT_DATE; one row per event id.
    """
    return (
        bronze_events.select(C.EVENT_ID, C.USER_ID, C.EVENT_DATE)
        .dropDuplicates([C.EVENT_ID])
        .join(bot_users.select(C.USER_ID).distinct(), on=[C.USER_ID], how="left_anti")
        .join(silver_events.select(C.EVENT_ID), on=[C.EVENT_ID], how="left_anti")
        .select(C.EVENT_ID, C.USER_ID, C.EVENT_DATE)
    )
