"""Bronze ingestion: raw lines and catalogue files into typed bronze rows, every bad row quarantined.

lines ─ formats (parse, taobao, order_lines) ─ validate ─ dedupe ─┬─ bronze.valid_events
                                                                 ├─ bronze.quarantine_rows
                                                                 └─ conservation.count_outcomes
users/items CSV ─ pii ─ catalog (users, items) ─ catalog_rows / catalog_quarantine_rows

`event_lines.check_event_lines` is the chain up to dedupe; the files themselves are read by
`shop_platform.storage.raw_files` (by header name, by raw date, or from a history export).
"""
