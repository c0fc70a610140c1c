"""Plotly figures for the report and the notebooks: small pandas frames in, a figure out, no Spark.

Each function documents the columns it expects (the report summaries of `transforms.report` use the same
names as the gold tables). Titles and axis labels are set here so every chart reads on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

TEMPLATE = "plotly_white"
BLUE, LIGHT_BLUE, ORANGE, GREY, RED = "#2f6fb3", "#9cc3e6", "#e8833a", "#9aa5b1", "#c0392b"
# Population stability index bands: above 0.1 a shift worth a look, above 0.25 a major one.
PSI_WATCH, PSI_MAJOR = 0.1, 0.25
# A horizontal legend at the top right, clear of axis titles.
_TOP_LEGEND = {"orientation": "h", "x": 1.0, "xanchor": "right", "y": 1.02, "yanchor": "bottom"}


def _layout(fig: go.Figure, title: str, height: int, **kwargs: object) -> go.Figure:
    settings: dict[str, object] = {
        "template": TEMPLATE,
        "title": {"text": title, "x": 0.0, "xanchor": "left"},
        "height": height,
        "margin": {"l": 60, "r": 30, "t": 60, "b": 50},
    }
    fig.update_layout(**{**settings, **kwargs})
    return fig


def compact(value: float) -> str:
    """3 significant digits, thousands as k: 0.0836, 7.02, 684, 1.26k, 9.59k."""
    if abs(value) >= 1000:
        return f"{value / 1000:.3g}k"
    return f"{value:.3g}"


def _bar_height(bars: int, per_bar: int = 26, minimum: int = 260) -> int:
    return max(minimum, 110 + per_bar * bars)


def activity_lines(activity: pd.DataFrame) -> go.Figure:
    """DAU, WAU and MAU by day, stickiness (DAU / MAU) on a second axis.

    Expects activity_date, dau, wau, mau, stickiness.
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for column, name, colour in (("mau", "MAU", GREY), ("wau", "WAU", LIGHT_BLUE), ("dau", "DAU", BLUE)):
        fig.add_trace(
            go.Scatter(x=activity["activity_date"], y=activity[column], name=name, mode="lines+markers",
                       line={"color": colour}),
            secondary_y=False,
        )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=activity["activity_date"], y=activity["stickiness"], name="stickiness (DAU/MAU)",
                   mode="lines", line={"color": ORANGE, "dash": "dot"}),
        secondary_y=True,
    )  # fmt: skip
    fig.update_yaxes(title_text="users", rangemode="tozero", secondary_y=False)
    top = max(1.0, float(activity["stickiness"].max() or 0))
    fig.update_yaxes(
        title_text="stickiness",
        tickformat=".0%",
        range=[0, top * 1.05],
        dtick=0.25,
        showgrid=False,
        secondary_y=True,
    )
    return _layout(fig, "Active users", 360, legend={"orientation": "h", "y": -0.2})


def funnel(steps: pd.DataFrame, labels: Mapping[str, str] | None = None) -> go.Figure:
    """Sessions reaching each funnel step, with the share of the first step and of the step before.

    Expects step, sessions in step order.
    """
    names = [(labels or {}).get(s, s) for s in steps["step"]]
    fig = go.Figure(
        go.Funnel(
            y=names,
            x=steps["sessions"],
            textinfo="value+percent initial+percent previous",
            marker={"color": BLUE},
        )
    )
    return _layout(fig, "Sessions reaching each step", 380, margin={"l": 120, "r": 30, "t": 60, "b": 30})


