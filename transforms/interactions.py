"""The implicit-feedback user-item matrix: counts per event type and a time-decayed `strength`.

An event of type t at time e contributes weight(t) * 0.5 ** (age / half_life_days) to its (user, item)
pair's strength, where age is measured in days from e to the END of the as-of date (midnight after it, in
the shop's time zone). Counted events: page views that name an item, favorites, cart adds and removes,
reviews, and orders, where every line of `items` counts once for its item.

Incremental scheme. Write end(d) for the instant at which shop-local day d ends. Decay factorizes:
0.5 ** ((end(D) - e) / h) = 0.5 ** ((end(d) - e) / h) * 0.5 ** ((end(D) - end(d)) / h), so

    daily(d)   = per pair, the day's counts and sum of weight * 0.5 ** ((end(d) - e) / h)
    state(D)   = sum over days d <= D of daily(d) * 0.5 ** ((end(D) - end(d)) / h)
    settled(S) = the same sum over days d <= S only

gold.user_item_daily holds daily(d), gold.user_item_settled holds settled(S) and gold.user_item_interactions
holds state(D).

Days before the look-back window never change again (silver only recomputes the window), so the run for
D keeps `settled` through S = D - lookback_days - 1 and recomputes every later day from silver:

    settled(S)  = settled(S_prev) decayed to end(S) + daily(d) for S_prev < d <= S
    state(D)    = settled(S_prev) decayed to end(D) + daily(d) for S_prev < d <= D

Nothing is ever subtracted: the days a late event changes are above S_prev, so the old versions of those
days were never part of `settled(S_prev)`. Counts add, first/last times are min/max, strengths add after
decay, so any sequence of runs equals one rebuild from all history (up to float rounding). A daily run
recomputes lookback_days + 2 days (S_prev = D - lookback_days - 2); a re-run of the same date recomputes
lookback_days + 1 days and gives the same state; a gap between runs widens the window to cover it.
While nothing is settled yet (no events before the window), and on --rebuild, a run reads all history.
Daily rows keep their strength aged to the end of their own day, not undecayed, so an event's age is
exact to the microsecond rather than rounded to whole days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import vocabulary as V

# The count column of each event type that touches a (user, item) pair.
COUNT_COLUMNS: dict[str, str] = {
    V.PAGE_VIEW: C.PAGE_VIEWS,
    V.FAVORITE: C.FAVORITES,
    V.ADD_TO_CART: C.CART_ADDS,
    V.REMOVE_FROM_CART: C.CART_REMOVES,
    V.ORDER: C.ORDERS,
    V.REVIEW: C.REVIEWS,
}
# What every aggregate of this module carries per (user, item), in order.
MEASURES = (*COUNT_COLUMNS.values(), C.FIRST_INTERACTION_TIME, C.LAST_INTERACTION_TIME, C.STRENGTH)

SECONDS_PER_DAY = 86_400
MICROS_PER_DAY = SECONDS_PER_DAY * 1_000_000
WEIGHTS_KEY = "interactions.weights"


@dataclass(frozen=True)
class RunPlan:
    """Which days one run recomputes from silver, and through which day the result is settled."""

    as_of: dt.date
    # This day and every day before it are final: the next run starts from the settled state through it.
    settled_through: dt.date
    # First day recomputed from silver; None means all history (first run, or a rebuild).
    window_start: dt.date | None

    @property
    def window_days(self) -> list[dt.date]:
        """Every day recomputed from silver, window start through as-of; none when that is all history."""
        if self.window_start is None:
            return []
        return [
            self.window_start + dt.timedelta(days=n) for n in range((self.as_of - self.window_start).days + 1)
        ]


def plan_run(
    run_date: dt.date,
    lookback_days: int,
    previous_as_of: dt.date | None,
    previous_settled_through: dt.date | None,
    rebuild: bool = False,
) -> RunPlan:
    """The days to recompute for `run_date`, given what the previous run left.

    Raises:
        ValueError: an incremental run for a date before the state's as-of date (state only moves forward).
    """
    settled_through = run_date - dt.timedelta(days=lookback_days + 1)
    if rebuild or previous_settled_through is None:
        return RunPlan(run_date, settled_through, None)
    if previous_as_of is not None and previous_as_of > run_date:
        raise ValueError(
            f"gold.user_item_interactions is as of {previous_as_of}, after the run date {run_date}; "
            "incremental runs only move forward, run with --rebuild to recompute as of an earlier date"
        )
    # A longer look-back than the previous run's cannot reopen settled days; they stay settled.
    settled_through = max(settled_through, previous_settled_through)
    return RunPlan(run_date, settled_through, previous_settled_through + dt.timedelta(days=1))


def validated_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """The weight per event type, checked against the vocabulary.

    Event types that never name an item (search, pay, refund) may have a weight, but it has no effect.

    Raises:
        ValueError: naming `interactions.weights` and the unknown or missing event type.
    """
    unknown = sorted(set(weights) - set(V.EVENT_TYPES))
    if unknown:
        known = ", ".join(V.EVENT_TYPES)
        raise ValueError(f"{WEIGHTS_KEY}: unknown event type {unknown[0]!r} (known event types: {known})")
    missing = [event_type for event_type in COUNT_COLUMNS if event_type not in weights]
    if missing:
        raise ValueError(f"{WEIGHTS_KEY}: no weight for event type {missing[0]!r}")
    return {event_type: float(weight) for event_type, weight in weights.items()}


def day_end(date: Column, timezone: str) -> Column:
    """The instant the shop-local day `date` ends: midnight after it in `timezone`."""
    next_day = F.date_add(date, 1)
    midnight = (F.lit(0), F.lit(0), F.lit(0))
    # make_timestamp reads the wall clock in `timezone` itself, whatever the session time zone is.
    return F.make_timestamp(
        F.year(next_day), F.month(next_day), F.dayofmonth(next_day), *midnight, timezone=F.lit(timezone)
    )


def _decay(age_days: Column, half_life_days: float) -> Column:
    return F.pow(F.lit(0.5), age_days / F.lit(float(half_life_days)))


def daily_interactions(
    events: DataFrame, *, weights: Mapping[str, float], half_life_days: float, timezone: str
) -> DataFrame:
    """Aggregate silver events per (user, item, event_date).

    Args:
        events: silver.events rows (USER_ID, ITEM_ID, EVENT_TYPE, EVENT_TIME, ITEMS, EVENT_DATE).
        weights: the weight per event type, from `validated_weights`.
        half_life_days: days after which an event counts half.
        timezone: the shop's time zone, in which EVENT_DATE is a local date.

    Returns:
        USER_ID, ITEM_ID, the COUNT_COLUMNS, FIRST/LAST_INTERACTION_TIME, STRENGTH (decayed to the end
        of the row's EVENT_DATE), EVENT_DATE.
    """
    weights = validated_weights(weights)
    weight_of = F.create_map(*[F.lit(v) for pair in sorted(weights.items()) for v in pair])
    event_type = F.col(C.EVENT_TYPE)
    # An order touches every item of its lines; every other counted event touches its own item.
    touched_items = F.when(event_type == F.lit(V.ORDER), F.col(C.ITEMS).getField(C.ITEM_ID)).otherwise(
        F.array(F.col(C.ITEM_ID))
    )
    age_days = (
        F.unix_micros(day_end(F.col(C.EVENT_DATE), timezone)) - F.unix_micros(F.col(C.EVENT_TIME))
    ) / F.lit(MICROS_PER_DAY)
    return (
        events.filter(event_type.isin(list(COUNT_COLUMNS)) & F.col(C.USER_ID).isNotNull())
        .select(
            F.col(C.USER_ID),
            F.explode(touched_items).alias(C.ITEM_ID),
            event_type,
            F.col(C.EVENT_TIME),
            F.col(C.EVENT_DATE),
            (weight_of[event_type] * _decay(age_days, half_life_days)).alias(C.STRENGTH),
        )
        .filter(F.col(C.ITEM_ID).isNotNull())
        .groupBy(C.USER_ID, C.ITEM_ID, C.EVENT_DATE)
        .agg(
            *[F.count(F.when(event_type == F.lit(t), True)).alias(name) for t, name in COUNT_COLUMNS.items()],
            F.min(C.EVENT_TIME).alias(C.FIRST_INTERACTION_TIME),
            F.max(C.EVENT_TIME).alias(C.LAST_INTERACTION_TIME),
            F.sum(C.STRENGTH).alias(C.STRENGTH),
        )
        .select(C.USER_ID, C.ITEM_ID, *MEASURES, C.EVENT_DATE)
    )


def interaction_parts(settled: DataFrame, daily: DataFrame) -> DataFrame:
    """Settled and daily aggregates in one shape, each with the date its STRENGTH is as of.

    `daily` must hold only days after the settled date (the run plan's window), or they count twice.

    Returns:
        USER_ID, ITEM_ID, MEASURES..., REFERENCE_DATE.
    """
    return settled.select(
        C.USER_ID, C.ITEM_ID, *MEASURES, F.col(C.SETTLED_THROUGH).alias(C.REFERENCE_DATE)
    ).unionByName(daily.select(C.USER_ID, C.ITEM_ID, *MEASURES, F.col(C.EVENT_DATE).alias(C.REFERENCE_DATE)))


def accumulate_interactions(
    parts: DataFrame, *, as_of: dt.date, half_life_days: float, timezone: str
) -> DataFrame:
    """Add up the parts as of the end of `as_of`: counts summed, strengths decayed to end(as_of) and summed.

    Parts after `as_of` are left out, so the same parts give the settled state and the current state.

    Returns:
        One row per (USER_ID, ITEM_ID): USER_ID, ITEM_ID, MEASURES...
    """
    age_days = (
        F.unix_seconds(day_end(F.lit(as_of), timezone))
        - F.unix_seconds(day_end(F.col(C.REFERENCE_DATE), timezone))
    ) / F.lit(SECONDS_PER_DAY)
    return (
        parts.filter(F.col(C.REFERENCE_DATE) <= F.lit(as_of))
        .groupBy(C.USER_ID, C.ITEM_ID)
        .agg(
            *[F.sum(name).alias(name) for name in COUNT_COLUMNS.values()],
            F.min(C.FIRST_INTERACTION_TIME).alias(C.FIRST_INTERACTION_TIME),
            F.max(C.LAST_INTERACTION_TIME).alias(C.LAST_INTERACTION_TIME),
            F.sum(F.col(C.STRENGTH) * _decay(age_days, half_life_days)).alias(C.STRENGTH),
        )
        .select(C.USER_ID, C.ITEM_ID, *MEASURES)
    )


def settled_state(state: DataFrame, settled_through: dt.date) -> DataFrame:
    """The accumulated state through `settled_through`, stamped with that date (gold.user_item_settled)."""
    return state.select(C.USER_ID, C.ITEM_ID, *MEASURES, F.lit(settled_through).alias(C.SETTLED_THROUGH))


def interaction_matrix(
    state: DataFrame, user_index: DataFrame, item_index: DataFrame, as_of: dt.date
) -> DataFrame:
    """The gold matrix: the state as of `as_of` with the integer indexes ALS needs.

    Args:
        state: `accumulate_interactions` output.
        user_index: USER_ID, USER_IDX, one row per user, covering every user of `state`.
        item_index: ITEM_ID, ITEM_IDX, one row per item, covering every item of `state`.

    Returns:
        USER_ID, ITEM_ID, USER_IDX, ITEM_IDX, MEASURES..., AS_OF_DATE.
    """
    # The indexes hold one row per id and cover every id of the state (the job appends new ids first),
    # so these joins neither multiply nor drop rows.
    return (
        state.join(user_index.select(C.USER_ID, C.USER_IDX), on=[C.USER_ID], how="inner")
        .join(item_index.select(C.ITEM_ID, C.ITEM_IDX), on=[C.ITEM_ID], how="inner")
        .select(C.USER_ID, C.ITEM_ID, C.USER_IDX, C.ITEM_IDX, *MEASURES, F.lit(as_of).alias(C.AS_OF_DATE))
    )
