"""Behaviour analytics: `analytics` (retention cohorts, session paths)."""

from __future__ import annotations

from dataclasses import dataclass

from shop_platform.settings.checks import Problems, positive


@dataclass(frozen=True)
class AnalyticsSettings:
    """Behaviour analytics (transforms.analytics, job build_behaviour_analytics)."""

    # Retention: weekly cohorts (Monday weeks) of the last cohort_weeks complete weeks, by registration and
    # by first order, followed for weeks 1..retention_weeks after the cohort week.
    cohort_weeks: int
    retention_weeks: int
    # Session paths: the first path_steps page types of each session; the path_top_n commonest paths per
    # day for converted and for other sessions.
    path_steps: int
    path_top_n: int
    # A run of one page type (product, product, product) is one step of a path.
    collapse_repeated_pages: bool

    def problems(self) -> Problems:
        yield from positive(self, ("cohort_weeks", "retention_weeks", "path_steps", "path_top_n"))
