"""ADT-1 dedupe: (MSH-3, MSH-4, MSH-10) identifies a message; a resend of the same bytes does
nothing twice. Senders that reuse a control id for different content (seen in Epic test feeds) are
not silently dropped: the message goes on, flagged, because losing a discharge is the worse harm."""

from __future__ import annotations

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
    return f"{record.get('sending_application') or ''}|{record.get('sending_facility') or ''}|{control_id}"


def classify(previous_sha256: str | None, sha256: str) -> Seen:
    if previous_sha256 is None:
        return Seen.NEW
    return Seen.DUPLICATE if previous_sha256 == sha256 else Seen.CONTROL_ID_REUSED
