"""Whether a catalogue-style delivery changed since it was last ingested: its stamp.

Shops deliver their catalogues (users, items, campaigns) as whole exports that often stay the same for days,
while the daily run reads them every day. A stamp is a SHA-256 over the delivery's files (name within their
folder, size and modification time, from the file system's listing: no file is opened) and everything else
that decides what its rows become (the settings, the PII salt's fingerprint, the suite's version). An ingest
job records the stamp of what it upserted as a table property and skips a delivery whose stamp is recorded on
every table it writes: an unchanged catalogue then costs a listing instead of a validation and an upsert of
every row. New, replaced or removed files, other settings or another release change the stamp.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata

from shop_platform.storage.files import LakeFiles
from shop_platform.storage.lake import LakeTable
from shop_platform.storage.raw_files import delivered_files

# The table property holding the stamp of the delivery last upserted into the table.
DELIVERY_STAMP = "shop.delivery_stamp"
DISTRIBUTION = "shop-analytics"


def suite_version() -> str:
    """The installed suite's version; "source" when it runs from a checkout that is not installed."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "source"


@dataclass(frozen=True)
class Delivery:
    """The files of a job's delivery folders (None for a folder that does not exist) and their stamp."""

    files: dict[str, list[str] | None]
    stamp: str

    @classmethod
    def listed(
        cls, lake_files: LakeFiles, folders: Sequence[str], settings: Mapping[str, object]
    ) -> Delivery:
        """List `folders` and stamp them with `settings` (JSON-able; other values count by their text)."""
        files = {folder: delivered_files(lake_files, folder) for folder in folders}
        return cls(files, delivery_stamp(lake_files, files, settings))

    def delivered(self, folder: str) -> bool:
        return bool(self.files.get(folder))

    def already_ingested(self, targets: Sequence[LakeTable]) -> bool:
        """True when there are `targets` and every one exists and records this stamp."""
        return bool(targets) and all(
            table.exists() and table.properties().get(DELIVERY_STAMP) == self.stamp for table in targets
        )

    def unchanged_message(self) -> str:
        folders = " and ".join(folder for folder, files in self.files.items() if files is not None)
        return (
            f"{folders} unchanged since last ingested (same files, settings and salt): nothing to do; "
            "--force ingests again"
        )


def delivery_stamp(
    files: LakeFiles, deliveries: Mapping[str, Sequence[str] | None], settings: Mapping[str, object]
) -> str:
    """The stamp of `deliveries` (delivery folder -> its files as `LakeFiles.list_files` gives them, None
    for a folder that does not exist) read with `settings`."""
    listing = {}
    for folder, paths in sorted(deliveries.items()):
        marker = f"/{folder.strip('/')}/"
        listing[folder] = (
            None
            if paths is None
            else [
                (path.split(marker, 1)[-1], size, micros) for path, size, micros in files.file_stamps(paths)
            ]
        )
    document = {"files": listing, "settings": settings, "version": suite_version()}
    text = json.dumps(document, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
