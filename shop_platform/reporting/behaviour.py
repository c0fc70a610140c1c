"""Report sections on behaviour: activity, the purchase funnel and retention."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from shop_platform.reporting import charts
from shop_platform.reporting.formats import (
    blank,
    count,
    day,
    humanize,
    missing,
    percent,
    table,
)
from shop_platform.reporting.page import Chart, Figures, Section, Source

COHORT_TITLES = {
    "registration": "Registration cohorts: share of users with a session in each later week",
    "first_order": "First-order cohorts: share of buyers ordering again in each later week",
}


def history(complete: object) -> str:
    """Whether a churn month's rates can be read: the lake held a whole churn window before it."""
    if blank(complete):
        return "unknown"
    return "complete" if complete else "shorter than the churn window: rates not comparable"


def activity_section(
    trend: pd.DataFrame | None, churn: pd.DataFrame | None, sources: Sequence[Source]
) -> Section:
    """Key activity figures of the day, the DAU/WAU/MAU trend and monthly churn."""
    blocks = []
    if not missing(trend):
        last = trend.iloc[-1]
        blocks.append(
            Figures(
                [
                    (f"DAU on {day(last['activity_date'])}", count(last["dau"])),
                    ("WAU (7 days)", count(last["wau"])),
                    ("MAU (30 days)", count(last["mau"])),
                    ("stickiness (DAU / MAU)", percent(last["stickiness"])),
                    ("new users", count(last["new_users"])),
                    ("returning users", count(last["returning_users"])),
                ]
            )
        )
        blocks.append(Chart("activity", charts.activity_lines(trend)))
    if not missing(churn):
        blocks.append(
            table(
                "Monthly churn and reactivation (lifecycle stages)",
                churn,
                {
                    "month": ("month", lambda v: pd.Timestamp(v).strftime("%Y-%m")),
                    "through_date": ("through", day),
                    "users_at_start": ("not churned at start", count),
                    "churned_users": ("churned since", count),
                    "churn_rate": ("churn rate", percent),
                    "churned_at_start": ("churned at start", count),
                    "reactivated_users": ("reactivated since", count),
                    "reactivation_rate": ("reactivation rate", percent),
                    "history_complete": ("history", history),
                },
            )
        )
    return Section(
        "activity",
        "Activity",
        "Users with a session on the day, in the last 7 and 30 days, and how many churned or came back.",
        sources,
        blocks,
    )


def funnel_section(
    steps: pd.DataFrame | None, paths: pd.DataFrame | None, sources: Sequence[Source]
) -> Section:
    """The day's purchase funnel and the commonest page paths of converted and other sessions."""
    blocks = []
    if not missing(steps):
        by_step = steps.set_index("step")
        first = steps.iloc[0]
        figures = [(f"sessions with a {humanize(first['step']).lower()}", count(first["sessions"]))]
        for step in ("add_to_cart", "order", "pay"):
            if step in by_step.index:
                figures.append(
                    (f"reach {humanize(step).lower()}", percent(by_step.loc[step, "conversion_from_start"]))
                )
        blocks.append(Figures(figures))
        blocks.append(Chart("funnel", charts.funnel(steps, {s: humanize(s) for s in steps["step"]})))
        blocks.append(
            table(
                "Step by step",
                steps,
                {
                    "step": ("step", humanize),
                    "sessions": ("sessions", count),
                    "step_conversion": ("of the step before", percent),
                    "conversion_from_start": ("of all sessions", percent),
                },
            )
        )
    if not missing(paths):
        for converted, caption in (
            (True, "Commonest paths of converted sessions"),
            (False, "Commonest paths of the other sessions"),
        ):
            rows = paths[paths["converted"] == converted]
            if not rows.empty:
                blocks.append(
                    table(
                        caption,
                        rows,
                        {
                            "rank": ("#", count),
                            "path": ("page path", str),
                            "sessions": ("sessions", count),
                            "share": ("share", percent),
                        },
                    )
                )
    return Section(
        "funnel",
        "Purchase funnel",
        "Sessions of the day reaching each step: page view, product view, add to cart, order, pay "
        "(each step needs the ones before it).",
        sources,
        blocks,
    )


def retention_section(cells: pd.DataFrame | None, sources: Sequence[Source]) -> Section:
    """One retention heatmap per cohort type (registration week, first-order week)."""
    blocks = []
    if not missing(cells):
        for cohort_type in [*COHORT_TITLES, *sorted(set(cells["cohort_type"]) - set(COHORT_TITLES))]:
            rows = cells[cells["cohort_type"] == cohort_type]
            if not rows.empty:
                title = COHORT_TITLES.get(cohort_type, humanize(cohort_type))
                blocks.append(Chart(f"retention-{cohort_type}", charts.retention_heatmap(rows, title)))
    return Section(
        "retention",
        "Retention",
        "Weekly cohorts followed over the complete weeks after their first week (week 0 is the cohort week).",
        sources,
        blocks,
    )
