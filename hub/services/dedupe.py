"""ADT-1 dedupe: (MSH-3, MSH-4, MSH-10) identifies a message; a resend of the same bytes does
nothing twice. Senders that reuse a control id for different content (seen in Epic test feeds) are
not silently dropped: the message goes on, flagged, because losing a discharge is the worse harm.

Only a message that was normalized is remembered. One that was dead-lettered is not: replaying it
unchanged after a fix on the hub's side must be processed again, not dropped as a duplicate.

The memory is bounded: an entry records the day its message was received and is forgotten after
the retention (``HUB_RETENTION_DAYS``, at least 31 days, past any TCM window): a sender resending
a message that old gets it processed again, which the episodes downstream absorb (ADT-1).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import date, datetime
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


def entry(record: dict[str, Any], shard: int) -> dict[str, Any]:
    """What is remembered of a normalized record: the hash of its bytes, the day it was received
    and the shard (changelog partition) it is kept in, so it can be forgotten later."""
    day = _received_day(record)
    return {"sha256": record["sha256"], "seen": day.isoformat() if day else None, "shard": shard}


def _received_day(record: dict[str, Any]) -> date | None:
    """The day the hub received it; None when the record does not say (kept, never pruned,
    rather than a message lost to an unreadable receipt time)."""
    try:
        return datetime.fromisoformat(record["received_at"]).date()
    except (KeyError, TypeError, ValueError):
        return None


def _sha256(value: Any) -> str | None:
    if value is None or isinstance(value, str):  # entries written before they had a day
        return value
    return str(value["sha256"])


def stale_shard(value: Any, before: date) -> int | None:
    """The shard of an entry received before ``before``, to be forgotten; None for an entry
    to keep (one without a day, written before entries had one, is never guessed old)."""
    if isinstance(value, dict) and value.get("seen") and date.fromisoformat(value["seen"]) < before:
        return int(value["shard"])
    return None


def classify(previous_sha256: str | None, sha256: str) -> Seen:
    if previous_sha256 is None:
        return Seen.NEW
    return Seen.DUPLICATE if previous_sha256 == sha256 else Seen.CONTROL_ID_REUSED


class SeenMessages:
    """The dedupe memory over a table of key -> ``entry`` of the bytes last normalized (the
    worker's Faust table, a dict in tests)."""

    def __init__(self, table: MutableMapping[str, Any]):
        self._table = table

    def classify(self, record: dict[str, Any]) -> Seen:
        key = dedupe_key(record)
        return classify(_sha256(self._table.get(key)) if key else None, record["sha256"])

    def remember(self, record: dict[str, Any], shard: int) -> None:
        """Call for a record whose event is on its way (the stage sends it before the memory is
        written), never for a record that failed."""
        key = dedupe_key(record)
        if key:
            self._table[key] = entry(record, shard)
