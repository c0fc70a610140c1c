"""The report page: sections of charts, tables and key figures rendered into one self-contained HTML file.

Plotly's JavaScript bundle is inlined once in the page head and every chart is a div plus a call to
`Plotly.newPlot`, so the file opens offline, from a mail attachment or a shared drive, with no network.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import jinja2
import plotly.graph_objects as go
from markupsafe import Markup
from plotly.offline import get_plotlyjs

# The class every chart's container carries, and the attribute naming it (the browser test counts them).
CHART_CLASS = "report-chart"
CHART_ATTRIBUTE = "data-chart"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class Source:
    """A table a section draws on: the snapshot shown, or why it cannot be shown."""

    table: str
    as_of: dt.date | None = None
    # Set when the section cannot use the table: it does not exist, or has no rows on or before the run date.
    problem: str | None = None
    # What the section did instead, e.g. "showing gold.als_recommendations".
    note: str | None = None

    @property
    def available(self) -> bool:
        return self.problem is None and self.as_of is not None

    def describe(self, run_date: dt.date) -> str:
        """ "gold.x as of 2026-10-30", "… (3 days before the run date)" or the problem."""
        if self.problem is not None:
            return self.problem
        if self.as_of is None:
            return self.table
        text = f"{self.table} as of {self.as_of.isoformat()}"
        lag = (run_date - self.as_of).days
        if lag > 0:
            text += f" ({lag} day{'s' if lag != 1 else ''} before the run date)"
        return text


@dataclass(frozen=True)
class Chart:
    """A Plotly figure; `name` identifies it in the page (`data-chart`)."""

    name: str
    figure: go.Figure


@dataclass(frozen=True)
class Table:
    """A small table of already formatted cells."""

    caption: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    # Columns whose cells are right-aligned numbers, and columns of long text that may wrap.
    numeric: Sequence[str] = ()
    wrap: Sequence[str] = ()


@dataclass(frozen=True)
class Figures:
    """Key figures shown as tiles: (label, formatted value) pairs."""

    items: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Note:
    """A sentence of explanation (`notice`: something the reader should know is missing or stale)."""

    text: str
    notice: bool = False


Block = Chart | Table | Figures | Note


@dataclass(frozen=True)
class Section:
    """One heading of the report with what it shows and where the numbers come from."""

    id: str
    title: str
    intro: str
    sources: Sequence[Source] = ()
    blocks: Sequence[Block] = field(default_factory=tuple)


def render_page(title: str, run_date: dt.date, sections: Sequence[Section], footer: str = "") -> str:
    """The whole report as one HTML document (Plotly's bundle inlined once)."""
    names = [b.name for s in sections for b in s.blocks if isinstance(b, Chart)]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"chart names must be unique in a report: {', '.join(duplicated)}")
    return _template().render(
        title=title,
        run_date=run_date,
        sections=[_section_view(s, run_date) for s in sections],
        footer=footer,
        plotly_js=Markup(_safe_script(get_plotlyjs())),
        chart_class=CHART_CLASS,
        chart_attribute=CHART_ATTRIBUTE,
    )


def chart_html(chart: Chart) -> str:
    """A chart's div and drawing script, without Plotly's bundle."""
    return chart.figure.to_html(
        full_html=False, include_plotlyjs=False, div_id=f"chart-{chart.name}", config=PLOTLY_CONFIG
    )


def _section_view(section: Section, run_date: dt.date) -> dict:
    blocks = []
    for block in section.blocks:
        if isinstance(block, Chart):
            blocks.append({"kind": "chart", "name": block.name, "html": Markup(chart_html(block))})
        elif isinstance(block, Table):
            blocks.append({"kind": "table", "table": block})
        elif isinstance(block, Figures):
            blocks.append({"kind": "figures", "figures": block.items})
        else:
            blocks.append({"kind": "notice" if block.notice else "note", "text": block.text})
    return {
        "id": section.id,
        "title": section.title,
        "intro": section.intro,
        "sources": [s.describe(run_date) for s in section.sources if s.problem is None],
        "problems": [s.problem for s in section.sources if s.problem is not None],
        "notes": [s.note for s in section.sources if s.note],
        "blocks": blocks,
    }