def retention_heatmap(cells: pd.DataFrame, title: str) -> go.Figure:
    """Cohorts (rows, with their size) by weeks after the cohort week (columns), coloured by retention rate.

    Expects cohort_week, week_offset, cohort_users, retention_rate for one cohort type.
    """
    rates = cells.pivot_table(index="cohort_week", columns="week_offset", values="retention_rate")
    sizes = cells.groupby("cohort_week")["cohort_users"].max()
    rows = [f"{pd.Timestamp(week).strftime('%Y-%m-%d')} ({sizes[week]:,} users)" for week in rates.index]
    text = [[("" if pd.isna(v) else f"{v:.0%}") for v in row] for row in rates.to_numpy()]
    fig = go.Figure(
        go.Heatmap(
            z=rates.to_numpy(),
            x=[f"week {int(c)}" for c in rates.columns],
            y=rows,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            colorbar={"title": {"text": "retained"}, "tickformat": ".0%"},
            hovertemplate="%{y}, %{x}: %{z:.1%}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _layout(fig, title, _bar_height(len(rows), per_bar=32, minimum=280))


def distribution_bars(
    counts: pd.DataFrame, title: str, order: Sequence[str] = (), labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Users per value as horizontal bars labelled with their share, in `order` (then the rest by size).

    Expects value, users, share.
    """
    known = [v for v in order if v in set(counts["value"])]
    rest = [v for v in counts.sort_values("users", ascending=False)["value"] if v not in known]
    ordered = counts.set_index("value").loc[known + rest].reset_index()
    names = [(labels or {}).get(v, v) for v in ordered["value"]]
    fig = go.Figure(
        go.Bar(
            x=ordered["users"],
            y=names,
            orientation="h",
            text=[f"{u:,} ({s:.1%})" for u, s in zip(ordered["users"], ordered["share"], strict=True)],
            textposition="auto",
            marker={"color": BLUE},
            hovertemplate="%{y}: %{x:,} users<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text="users")
    return _layout(fig, title, _bar_height(len(ordered)))


def feature_heatmap(features: pd.DataFrame, feature_labels: Mapping[str, str] | None = None) -> go.Figure:
    """Segments (rows) by features (columns), coloured by z-score, annotated with the segment means.

    Expects segment_id, label, feature, mean, z_score.
    """
    z = features.pivot_table(index="segment_id", columns="feature", values="z_score", dropna=False)
    means = features.pivot_table(index="segment_id", columns="feature", values="mean", dropna=False)
    means = means.reindex(index=z.index, columns=z.columns)
    labels = features.drop_duplicates("segment_id").set_index("segment_id")["label"]
    rows = [f"{s}: {labels.get(s) or 'unlabelled'}" for s in z.index]
    columns = [(feature_labels or {}).get(f, f) for f in z.columns]
    text = [[("" if pd.isna(v) else compact(v)) for v in row] for row in means.to_numpy()]
    fig = go.Figure(
        go.Heatmap(
            z=z.to_numpy(),
            x=columns,
            y=rows,
            text=text,
            texttemplate="%{text}",
            textfont={"size": 10},
            colorscale="RdBu",
            reversescale=True,
            zmid=0,
            colorbar={"title": {"text": "z-score"}},
            hovertemplate="%{y}<br>%{x}: mean %{text}, z %{z:.2f}<extra></extra>",
        )
    )
    fig.update_xaxes(tickangle=-35, automargin=True)
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _layout(fig, "Segment means against the population (z-score)", _bar_height(len(rows), 46, 320))


def coverage_bars(health: pd.DataFrame) -> go.Figure:
    """Share of users holding each tag, lowest coverage on top.

    Expects tag_id, coverage.
    """
    ordered = health.sort_values(["coverage", "tag_id"], ascending=[True, True])
    fig = go.Figure(
        go.Bar(
            x=ordered["coverage"],
            y=ordered["tag_id"],
            orientation="h",
            marker={"color": BLUE},
            hovertemplate="%{y}: %{x:.1%}<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="users with a value", tickformat=".0%", range=[0, 1])
    fig.update_yaxes(autorange="reversed", automargin=True, tickfont={"size": 10})
    return _layout(fig, "Tag coverage", _bar_height(len(ordered), per_bar=15))


def drift_bars(health: pd.DataFrame, top: int) -> go.Figure:
    """The `top` tags with the highest population stability index against the previous snapshot.

    Expects tag_id, psi (null on a first snapshot: left out).
    """
    ranked = health.dropna(subset=["psi"]).sort_values(["psi", "tag_id"], ascending=[False, True]).head(top)
    colours = [RED if p >= PSI_MAJOR else ORANGE if p >= PSI_WATCH else BLUE for p in ranked["psi"]]
    fig = go.Figure(
        go.Bar(
            x=ranked["psi"],
            y=ranked["tag_id"],
            orientation="h",
            marker={"color": colours},
            hovertemplate="%{y}: PSI %{x:.4f}<extra></extra>",
        )
    )
    for threshold, name in ((PSI_WATCH, "0.1 watch"), (PSI_MAJOR, "0.25 major shift")):
        fig.add_vline(x=threshold, line={"dash": "dash", "color": GREY}, annotation_text=name)
    largest = float(ranked["psi"].max()) if len(ranked) else 0.0
    fig.update_xaxes(title_text="population stability index", range=[0, max(0.3, largest * 1.1)])
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _layout(fig, f"Drift against the previous snapshot (top {top} tags)", _bar_height(len(ranked)))


def audience_bars(audiences: pd.DataFrame) -> go.Figure:
    """Audience sizes, largest on top, beside their size on the previous snapshot.

    Expects audience_id, users, previous_users (may be null).
    """
    bars = [
        go.Bar(
            x=audiences["users"],
            y=audiences["audience_id"],
            orientation="h",
            name="this snapshot",
            marker={"color": BLUE},
            text=[f"{u:,}" for u in audiences["users"]],
            textposition="outside",
            cliponaxis=False,
        )
    ]
    if audiences["previous_users"].notna().any():
        bars.append(
            go.Bar(
                x=audiences["previous_users"],
                y=audiences["audience_id"],
                orientation="h",
                name="previous snapshot",
                marker={"color": LIGHT_BLUE},
            )
        )
    fig = go.Figure(bars)  # fmt: skip
    fig.update_xaxes(title_text="users")
    fig.update_yaxes(autorange="reversed", automargin=True)
    per_bar = 40 if len(bars) > 1 else 28
    return _layout(fig, "Largest audiences", _bar_height(len(audiences), per_bar=per_bar), barmode="group",
                   showlegend=len(bars) > 1, legend=_TOP_LEGEND)  # fmt: skip


def uplift_forest(results: pd.DataFrame, title: str, axis_title: str, tick_format: str) -> go.Figure:
    """Absolute uplift (treatment - control) of each campaign with its confidence interval, raw and CUPED.

    Expects campaign_id, name, absolute_uplift, absolute_ci_low, absolute_ci_high, cuped_uplift,
    cuped_ci_low, cuped_ci_high, confidence_level for one metric.
    """
    names = [f"{c}: {n}" for c, n in zip(results["campaign_id"], results["name"], strict=True)]
    fig = go.Figure()
    for prefix, label, colour, offset in (("absolute", "difference in means", BLUE, -0.12),
                                          ("cuped", "CUPED-adjusted", ORANGE, 0.12)):  # fmt: skip
        uplift = results[f"{prefix}_uplift"]
        fig.add_trace(
            go.Scatter(
                x=uplift,
                y=[i + offset for i in range(len(names))],
                mode="markers",
                name=label,
                marker={"color": colour, "size": 10},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": results[f"{prefix}_ci_high"] - uplift,
                    "arrayminus": uplift - results[f"{prefix}_ci_low"],
                    "color": colour,
                    "thickness": 2,
                },
                customdata=list(zip(names, results[f"{prefix}_ci_low"], results[f"{prefix}_ci_high"], strict=True)),
                hovertemplate=(f"%{{customdata[0]}}<br>{label}: %{{x:{tick_format}}} "
                               f"[%{{customdata[1]:{tick_format}}}, %{{customdata[2]:{tick_format}}}]<extra></extra>"),
            )
        )  # fmt: skip
    fig.add_vline(x=0, line={"color": GREY})
    level = results["confidence_level"].dropna()
    confidence = f"{level.iloc[0]:.0%} " if len(level) else ""
    fig.update_xaxes(title_text=f"{axis_title}, {confidence}confidence interval", tickformat=tick_format)
    fig.update_yaxes(tickvals=list(range(len(names))), ticktext=names, autorange="reversed", automargin=True)
    return _layout(fig, title, _bar_height(len(names), per_bar=60, minimum=260), legend=_TOP_LEGEND)


def metric_bars(models: pd.DataFrame, metrics: Mapping[str, str], title: str) -> go.Figure:
    """Grouped bars: one group per model, one bar per metric (column -> label in `metrics`).

    Expects model and the metric columns.
    """
    fig = go.Figure(
        [
            go.Bar(x=distinct_labels(models["model"]), y=models[column], name=label)
            for column, label in metrics.items()
        ]
    )
    fig.update_xaxes(automargin=True)
    return _layout(fig, title, 380, barmode="group", legend={"orientation": "h", "y": -0.25})


def distinct_labels(names: Sequence[str]) -> list[str]:
    """Names made unique for a category axis: repeated ones get " #1", " #2", ... in order."""
    names = list(names)
    seen: dict[str, int] = {}
    labels = []
    for name in names:
        if names.count(name) > 1:
            seen[name] = seen.get(name, 0) + 1
            labels.append(f"{name} #{seen[name]}")
        else:
            labels.append(name)
    return labels


def share_bars(shares: pd.DataFrame, category: str, title: str) -> go.Figure:
    """Vertical bars of `share` per `category` value.

    Expects `category`, share.
    """
    fig = go.Figure(
        go.Bar(
            x=shares[category],
            y=shares["share"],
            text=[f"{s:.0%}" for s in shares["share"]],
            textposition="auto",
            marker={"color": BLUE},
        )
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title_text="share of list entries")
    return _layout(fig, title, 320)


def score_histogram(histogram: pd.DataFrame, title: str, axis_title: str) -> go.Figure:
    """Users per score bin.

    Expects bin_low, bin_high, users.
    """
    fig = go.Figure(
        go.Bar(
            x=(histogram["bin_low"] + histogram["bin_high"]) / 2,
            y=histogram["users"],
            width=histogram["bin_high"] - histogram["bin_low"],
            marker={"color": BLUE, "line": {"color": "white", "width": 1}},
            hovertemplate="%{x:.2f}: %{y:,} users<extra></extra>",
        )
    )
    fig.update_xaxes(title_text=axis_title, range=[0, 1])
    fig.update_yaxes(title_text="users")
    return _layout(fig, title, 320)


def calibration_plot(deciles: pd.DataFrame, title: str) -> go.Figure:
    """Observed purchase rate against the mean predicted score per decile, beside the diagonal.

    Expects decile, mean_predicted, observed_rate.
    """
    top = float(max(deciles["mean_predicted"].max(), deciles["observed_rate"].max(), 0.05))
    fig = go.Figure(
        [
            go.Scatter(x=[0, top], y=[0, top], mode="lines", name="perfect calibration",
                       line={"color": GREY, "dash": "dash"}),
            go.Scatter(x=deciles["mean_predicted"], y=deciles["observed_rate"], mode="lines+markers",
                       name="model", marker={"color": BLUE, "size": 8}, text=deciles["decile"],
                       hovertemplate="decile %{text}: predicted %{x:.1%}, observed %{y:.1%}<extra></extra>"),
        ]
    )  # fmt: skip
    fig.update_xaxes(title_text="mean predicted propensity", tickformat=".0%")
    fig.update_yaxes(title_text="observed purchase rate", tickformat=".0%")
    return _layout(fig, title, 360, legend={"orientation": "h", "y": -0.25})


def holdout_tracking(days: pd.DataFrame, title: str) -> go.Figure:
    """Cumulative actual and predicted purchases by day of the holdout, as the BG/NBD paper's tracking plot.

    Expects bucket (the day after the calibration end), predicted, actual.
    """
    fig = go.Figure(
        [
            go.Scatter(x=days["bucket"], y=days["actual"], mode="lines+markers", name="actual",
                       line={"color": BLUE}, hovertemplate="day %{x}: %{y:,.0f} actual<extra></extra>"),
            go.Scatter(x=days["bucket"], y=days["predicted"], mode="lines", name="predicted (BG/NBD)",
                       line={"color": ORANGE, "dash": "dash"},
                       hovertemplate="day %{x}: %{y:,.1f} predicted<extra></extra>"),
        ]
    )  # fmt: skip
    fig.update_xaxes(title_text="days after the calibration end", dtick=1 if len(days) <= 14 else None)
    fig.update_yaxes(title_text="cumulative repeat purchases", rangemode="tozero")
    return _layout(fig, title, 340, legend=_TOP_LEGEND)


def conditional_expectations(buckets: pd.DataFrame, title: str) -> go.Figure:
    """Mean actual and predicted holdout purchases per calibration frequency bucket, as the BG/NBD paper's
    conditional expectations plot.

    Expects label (the bucket as shown, e.g. "7+"), customers, predicted, actual, in bucket order.
    """
    customers = [f"{c:,} customers" for c in buckets["customers"]]
    fig = go.Figure(
        [
            go.Scatter(x=buckets["label"], y=buckets["actual"], mode="lines+markers", name="actual",
                       line={"color": BLUE}, customdata=customers,
                       hovertemplate="%{x} (%{customdata}): %{y:.3f} actual<extra></extra>"),
            go.Scatter(x=buckets["label"], y=buckets["predicted"], mode="lines+markers", name="predicted (BG/NBD)",
                       line={"color": ORANGE, "dash": "dash"}, customdata=customers,
                       hovertemplate="%{x} (%{customdata}): %{y:.3f} predicted<extra></extra>"),
        ]
    )  # fmt: skip
    fig.update_xaxes(title_text="repeat purchases in the calibration period", type="category")
    fig.update_yaxes(title_text="holdout purchases per customer", rangemode="tozero")
    return _layout(fig, title, 340, legend=_TOP_LEGEND)
