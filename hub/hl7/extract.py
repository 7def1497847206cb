"""Raw ADT bytes -> the ``AdtEvent`` dict of ``schemas/adt_event.schema.json`` (ADT-1..ADT-7).

The hot path of the hub: one pass over the segments, components split only for fields read.
``hub.hl7.reference`` extracts the same values with hl7apy; a test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from hub.errors import Hl7Error
from hub.hl7.identity import identifiers, patient_key_from_pid3
from hub.hl7.parse import Message, Segment, parse
from hub.hl7.phones import phones_of
from hub.hl7.timestamps import BadTimestamp, parse_date, parse_timestamp

SUPPORTED_EVENTS = frozenset({"A01", "A02", "A03", "A04", "A06", "A07", "A08", "A11", "A12", "A13",
                              "A28", "A31", "A34", "A39", "A40", "A47"})
SUPPORTED_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8", "2.8.1",
                      "2.8.2")
MERGE_EVENTS = frozenset({"A34", "A39", "A40", "A47"})
DECEASED_DISPOSITIONS = frozenset({"20", "40", "41", "42"})


def normalize(raw: bytes, *, zone_for: Callable[[str], ZoneInfo], phone_region: str = "US"
              ) -> dict[str, Any]:
    message = parse(raw)
    msh = message.msh
    facility = msh.component(4)
    zone = zone_for(facility)
    code, event_type = msh.component(9, 1).upper(), msh.component(9, 2).upper()
    if code != "ADT":
        raise Hl7Error(f"MSH-9 message type {code or '(empty)'!r} is not ADT",
                       code="unsupported_message_type", location="MSH-9", ack_code="AR")
    if event_type not in SUPPORTED_EVENTS:
        raise Hl7Error(f"ADT trigger {event_type or '(empty)'!r} is not handled by the hub",
                       code="unsupported_event", location="MSH-9.2")
    version = msh.component(12)
    if version not in SUPPORTED_VERSIONS:
        raise Hl7Error(f"MSH-12 version {version or '(empty)'!r} is not supported (2.3 to 2.8)",
                       code="unsupported_version", location="MSH-12", ack_code="AR")
    pid = _required(message, "PID")
    warnings: list[str] = []
    stamp = _Stamps(zone, warnings)
    evn = message.segment("EVN")
    pv1 = message.segment("PV1")
    key, mrn, ids = patient_key_from_pid3(pid, facility)
    message_time = stamp(msh, 7, "MSH-7")
    event = {
        "event_type": event_type, "message_code": code,
        "message_structure": msh.component(9, 3).upper() or None,
        "control_id": msh.component(10), "sending_application": msh.component(3),
        "sending_facility": facility, "receiving_application": msh.component(5),
        "receiving_facility": msh.component(6), "hl7_version": version,
        "processing_id": msh.component(11), "charset": msh.component(18) or None,
        "message_time": message_time,
        "recorded_at": (stamp(evn, 2, "EVN-2") if evn else None) or message_time,
        "occurred_at": stamp(evn, 6, "EVN-6") if evn else None,
        "patient": _patient(pid, key, mrn, ids, phone_region, stamp, warnings),
        "visit": _visit(pv1, evn, event_type, stamp),
        "caregivers": [_caregiver(nk1, phone_region, warnings) for nk1 in message.segments("NK1")],
        "merge": _merge(message, facility) if event_type in MERGE_EVENTS else None,
        "warnings": warnings,
    }
    _restrictions(message, event)
    return event


def _required(message: Message, name: str) -> Segment:
    segment = message.segment(name)
    if segment is None:
        raise Hl7Error(f"the {name} segment is missing", code="missing_segment", location=name)
    return segment


class _Stamps:
    def __init__(self, zone: ZoneInfo, warnings: list[str]):
        self.zone, self.warnings = zone, warnings

    def __call__(self, segment: Segment | None, n: int, where: str, *, required: bool = False
                 ) -> str | None:
        if segment is None:
            return None
        try:
            value = parse_timestamp(segment.component(n), self.zone)
        except BadTimestamp:
            if required:
                raise Hl7Error(f"{where} is not an HL7 timestamp (YYYYMMDDHHMM[SS][+ZZZZ])",
                               code="bad_timestamp", location=where) from None
            self.warnings.append(f"{where} is not an HL7 timestamp; ignored")
            return None
        return value.isoformat() if value else None


def _patient(pid: Segment, key: str, mrn: str, ids: list[dict[str, Any]], region: str,
             stamp: _Stamps, warnings: list[str]) -> dict[str, Any]:
    phones, invalid, email = phones_of([pid.repetitions(13), pid.repetitions(14),
                                        pid.repetitions(40)], pid.encoding, region)
    try:
        birth_date = parse_date(pid.component(7))
    except BadTimestamp:
        warnings.append("PID-7 is not an HL7 date; ignored")
        birth_date = None
    return {
        "key": key, "mrn": mrn, "identifiers": ids,
        "family_name": pid.component(5, 1) or None, "given_name": pid.component(5, 2) or None,
        "birth_date": birth_date, "sex": pid.component(8) or None,
        "phones": phones, "invalid_phones": invalid, "email": email,
        "language": pid.component(15).lower() or None,
        "deceased": pid.component(30).upper() == "Y",
        "deceased_at": stamp(pid, 29, "PID-29"),
        "publicity_code": None, "protection": None,
    }


def _visit(pv1: Segment | None, evn: Segment | None, event_type: str, stamp: _Stamps
           ) -> dict[str, Any]:
    if pv1 is None:
        return {"patient_class": None, "visit_number": None, "hospital_service": None,
                "location": None, "admit_at": None, "discharge_at": None,
                "discharge_time_source": None, "discharge_disposition": None,
                "discharged_to": None}
    discharge_at, source = stamp(pv1, 45, "PV1-45", required=event_type == "A03"), "PV1-45"
    if discharge_at is None and event_type == "A03" and evn is not None:
        discharge_at, source = stamp(evn, 6, "EVN-6"), "EVN-6"
        if discharge_at is None:
            discharge_at, source = stamp(evn, 2, "EVN-2", required=True), "EVN-2"
    return {
        "patient_class": pv1.component(2).upper() or None,
        "visit_number": pv1.component(19) or None,
        "hospital_service": pv1.component(10) or None,
        "location": "^".join(filter(None, (pv1.component(3, c) for c in (1, 2, 3, 4)))) or None,
        "admit_at": stamp(pv1, 44, "PV1-44"),
        "discharge_at": discharge_at,
        "discharge_time_source": source if discharge_at else None,
        "discharge_disposition": pv1.component(36) or None,
        "discharged_to": pv1.component(37) or None,
    }


def _caregiver(nk1: Segment, region: str, warnings: list[str]) -> dict[str, Any]:
    phones, _invalid, _email = phones_of([nk1.repetitions(5), nk1.repetitions(6)], nk1.encoding,
                                         region)
    return {"family_name": nk1.component(2, 1) or None, "given_name": nk1.component(2, 2) or None,
            "relationship": nk1.component(3) or None, "role": nk1.component(7) or None,
            "phones": phones}


def _merge(message: Message, facility: str) -> dict[str, Any] | None:
    mrg = message.segment("MRG")
    if mrg is None:
        raise Hl7Error("a merge message without an MRG segment", code="missing_segment",
                       location="MRG")
    prior = identifiers(mrg, 1)
    if not prior:
        raise Hl7Error("MRG-1 has no prior patient identifier", code="missing_field",
                       location="MRG-1")
    chosen = next((i for i in prior if i["type"] == "MR"), prior[0])
    return {"prior_identifiers": prior,
            "prior_key": f"{chosen['authority'] or facility or 'UNKNOWN'}|{chosen['id']}"}


def _restrictions(message: Message, event: dict[str, Any]) -> None:
    """ADT-5: PD1-11 publicity code and PD1-12 protection; disposition 20/40-42 means death."""
    pd1 = message.segment("PD1")
    if pd1 is not None:
        event["patient"]["publicity_code"] = pd1.component(11) or None
        protection = pd1.component(12).upper()
        event["patient"]["protection"] = (protection == "Y") if protection else None
    if event["visit"]["discharge_disposition"] in DECEASED_DISPOSITIONS:
        event["patient"]["deceased"] = True
