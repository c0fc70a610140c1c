"""Which K-means model scores which snapshot date (transforms.segments.scoring_plan): the rule that a
back-fill in one pass and the date-by-date runs share."""

from __future__ import annotations

import datetime as dt

import pytest

from transforms.segments.scoring_plan import ModelUse, RegisteredModel, scoring_plan


def day(n: int) -> dt.date:
    return dt.date(2026, 10, n)


def days(first: int, last: int) -> tuple[dt.date, ...]:
    return tuple(day(n) for n in range(first, last + 1))


def test_a_first_back_fill_trains_on_its_first_date_and_then_every_interval():
    plan = scoring_plan(days(1, 17), [], retrain_every_days=7)
    assert plan == [ModelUse(days(1, 7)), ModelUse(days(8, 14)), ModelUse(days(15, 17))]
    assert all(use.trains for use in plan)
    assert plan[0].describe() == "2026-10-01..2026-10-07 with a model trained on 2026-10-01"


def test_a_model_too_old_for_the_first_date_is_not_used():
    plan = scoring_plan(days(1, 3), [RegisteredModel(dt.date(2026, 9, 24), 1)], retrain_every_days=7)
    assert plan == [ModelUse(days(1, 3))]
    # Six days after it still fits; seven do not.
    assert scoring_plan([day(1)], [RegisteredModel(dt.date(2026, 9, 25), 1)], 7) == [ModelUse((day(1),), 1)]


def test_a_model_trained_after_a_date_never_scores_it():
    plan = scoring_plan(days(1, 6), [RegisteredModel(day(5), 3)], retrain_every_days=7)
    assert plan == [ModelUse(days(1, 4)), ModelUse(days(5, 6), 3)]


def test_a_re_run_reuses_the_models_its_dates_were_scored_with():
    registered = [RegisteredModel(day(1), 1), RegisteredModel(day(8), 2)]
    assert scoring_plan(days(1, 14), registered, 7) == [ModelUse(days(1, 7), 1), ModelUse(days(8, 14), 2)]
    assert scoring_plan([day(10)], registered, 7) == [ModelUse((day(10),), 2)]
    # Past the last model's interval the run trains again, and that model scores the rest.
    assert scoring_plan(days(13, 16), registered, 7) == [ModelUse(days(13, 14), 2), ModelUse(days(15, 16))]


def test_the_latest_training_date_wins_then_the_highest_version():
    registered = [RegisteredModel(day(1), 1), RegisteredModel(day(3), 2), RegisteredModel(day(3), 4)]
    assert scoring_plan([day(5)], registered, 7) == [ModelUse((day(5),), 4)]


def test_retrain_trains_on_every_date_even_where_a_model_fits():
    plan = scoring_plan([day(2), day(1), day(1)], [RegisteredModel(day(1), 1)], 7, retrain=True)
    assert plan == [ModelUse((day(1),)), ModelUse((day(2),))]


def test_a_daily_run_scores_with_the_model_of_the_last_training_until_the_interval_ends():
    registered = [RegisteredModel(day(1), 1), RegisteredModel(day(29), 5)]
    assert scoring_plan([dt.date(2026, 11, 4)], registered, 7) == [ModelUse((dt.date(2026, 11, 4),), 5)]
    assert scoring_plan([dt.date(2026, 11, 5)], registered, 7) == [ModelUse((dt.date(2026, 11, 5),))]


def test_an_interval_below_one_day_is_an_error_naming_the_setting():
    with pytest.raises(ValueError, match="segments.retrain_every_days must be at least 1, got 0"):
        scoring_plan([day(1)], [], 0)
