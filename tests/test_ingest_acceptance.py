"""The delivery guard and the quarantine limit decide which raw dates a run writes, in order."""

from __future__ import annotations

import datetime as dt

from transforms.ingest.acceptance import DeliveryRules, accept_dates
from transforms.ingest.conservation import IngestCounts

D1, D2, D3 = dt.date(2026, 10, 1), dt.date(2026, 10, 2), dt.date(2026, 10, 3)
TABLES = ("bronze.events", "bronze.events_quarantine")
RULES = DeliveryRules(min_lines=1, max_quarantine_rate=0.05)


def clean(lines: int) -> IngestCounts:
    return IngestCounts(lines, lines, 0, 0)


def test_an_empty_date_that_bronze_holds_stops_the_run_before_it_and_writes_neither_table():
    counts = {D1: clean(10), D2: clean(0), D3: clean(10)}
    decided = accept_dates(counts, {D2: {"bronze.events": 24}}, RULES, TABLES)
    assert (decided.events, decided.quarantine) == ([D1], [D1])
    assert "raw date 2026-10-02: 0 input lines" in decided.stop
    assert "bronze.events holds 24 rows" in decided.stop
    assert "--allow-empty" in decided.stop


def test_allow_empty_lets_an_empty_date_replace_held_rows_and_says_so():
    counts = {D1: clean(0), D2: clean(10)}
    rules = DeliveryRules(min_lines=1, max_quarantine_rate=0.05, allow_empty=True)
    decided = accept_dates(counts, {D1: {"bronze.events": 24}}, rules, TABLES)
    assert (decided.events, decided.stop) == ([D1, D2], None)
    assert decided.warnings == [
        "raw date 2026-10-01: 0 input lines, fewer than ingest.min_lines_per_date = 1, but bronze.events "
        "holds 24 rows for ingest_date=2026-10-01: --allow-empty, so they are replaced"
    ]


def test_an_empty_date_bronze_does_not_hold_is_a_day_without_events():
    decided = accept_dates({D1: clean(0), D2: clean(3)}, {}, RULES, TABLES)
    assert (decided.events, decided.stop) == ([D1, D2], None)
    assert "day without events" in decided.warnings[0]


def test_a_cut_delivery_below_the_configured_minimum_is_held_back():
    rules = DeliveryRules(min_lines=100, max_quarantine_rate=0.05)
    decided = accept_dates({D1: clean(40)}, {D1: {"bronze.events_quarantine": 2}}, rules, TABLES)
    assert decided.events == [] and decided.quarantine == []
    assert "40 input lines, fewer than ingest.min_lines_per_date = 100" in decided.stop


def test_a_dirty_date_writes_its_quarantine_but_not_its_events_and_stops_there():
    counts = {D1: clean(10), D2: IngestCounts(10, 8, 2, 0), D3: clean(10)}
    decided = accept_dates(counts, {}, RULES, TABLES)
    assert (decided.events, decided.quarantine) == ([D1], [D1, D2])
    assert "2 of 10 lines (20.00%) quarantined, above ingest.max_quarantine_rate = 5.00%" in decided.stop
