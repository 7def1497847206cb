"""ADT-3: the patient key is (assigning authority, or the sending facility when none, MR id)."""

from __future__ import annotations

from typing import Any

from hub.errors import Hl7Error
from hub.hl7.parse import Segment, split_component


def identifiers(segment: Segment, n: int) -> list[dict[str, Any]]:
    found = []
    for rep in segment.repetitions(n):
        ident = split_component(rep, 1, segment.encoding)
        if not ident:
            continue
        authority = (split_component(rep, 4, segment.encoding, sub=1)
                     or split_component(rep, 4, segment.encoding, sub=2))
        found.append({"id": ident, "authority": authority or None,
                      "type": split_component(rep, 5, segment.encoding) or None})
    return found


def patient_key_from_pid3(pid: Segment, facility: str) -> tuple[str, str, list[dict[str, Any]]]:
    """(key, mrn, all PID-3 identifiers). PID-3 ``MR`` first, else its first id; PID-2/PID-4
    (legacy) only when PID-3 is empty."""
    ids = identifiers(pid, 3)
    chosen = next((i for i in ids if i["type"] == "MR"), ids[0] if ids else None)
    if chosen is None:
        legacy = identifiers(pid, 2) or identifiers(pid, 4)
        if not legacy:
            raise Hl7Error("PID-3 has no patient identifier (PID-2 and PID-4 are empty too)",
                           code="missing_field", location="PID-3")
        chosen = legacy[0]
    authority = chosen["authority"] or facility or "UNKNOWN"
    return f"{authority}|{chosen['id']}", chosen["id"], ids
