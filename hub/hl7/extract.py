"""Raw ADT bytes -> the ``AdtEvent`` dict of ``schemas/adt_event.schema.json`` (ADT-1..ADT-7).

The hot path of the hub: one pass over the segments, fields split only for the segments read,
components only for the values read. ``hub.cli.bench.reference`` extracts the same values with
hl7apy and a test holds the two equal on the corpus.

Tolerated with a warning (the hub's action does not depend on them): a missing EVN, a missing PV1
on events other than A03, EVN-1 disagreeing with MSH-9 (MSH-9 wins), an empty MSH-9 trigger when
EVN-1 has one, unreadable times outside the discharge time. Refused: everything ``parse`` and
``scope`` refuse, no PID, no usable patient id, no MSH-10, an A03 without PV1 or discharge time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from hub.errors import Hl7Error
from hub.hl7.identity import hd_name, patient_identity
from hub.hl7.parse import Message, Segment, parse
from hub.hl7.patient import read_caregivers, read_merge, read_patient
from hub.hl7.scope import MERGE_EVENTS, check_scope, requires_pv1
from hub.hl7.timestamps import TimeReader
from hub.hl7.visit import read_visit


def normalize(raw: bytes, *, zone_for: Callable[[str], ZoneInfo], phone_region: str = "US"
              ) -> dict[str, Any]:
    """One message -> AdtEvent, or ``Hl7Error`` with a code, a location and the ACK code."""
    message = parse(raw)
    msh = message.msh
    warnings = message.warnings
    evn = message.segment("EVN")
    code, trigger = msh.field(9, 1).upper(), _trigger(msh, evn, warnings)
    version = msh.field(12)
    warnings += check_scope(code, trigger, version)
    control_id = msh.field(10)
    if not control_id:
        raise Hl7Error("MSH-10 message control id is empty: the ACK and the dedupe key need it",
                       code="missing_field", location="MSH-10")
    pid = _required(message, "PID")
    pv1 = message.segment("PV1")
    _check_structure(evn, pv1, trigger, warnings)
    application, facility = hd_name(msh, 3), hd_name(msh, 4)
    times = TimeReader(zone_for(facility), warnings)
    identity = patient_identity(pid, facility, application)
    if identity.warning:
        warnings.append(identity.warning)
    message_time = times.optional(msh.field(7), "MSH-7")
    visit = read_visit(pv1, evn, trigger, times)
    return {
        "event_type": trigger, "message_code": code,
        "message_structure": msh.field(9, 3).upper() or None,
        "control_id": control_id, "sending_application": application,
        "sending_facility": facility, "receiving_application": hd_name(msh, 5),
        "receiving_facility": hd_name(msh, 6), "hl7_version": version,
        "processing_id": msh.field(11), "charset": msh.field(18) or None,
        "message_time": message_time,
        "recorded_at": (times.optional(evn.field(2), "EVN-2") if evn else None) or message_time,
        "occurred_at": times.optional(evn.field(6), "EVN-6") if evn else None,
        "patient": read_patient(message, pid, identity, visit["discharge_disposition"], times,
                                phone_region),
        "visit": visit,
        "caregivers": read_caregivers(message, phone_region, warnings),
        "merge": read_merge(message, identity.key, facility, application, warnings)
        if trigger in MERGE_EVENTS else None,
        "warnings": warnings,
    }


def _trigger(msh: Segment, evn: Segment | None, warnings: list[str]) -> str:
    trigger = msh.field(9, 2).upper()
    declared = evn.field(1).upper() if evn is not None else ""
    if not trigger and declared:
        warnings.append("MSH-9 has no trigger event: EVN-1 was used")
        return declared
    if declared and declared != trigger:
        warnings.append(f"EVN-1 {declared[:3]!r} disagrees with MSH-9 {trigger!r}: MSH-9 used")
    return trigger


def _required(message: Message, name: str) -> Segment:
    segment = message.segment(name)
    if segment is None:
        raise Hl7Error(f"the {name} segment is missing", code="missing_segment", location=name)
    return segment


def _check_structure(evn: Segment | None, pv1: Segment | None, trigger: str,
                     warnings: list[str]) -> None:
    if pv1 is None:
        if trigger == "A03":  # eligibility needs PV1-2/36/37 (TCM-6/7)
            raise Hl7Error("an A03 without a PV1 segment: the hub needs the patient class and "
                           "discharge disposition", code="missing_segment", location="PV1")
        if requires_pv1(trigger):
            warnings.append(f"PV1 is missing (the standard requires it on {trigger})")
    if evn is None:
        warnings.append("EVN is missing (the standard requires it): EVN times are null")
