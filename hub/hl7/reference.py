"""The reference extraction with hl7apy, the HL7 library of record: slow (a full parse per
message) but independent of the fast path. A test holds the two equal on every corpus message
both accept, and ``hub bench`` measures the fast path against it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Segment
from hl7apy.parser import parse_message

from hub.hl7.charset import decode
from hub.hl7.parse import clean
from hub.hl7.timestamps import parse_timestamp

FIELDS = ("event_type", "control_id", "sending_application", "sending_facility", "hl7_version",
          "patient.key", "patient.mrn", "patient.family_name", "patient.given_name",
          "patient.sex", "visit.patient_class", "visit.discharge_disposition",
          "visit.admit_at", "visit.discharge_at")


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


def reference_fields(raw: bytes, *, zone_for: Callable[[str], ZoneInfo]) -> dict[str, Any]:
    text = decode(clean(raw)).text.replace("\r\n", "\r").replace("\n", "\r")
    message = parse_message(text, find_groups=False, validation_level=VALIDATION_LEVEL.TOLERANT)
    by_name: dict[str, Segment] = {}
    for child in message.children:
        if child.name:  # hl7apy leaves unknown (Z) segments unnamed
            by_name.setdefault(child.name, child)
    msh, pid, pv1 = by_name.get("MSH"), by_name.get("PID"), by_name.get("PV1")
    facility = _value(msh, 4) or _value(msh, 4, 2)
    application = _value(msh, 3) or _value(msh, 3, 2)
    zone = zone_for(facility)

    def when(segment: Segment | None, field: int) -> str | None:
        value = parse_timestamp(_value(segment, field), zone) if segment is not None else None
        return value.isoformat() if value else None

    mrn, authority = "", ""
    sub = msh.encoding_chars["SUBCOMPONENT"] if msh is not None else "&"
    for field in (3, 2, 4):  # PID-2 and PID-4 are the legacy places when PID-3 is empty
        for rep in range(8):
            ident = _value(pid, field, 1, rep)
            if ident and (_value(pid, field, 5, rep) == "MR" or not mrn):
                mrn = ident
                hd = _value(pid, field, 4, rep).split(sub)
                authority = hd[0] or (hd[1] if len(hd) > 1 else "")
                if _value(pid, field, 5, rep) == "MR":
                    break
        if mrn:
            break
    family, given = _legal_name(pid, sub)
    evn = by_name.get("EVN")
    discharge_at = when(pv1, 45)
    if discharge_at is None and _value(msh, 9, 2).upper() == "A03":
        discharge_at = when(evn, 6) or when(evn, 2)  # ADT-2 fallbacks
    return {
        "event_type": _value(msh, 9, 2).upper(), "control_id": _value(msh, 10),
        "sending_application": application, "sending_facility": facility,
        "hl7_version": _value(msh, 12),
        "patient.key": f"{authority or facility or application or 'UNKNOWN'}|{mrn}",
        "patient.mrn": mrn, "patient.family_name": family, "patient.given_name": given,
        "patient.sex": _value(pid, 8) or None,
        "visit.patient_class": _value(pv1, 2).upper() or None,
        "visit.discharge_disposition": _value(pv1, 36) or None,
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
