"""The daily report in one package: what it reads (`inputs`, the catalogue's tables), one module per part of
the page with its Spark summaries (small frames computed from the gold tables, so only they reach the driver)
and its sections drawn from them (`behaviour`, `profile`, `segments`, `campaigns`, `recommendations`,
`propensity`, `value`), the Plotly charts the sections and the notebooks share (`charts`), cell formats
(`formats`), the self-contained HTML page (`page`) and the sections in page order (`daily`).

Summaries are DataFrames in, DataFrame out; rendering is pandas in, HTML out. Nothing here reads or writes
storage: the job build_report reads the inputs through the lake and writes the page through the platform."""

# The report's sections, in page order: each is an <h2> inside <section id="...">, present even when its
# tables are missing.
SECTION_IDS = (
    "activity",
    "funnel",
    "retention",
    "rfm",
    "segments",
    "tags",
    "audiences",
    "campaigns",
    "recommendations",
    "propensity",
    "value",
)
