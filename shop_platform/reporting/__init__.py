"""The daily report's presentation: Plotly charts (`charts`), its sections (`behaviour`, `profile`,
`outcomes`, with cells formatted by `formats`) and the self-contained HTML page (`page`), writing it
(`output`), driving headless Chromium to check or photograph it (`browser`) and the notebooks'
configuration (`notebook`). Small pandas frames in, HTML out: no Spark here."""

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
)
