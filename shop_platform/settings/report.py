"""The daily HTML report: `report`."""

from __future__ import annotations

from dataclasses import dataclass

from shop_platform.settings.checks import Problems, positive


@dataclass(frozen=True)
class ReportSettings:
    """The daily HTML report (transforms.report, job build_report)."""

    # The report goes to <output_root>/reports/<date>/report.html; null: under lake.root. A local path (or
    # dbfs:/, through the /dbfs mount): set it when the lake is on object storage.
    output_root: str | None
    # Example users (one per RFM segment, largest segments first) and the items shown of each list.
    example_users: int
    items_per_user: int
    # The largest audiences shown, the session paths per outcome, the days of the activity trend, the tags in
    # the drift chart and the bins of the propensity histogram.
    top_audiences: int
    top_paths: int
    activity_days: int
    drift_tags: int
    score_bins: int

    def problems(self) -> Problems:
        yield from positive(
            self,
            ("example_users", "items_per_user", "top_audiences", "top_paths", "activity_days", "drift_tags",
             "score_bins"),
        )  # fmt: skip
