"""The reference extraction with hl7apy, the HL7 library of record: slow (a full parse per
message) but independent of the fast path. A test holds the two equal on every corpus message
both accept, and ``hub bench`` measures the fast path against it.

Every value is read through hl7apy's parse tree: header and routing (MSH-5/6/9.3/11), identity
(PID-3 repetitions with authority and type), times (MSH-7, EVN-2/6, PV1-44/45, PID-7), language,
death (PID-30, PV1-36) and the visit (PV1-2/10/19/36/37). Only the timestamp grammar is shared
with the fast path (``hub.hl7.timestamps``), as the one definition of what a DTM means.

Phones (ADT-4) and caregivers (ADT-6) stay out: their value is the E.164 number that the
``phonenumbers`` library makes of XTN components, so a reference would call the same library on
the same components and prove nothing; ``tests/unit/test_hl7_extract.py`` checks them against
numbers written out by hand instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Segment
from hl7apy.parser import parse_message

from hub.hl7.charset import decode
from hub.hl7.parse import clean
from hub.hl7.timestamps import BadTimestamp, parse_date, parse_timestamp
from hub.hl7.visit import DECEASED_DISPOSITIONS

FIELDS = ("event_type", "message_structure", "control_id", "sending_application",
          "sending_facility", "receiving_application", "receiving_facility", "hl7_version",
          "processing_id", "message_time", "recorded_at", "occurred_at",
          "patient.key", "patient.mrn", "patient.identifiers", "patient.family_name",
          "patient.given_name", "patient.birth_date", "patient.sex", "patient.language",
          "patient.deceased", "visit.patient_class", "visit.visit_number",
          "visit.hospital_service", "visit.discharge_disposition", "visit.discharged_to",
          "visit.admit_at", "visit.discharge_at")
# PV1-36 codes of death (UB-04 / table 0112): 20 expired, 40/41/42 expired at home/facility/unknown


def _repetitions(segment: Segment | None, field: int) -> int:
    if segment is None:
        return 0
    name = f"{segment.name.lower()}_{field}"
    return sum(1 for c in segment.children if (c.name or "").lower() == name)


def _value(segment: Segment | None, field: int, component: int = 1, rep: int = 0) -> str:
    if segment is None:
        return ""
    name = f"{segment.name.lower()}_{field}"
    reps = [c for c in segment.children if (c.name or "").lower() == name]
    if rep >= len(reps):
        return ""
    element = reps[rep]
    parts = element.value.split(segment.encoding_chars["COMPONENT"]) \
        if element.value is not None else [""]
    if segment.name == "MSH" and field in (1, 2):
        return str(element.value)
    value = parts[component - 1].strip() if component <= len(parts) else ""
    chars = segment.encoding_chars
    for code, char in (("F", "FIELD"), ("S", "COMPONENT"), ("T", "SUBCOMPONENT"),
                       ("R", "REPETITION"), ("E", "ESCAPE")):
        value = value.replace(f"{chars['ESCAPE']}{code}{chars['ESCAPE']}", chars[char])
    return value


def _legal_name(pid: Segment | None, sub: str) -> tuple[str | None, str | None]:
    """PID-5's legal-name repetition (XPN-7 = L), else the first; family is FN's surname."""
    rep = 0
    for index in range(8):
        if _value(pid, 5, 7, index).upper() == "L":
            rep = index
            break
    family = _value(pid, 5, 1, rep).split(sub)[0].strip()
    return family or None, _value(pid, 5, 2, rep) or None


def _identifiers(pid: Segment | None, field: int, sub: str) -> list[dict[str, Any]]:
    """CX repetitions as {id, authority (HD namespace, else universal id), type}."""
    found = []
    for rep in range(_repetitions(pid, field)):
        ident = _value(pid, field, 1, rep)
        if not ident:
            continue
        hd = [part.strip() for part in _value(pid, field, 4, rep).split(sub)]
        authority = hd[0] or (hd[1] if len(hd) > 1 else "")
        found.append({"id": ident, "authority": authority or None,
                      "type": _value(pid, field, 5, rep) or None})
    return found


def _hd(segment: Segment | None, field: int) -> str:
    return _value(segment, field) or _value(segment, field, 2)


def reference_fields(raw: bytes, *, zone_for: Callable[[str], ZoneInfo]) -> dict[str, Any]:
    text = decode(clean(raw)).text.replace("\r\n", "\r").replace("\n", "\r")
    message = parse_message(text, find_groups=False, validation_level=VALIDATION_LEVEL.TOLERANT)
    by_name: dict[str, Segment] = {}
    for child in message.children:
        if child.name:  # hl7apy leaves unknown (Z) segments unnamed
            by_name.setdefault(child.name, child)
    msh, pid, pv1 = by_name.get("MSH"), by_name.get("PID"), by_name.get("PV1")
    evn = by_name.get("EVN")
    facility, application = _hd(msh, 4), _hd(msh, 3)
    zone = zone_for(facility)

    def when(segment: Segment | None, field: int) -> str | None:
        """A time the hub does not require: unreadable is null, as in the event."""
        try:
            value = parse_timestamp(_value(segment, field), zone) if segment is not None else None
        except BadTimestamp:
            return None
        return value.isoformat() if value else None

    sub = msh.encoding_chars["SUBCOMPONENT"] if msh is not None else "&"
    identifiers = _identifiers(pid, 3, sub)
    legacy = next((found for field in (2, 4) if (found := _identifiers(pid, field, sub))), [])
    candidates = identifiers or legacy  # PID-2 and PID-4 are the legacy places for the id
    pick = next((i for i in candidates if (i["type"] or "").upper() == "MR"),
                candidates[0] if candidates else {"id": "", "authority": None})
    family, given = _legal_name(pid, sub)
    discharge_at = when(pv1, 45)
    if discharge_at is None and _value(msh, 9, 2).upper() == "A03":
        discharge_at = when(evn, 6) or when(evn, 2)  # ADT-2 fallbacks
    try:
        birth_date = parse_date(_value(pid, 7))
    except BadTimestamp:
        birth_date = None
    message_time = when(msh, 7)
    disposition = _value(pv1, 36)
    return {
        "event_type": _value(msh, 9, 2).upper(),
        "message_structure": _value(msh, 9, 3).upper() or None,
        "control_id": _value(msh, 10),
        "sending_application": application, "sending_facility": facility,
        "receiving_application": _hd(msh, 5), "receiving_facility": _hd(msh, 6),
        "hl7_version": _value(msh, 12), "processing_id": _value(msh, 11),
        "message_time": message_time,
        "recorded_at": (when(evn, 2) if evn is not None else None) or message_time,
        "occurred_at": when(evn, 6) if evn is not None else None,
        "patient.key": f"{pick['authority'] or facility or application or 'UNKNOWN'}|{pick['id']}",
        "patient.mrn": pick["id"], "patient.identifiers": identifiers,
        "patient.family_name": family, "patient.given_name": given,
        "patient.birth_date": birth_date,
        "patient.sex": _value(pid, 8) or None,
        "patient.language": _value(pid, 15).lower() or None,
        "patient.deceased": _value(pid, 30).upper() == "Y" or disposition in DECEASED_DISPOSITIONS,
        "visit.patient_class": _value(pv1, 2).upper() or None,
        "visit.visit_number": _value(pv1, 19) or None,
        "visit.hospital_service": _value(pv1, 10) or None,
        "visit.discharge_disposition": disposition or None,
        "visit.discharged_to": _value(pv1, 37) or None,
        "visit.admit_at": when(pv1, 44), "visit.discharge_at": discharge_at,
    }


def fast_fields(event: dict[str, Any]) -> dict[str, Any]:
    """The same fields picked from a fast-path AdtEvent."""
    out = {}
    for name in FIELDS:
        value: Any = event
        for part in name.split("."):
            value = value[part]
        out[name] = value
    return out
