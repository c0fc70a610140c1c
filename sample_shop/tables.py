"""The sample shop's truth datasets, declared once, as `transforms.tables` declares the product's tables.

The generator writes each as a plain Parquet dataset under `<lake.root>/truth/<name>` for the truth checks
and for other tools to read. They are files, not Delta tables (the lake's tables are bronze, silver and
gold), so `lake.table` does not open them: `sample_shop.truth.reports.read_truth(lake, spec)` reads one
with its declared schema checked, and `truth_folder(spec)` is its folder relative to the lake root.
"""

from __future__ import annotations

from sample_shop import columns as TC
from sample_shop import schemas as S
from shop_platform.storage.spec import TableSpec, specs_by_name
from transforms import columns as C

GENERATOR = "generate_sample_data"

PERSONAS = TableSpec(
    "truth.personas",
    S.TRUTH_PERSONAS_SCHEMA,
    GENERATOR,
    keys=(C.USER_ID,),
    description='every generated user\'s persona, bots included (persona "bot")',
)
EVENT_SESSIONS = TableSpec(
    "truth.event_sessions",
    S.TRUTH_EVENT_SESSIONS_SCHEMA,
    GENERATOR,
    keys=(C.EVENT_ID,),
    description="the session each generated event was planted in",
)
BUNDLES = TableSpec(
    "truth.bundles",
    S.TRUTH_BUNDLES_SCHEMA,
    GENERATOR,
    keys=(TC.BUNDLE_ID, C.ITEM_ID),
    description="the items of each planted bundle (bought together on purpose)",
)
CAMPAIGNS = TableSpec(
    "truth.campaigns",
    S.TRUTH_CAMPAIGNS_SCHEMA,
    GENERATOR,
    keys=(C.CAMPAIGN_ID, C.USER_ID),
    description="each campaign user's group and the campaign's planted conversion uplift",
)
CHURN = TableSpec(
    "truth.churn",
    S.TRUTH_CHURN_SCHEMA,
    GENERATOR,
    keys=(C.USER_ID,),
    description="users with planted churn and the day from which they have no events",
)
DIRT = TableSpec(
    "truth.dirt",
    S.TRUTH_DIRT_SCHEMA,
    GENERATOR,
    description="events whose raw line carries a planted defect: the raw folder's date and the defect's kind",
)

LAUNCHES = TableSpec(
    "truth.launches",
    S.TRUTH_LAUNCHES_SCHEMA,
    GENERATOR,
    keys=(C.ITEM_ID,),
    description="items launched during the period and the day they launched (only with generator.drift)",
)
TASTE_CHANGES = TableSpec(
    "truth.taste_changes",
    S.TRUTH_TASTE_CHANGES_SCHEMA,
    GENERATOR,
    keys=(C.USER_ID,),
    description="users whose favourite category changes in the period: the day, before and after "
    "(only with generator.drift)",
)

TABLES: tuple[TableSpec, ...] = (
    PERSONAS,
    EVENT_SESSIONS,
    BUNDLES,
    CAMPAIGNS,
    CHURN,
    DIRT,
    LAUNCHES,
    TASTE_CHANGES,
)
BY_NAME: dict[str, TableSpec] = specs_by_name(TABLES)


def truth_folder(spec: TableSpec) -> str:
    """The dataset's folder relative to the lake root: "truth.personas" -> "truth/personas"."""
    layer, _, name = spec.name.partition(".")
    return f"{layer}/{name}"
