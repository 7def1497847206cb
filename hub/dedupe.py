"""ADT-1 dedupe: (MSH-3, MSH-4, MSH-10) identifies a message; a resend of the same bytes does
nothing twice. Senders that reuse a control id for different content (seen in Epic test feeds) are
not silently dropped: the message goes on, flagged, because losing a discharge is the worse harm.

Only a message that was normalized is remembered. One that was dead-lettered is not: replaying it
unchanged after a fix on the hub's side must be processed again, not dropped as a duplicate.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from enum import Enum
from typing import Any


class Seen(Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    CONTROL_ID_REUSED = "control_id_reused"


def dedupe_key(record: dict[str, Any]) -> str | None:
    control_id = record.get("control_id")
    if not control_id:
        return None
    application = record.get("sending_application") or ""
    return f"{application}|{record.get('sending_facility') or ''}|{control_id}"


def classify(previous_sha256: str | None, sha256: str) -> Seen:
    if previous_sha256 is None:
        return Seen.NEW
    return Seen.DUPLICATE if previous_sha256 == sha256 else Seen.CONTROL_ID_REUSED


class SeenMessages:
    """The dedupe memory over a table of key -> sha256 of the bytes last normalized (the
    worker's Faust table, a dict in tests)."""

    def __init__(self, table: MutableMapping[str, str]):
        self._table = table

    def classify(self, record: dict[str, Any]) -> Seen:
        key = dedupe_key(record)
        return classify(self._table.get(key) if key else None, record["sha256"])

    def remember(self, record: dict[str, Any]) -> None:
        """Call once the record's event is sent, never for a record that failed."""
        key = dedupe_key(record)
        if key:
            self._table[key] = record["sha256"]