def _safe_script(code: str) -> str:
    # A literal "</script" inside inlined JavaScript would end the script element early.
    return code.replace("</script", "<\\/script")


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return environment.from_string(_PAGE)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
  body { font-family: -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
         margin: 0; color: #1f2933; background: #f5f7fa; }
  header { background: #243b53; color: #fff; padding: 24px 40px 16px; }
  header h1 { margin: 0 0 4px; font-size: 26px; }
  header p { margin: 0; color: #bcccdc; }
  nav { margin-top: 12px; font-size: 14px; }
  nav a { color: #d9e2ec; margin-right: 14px; text-decoration: none; }
  nav a:hover { text-decoration: underline; }
  main { max-width: 1200px; margin: 0 auto; padding: 8px 24px 40px; }
  section { background: #fff; border-radius: 8px; margin: 20px 0; padding: 8px 24px 20px;
            box-shadow: 0 1px 3px rgba(16, 42, 67, 0.12); }
  h2 { font-size: 20px; margin: 16px 0 4px; }
  .intro { color: #52606d; margin: 0 0 8px; }
  .sources { color: #7b8794; font-size: 12px; margin: 0 0 8px; }
  .notice { background: #fff8e1; border-left: 4px solid #f0b429; padding: 8px 12px; margin: 8px 0; }
  .note { color: #3e4c59; margin: 8px 0; }
  .figures { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
  .figure { background: #f0f4f8; border-radius: 6px; padding: 10px 16px; min-width: 120px; }
  .figure .value { font-size: 22px; font-weight: 600; }
  .figure .label { font-size: 12px; color: #52606d; }
  .report-chart { margin: 8px 0; }
  .table-wrap { overflow-x: auto; }
  table { border-collapse: collapse; margin: 8px 0 16px; font-size: 12.5px; }
  caption { text-align: left; font-weight: 600; padding: 4px 0; }
  th, td { white-space: nowrap; padding: 4px 8px; border-bottom: 1px solid #e4e7eb; text-align: left;
           vertical-align: top; }
  th { background: #f0f4f8; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  td.wrap { white-space: normal; min-width: 220px; max-width: 460px; }
  footer { color: #7b8794; font-size: 12px; text-align: center; padding: 16px; }
</style>
<script>{{ plotly_js }}</script>
</head>
<body>
<header>
  <h1>{{ title }}</h1>
  <p>Run date {{ run_date.isoformat() }}</p>
  <nav>{% for s in sections %}<a href="#{{ s.id }}">{{ s.title }}</a>{% endfor %}</nav>
</header>
<main>
{% for s in sections %}
<section id="{{ s.id }}">
  <h2>{{ s.title }}</h2>
  <p class="intro">{{ s.intro }}</p>
  {% if s.sources %}<p class="sources">From {{ s.sources | join("; ") }}.</p>{% endif %}
  {% for problem in s.problems %}<p class="notice">{{ problem }}</p>{% endfor %}
  {% for note in s.notes %}<p class="notice">{{ note }}</p>{% endfor %}
  {% for b in s.blocks %}
    {% if b.kind == "chart" %}
  <div class="{{ chart_class }}" {{ chart_attribute }}="{{ b.name }}">{{ b.html }}</div>
    {% elif b.kind == "table" %}
  <div class="table-wrap"><table>
    <caption>{{ b.table.caption }}</caption>
    <thead><tr>{% for c in b.table.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
    <tbody>
    {% for row in b.table.rows %}<tr>
      {%- for cell in row -%}
      {%- set column = b.table.columns[loop.index0] -%}
      <td{% if column in b.table.numeric %} class="num"{% elif column in b.table.wrap %} class="wrap"{% endif %}>
        {{- cell -}}
      </td>
      {%- endfor -%}
    </tr>
    {% endfor %}
    </tbody>
  </table></div>
    {% elif b.kind == "figures" %}
  <div class="figures">
    {%- for label, value in b.figures -%}
    <div class="figure"><div class="value">{{ value }}</div><div class="label">{{ label }}</div></div>
    {%- endfor -%}
  </div>
    {% else %}
  <p class="{{ b.kind }}">{{ b.text }}</p>
    {% endif %}
  {% endfor %}
</section>
{% endfor %}
</main>
<footer>{{ footer }}</footer>
</body>
</html>
"""
