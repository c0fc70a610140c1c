"""The marketing tool's exports (raw/campaigns, raw/campaign_assignments) typed and checked row by row.

Campaigns go through the catalogue checks (transforms.ingest.catalog) keyed by campaign id, plus a name,
both dates and an end not before the start. Assignments are keyed by (campaign, user): each must name a
known campaign, a well-formed user id and a group of the vocabulary; a user listed twice for one campaign
(even in different groups) makes both rows ambiguous, so both are quarantined.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import vocabulary as V
from transforms.ingest.catalog import check_catalog
from transforms.ingest.reasons import (
    MALFORMED_CSV,
    bad_id,
    collect_reasons,
    duplicate_key,
    missing,
    out_of_range,
)
from transforms.schemas import RAW_CAMPAIGN_ASSIGNMENTS_SCHEMA, RAW_CAMPAIGNS_SCHEMA

CAMPAIGNS = "campaigns"
ASSIGNMENTS = "campaign_assignments"
GROUPS = (V.TREATMENT, V.CONTROL)
UNKNOWN_CAMPAIGN = "unknown_campaign:campaign_id"
ASSIGNMENT_KEY = f"{C.CAMPAIGN_ID}+{C.USER_ID}"
# The quarantine's RECORD_ID of an assignment: "campaign_id/user_id".
ASSIGNMENT_ID = "_assignment_id"


def _with_reasons(checked: DataFrame, *extra: Column) -> DataFrame:
    """Append `extra` reasons, except to rows that could not be split into fields at all."""
    malformed = F.array_contains(F.col(C.REASONS), MALFORMED_CSV)
    reasons = F.when(malformed, F.col(C.REASONS)).otherwise(
        F.concat(F.col(C.REASONS), collect_reasons(*extra))
    )
    return checked.withColumn(C.REASONS, reasons)


def _missing(field: str) -> Column:
    # check_catalog already names a value that is there but does not fit its type.
    text_was_wrong = F.array_contains(F.col(C.REASONS), f"wrong_type:{field}")
    return F.when(F.col(field).isNull() & ~text_was_wrong, F.lit(missing(field)))


def check_campaigns(raw: DataFrame, id_pattern: str | None) -> DataFrame:
    """Type and check raw campaigns.

    Args:
        raw: RAW_CAMPAIGNS_SCHEMA columns as text (mapped by header name), SOURCE_FILE, INGESTED_AT.
        id_pattern: Regular expression campaign ids must match, or None.

    Returns:
        catalog.check_catalog output over RAW_CAMPAIGNS_SCHEMA, with the campaign rules' reasons added.
    """
    checked = check_catalog(raw, fields=RAW_CAMPAIGNS_SCHEMA, key=C.CAMPAIGN_ID, id_pattern=id_pattern)
    return _with_reasons(
        checked,
        _missing(C.CAMPAIGN_NAME),
        _missing(C.START_DATE),
        _missing(C.END_DATE),
        F.when(F.col(C.END_DATE) < F.col(C.START_DATE), F.lit(out_of_range(C.END_DATE))),
    )


def check_assignments(raw: DataFrame, campaign_ids: DataFrame, user_id_pattern: str | None) -> DataFrame:
    """Type and check raw assignments.

    Args:
        raw: RAW_CAMPAIGN_ASSIGNMENTS_SCHEMA columns as text, CORRUPT_RECORD, SOURCE_FILE, INGESTED_AT.
        campaign_ids: CAMPAIGN_ID of every known campaign (distinct).
        user_id_pattern: `ingest.id_patterns["user_id"]`, or None.

    Returns:
        RAW_CAMPAIGN_ASSIGNMENTS_SCHEMA columns, SOURCE_FILE, INGESTED_AT, RECORD, REASONS, IS_DUPLICATE
        (always false), like catalog.check_catalog, and ASSIGNMENT_ID for the quarantine.
    """
    fields = RAW_CAMPAIGN_ASSIGNMENTS_SCHEMA.fieldNames()
    # Every field is text, so typing cannot fail; the key is a pair, which check_catalog does not take.
    text = raw.select(
        *[F.nullif(F.trim(F.col(name)), F.lit("")).alias(name) for name in fields],
        C.CORRUPT_RECORD,
        C.SOURCE_FILE,
        C.INGESTED_AT,
    )
    known = campaign_ids.select(C.CAMPAIGN_ID, F.lit(True).alias("_known")).distinct()
    # Left join on a distinct id list: at most one match, no row multiplied.
    joined = text.join(known, on=[C.CAMPAIGN_ID], how="left")
    both = F.col(C.CAMPAIGN_ID).isNotNull() & F.col(C.USER_ID).isNotNull()
    copies = F.count(F.lit(1)).over(Window.partitionBy(C.CAMPAIGN_ID, C.USER_ID))
    checks = [
        *[F.when(F.col(name).isNull(), F.lit(missing(name))) for name in fields],
        F.when(F.col(C.CAMPAIGN_ID).isNotNull() & F.col("_known").isNull(), F.lit(UNKNOWN_CAMPAIGN)),
        F.when(F.col(C.GROUP).isNotNull() & ~F.col(C.GROUP).isin(*GROUPS), F.lit(out_of_range(C.GROUP))),
        F.when(both & (copies > 1), F.lit(duplicate_key(ASSIGNMENT_KEY))),
    ]
    if user_id_pattern is not None:
        checks.append(F.when(~F.col(C.USER_ID).rlike(f"^(?:{user_id_pattern})$"), F.lit(bad_id(C.USER_ID))))
    malformed = F.col(C.CORRUPT_RECORD).isNotNull()
    reasons = F.when(malformed, F.array(F.lit(MALFORMED_CSV))).otherwise(collect_reasons(*checks))
    return joined.select(
        *fields,
        C.SOURCE_FILE,
        C.INGESTED_AT,
        F.to_json(F.struct(*fields)).alias(C.RECORD),
        reasons.alias(C.REASONS),
        F.lit(False).alias(C.IS_DUPLICATE),
        F.concat_ws("/", C.CAMPAIGN_ID, C.USER_ID).alias(ASSIGNMENT_ID),
    )
