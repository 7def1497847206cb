"""PV1 -> the ``visit`` of an AdtEvent: class, disposition, destination and times (ADT-2, ADT-7).

The discharge time of an A03 is PV1-45, else EVN-6, else EVN-2, and the event records which one
was used. On an A03 the chosen value must be a timestamp (``bad_timestamp`` otherwise: falling
through to the next field would hide the sender's mistake) and one of the three must be present
(``missing_field`` at PV1-45). On other events PV1-45 is carried as sent, with no fallback.
"""

from __future__ import annotations

from typing import Any

from hub.errors import Hl7Error
from hub.hl7.parse import Segment
from hub.hl7.timestamps import TimeReader

DECEASED_DISPOSITIONS = frozenset({"20", "40", "41", "42"})  # ADT-5, UB-04 codes in table 0112


def empty_visit() -> dict[str, Any]:
    return {"patient_class": None, "visit_number": None, "hospital_service": None,
            "location": None, "admit_at": None, "discharge_at": None,
            "discharge_time_source": None, "discharge_disposition": None, "discharged_to": None}


def read_visit(pv1: Segment | None, evn: Segment | None, event_type: str, times: TimeReader
               ) -> dict[str, Any]:
    if pv1 is None:
        return empty_visit()
    discharge_at, source = _discharge_time(pv1, evn, event_type, times)
    disposition = pv1.field(36)
    if disposition and not (len(disposition) == 2 and disposition.isdigit()):
        times.warnings.append("PV1-36 discharge disposition is not a two-digit table 0112 code")
    return {
        "patient_class": pv1.field(2).upper() or None,
        "visit_number": pv1.field(19) or None,
        "hospital_service": pv1.field(10) or None,
        "location": location(pv1),
        "admit_at": times.optional(pv1.field(44), "PV1-44"),
        "discharge_at": discharge_at,
        "discharge_time_source": source,
        "discharge_disposition": disposition or None,
        "discharged_to": pv1.field(37) or None,
    }


def location(pv1: Segment) -> str | None:
    """PV1-3 point of care^room^bed^facility, empty positions kept so the parts keep meaning."""
    parts = pv1.components(3)[:4]
    while parts and not parts[-1]:
        parts.pop()
    return "^".join(parts) or None


def _discharge_time(pv1: Segment, evn: Segment | None, event_type: str, times: TimeReader
                    ) -> tuple[str | None, str | None]:
    if event_type != "A03":
        at = times.optional(pv1.field(45), "PV1-45")
        return at, "PV1-45" if at else None
    candidates = [(pv1.field(45), "PV1-45")]
    if evn is not None:
        candidates += [(evn.field(6), "EVN-6"), (evn.field(2), "EVN-2")]
    for value, where in candidates:
        if value:
            return times.required(value, where), where
    raise Hl7Error("the discharge has no time: PV1-45, EVN-6 and EVN-2 are all empty",
                   code="missing_field", location="PV1-45")
