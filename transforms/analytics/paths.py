"""Session paths: the sequence of page types a session viewed, its first steps, and the commonest ones."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import vocabulary as V

SEPARATOR = " > "
_PAGES = "_pages"


def session_page_paths(events: DataFrame, steps: int, collapse_repeats: bool) -> DataFrame:
    """Each session's first `steps` page types in time order (ties broken by event id).

    Args:
        events: silver.events rows (SESSION_ID, EVENT_ID, EVENT_TYPE, EVENT_TIME, PAGE_TYPE).
        steps: How many steps of a path to keep.
        collapse_repeats: Count a run of one page type as one step.

    Returns:
        SESSION_ID, PATH ("home > search > product"), PATH_LENGTH; sessions without page views get no row.
    """
    viewed = events.where((F.col(C.EVENT_TYPE) == V.PAGE_VIEW) & F.col(C.PAGE_TYPE).isNotNull())
    ordered = viewed.groupBy(C.SESSION_ID).agg(
        F.array_sort(F.collect_list(F.struct(C.EVENT_TIME, C.EVENT_ID, C.PAGE_TYPE))).alias(_PAGES)
    )
    pages = F.transform(F.col(_PAGES), lambda view: view[C.PAGE_TYPE])
    if collapse_repeats:
        # element_at is 1-based, so element_at(pages, i) is the page before the 0-based position i; greatest
        # keeps the index valid at i = 0, which the first test already answers.
        pages = F.filter(
            pages, lambda page, i: (i == 0) | (page != F.element_at(pages, F.greatest(i, F.lit(1))))
        )
    first = F.slice(pages, 1, steps)
    return ordered.select(
        C.SESSION_ID,
        F.array_join(first, SEPARATOR).alias(C.PATH),
        F.size(first).cast("int").alias(C.PATH_LENGTH),
    )


def top_paths(paths: DataFrame, sessions: DataFrame, top_n: int) -> DataFrame:
    """The `top_n` commonest paths per day, for converted sessions and for the others.

    Args:
        paths: `session_page_paths` output.
        sessions: silver.sessions rows (SESSION_ID, CONVERTED, EVENT_DATE).

    Returns:
        GOLD_SESSION_PATHS_SCHEMA columns: CONVERTED, RANK (1 = commonest; ties by path), PATH, PATH_LENGTH,
        SESSIONS, SHARE (of the day's sessions with a path and that outcome), EVENT_DATE.
    """
    outcome = [C.EVENT_DATE, C.CONVERTED]
    counts = (
        sessions.select(
            C.SESSION_ID, F.coalesce(F.col(C.CONVERTED), F.lit(False)).alias(C.CONVERTED), C.EVENT_DATE
        )
        .join(paths, on=[C.SESSION_ID], how="inner")
        .groupBy(*outcome, C.PATH, C.PATH_LENGTH)
        .agg(F.count(F.lit(1)).alias(C.SESSIONS))
    )
    by_outcome = Window.partitionBy(*outcome)
    ranked = counts.select(
        "*",
        F.row_number().over(by_outcome.orderBy(F.desc(C.SESSIONS), F.asc(C.PATH))).alias(C.RANK),
        (F.col(C.SESSIONS) / F.sum(C.SESSIONS).over(by_outcome)).alias(C.SHARE),
    )
    return ranked.where(F.col(C.RANK) <= top_n).select(
        C.CONVERTED,
        F.col(C.RANK).cast("int").alias(C.RANK),
        C.PATH,
        C.PATH_LENGTH,
        F.col(C.SESSIONS).cast("long").alias(C.SESSIONS),
        C.SHARE,
        C.EVENT_DATE,
    )
