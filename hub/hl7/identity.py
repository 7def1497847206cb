"""ADT-3: the patient key is ``<assigning authority>|<id>``.

From PID-3's repetitions the one typed ``MR`` is the key, else the first. The assigning authority is
CX-4's namespace id, or its universal id (an OID) when the namespace is empty; without one, the
sending facility (MSH-4) stands in, and without that the sending application (MSH-3), so two
senders' unqualified ids do not collide on a shared placeholder. PID-2 and PID-4 (legacy places
for the id) are used only when PID-3 is empty, and the event says so in a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.errors import Hl7Error
from hub.hl7.parse import Segment, split_component


@dataclass(frozen=True, slots=True)
class Identity:
    key: str
    mrn: str
    identifiers: list[dict[str, Any]]
    warning: str | None = None


def hd_name(segment: Segment, n: int) -> str:
    """An HD field (application, facility) as one name: its namespace id, else its universal id."""
    return segment.field(n, 1) or segment.field(n, 2)


def identifiers(segment: Segment, n: int) -> list[dict[str, Any]]:
    """The CX repetitions of a field as {id, authority, type}; repetitions without an id skipped."""
    found = []
    encoding, codec = segment.encoding, segment.codec
    for rep in segment.repetitions(n):
        ident = split_component(rep, 1, encoding, 0, codec)
        if not ident:
            continue
        authority = (split_component(rep, 4, encoding, 1, codec)
                     or split_component(rep, 4, encoding, 2, codec))
        found.append({"id": ident, "authority": authority or None,
                      "type": split_component(rep, 5, encoding, 0, codec) or None})
    return found


def chosen(ids: list[dict[str, Any]]) -> dict[str, Any]:
    """The MR identifier, else the first."""
    return next((i for i in ids if (i["type"] or "").upper() == "MR"), ids[0])


def key_of(identifier: dict[str, Any], facility: str, application: str) -> str:
    return f"{identifier['authority'] or facility or application or 'UNKNOWN'}|{identifier['id']}"


def patient_identity(pid: Segment, facility: str, application: str) -> Identity:
    """The key, MR id and PID-3 identifiers; ``missing_field`` at PID-3 when there is no id."""
    ids = identifiers(pid, 3)
    if ids:
        pick = chosen(ids)
        return Identity(key_of(pick, facility, application), pick["id"], ids)
    for legacy in (2, 4):
        found = identifiers(pid, legacy)
        if found:
            pick = chosen(found)
            return Identity(key_of(pick, facility, application), pick["id"], ids,
                            f"PID-3 is empty: the patient id was taken from PID-{legacy} "
                            "(a legacy place for it)")
    raise Hl7Error("PID-3 has no patient identifier (and the legacy PID-2 and PID-4 are empty "
                   "too): send the MR number in PID-3", code="missing_field", location="PID-3")
