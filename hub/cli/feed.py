"""Synthetic ADT messages for ``hub demo`` and tests: invented people, real message shapes.

``adt(...)`` renders one v2.5 ADT message with the fields the hub reads; times are passed in, so a
feed made for a fixed ``now`` is byte-for-byte repeatable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Person:
    mrn: str
    family: str
    given: str
    birth_date: str  # YYYYMMDD
    sex: str
    phone: str  # as a hospital would send it: (555) 201-7788
    language: str = "en"


def hl7_time(at: datetime) -> str:
    return at.strftime("%Y%m%d%H%M%S") + at.strftime("%z")


def adt(event: str, person: Person, *, control_id: str, at: datetime, facility: str = "GENHOSP",
        patient_class: str = "I", disposition: str = "", discharged_to: str = "",
        admit_at: datetime | None = None, discharge_at: datetime | None = None,
        structure: str | None = None, deceased: bool = False, processing_id: str = "P"
        ) -> bytes:
    structure = structure or {"A03": "ADT_A03", "A04": "ADT_A01", "A08": "ADT_A01",
                              "A13": "ADT_A01", "A06": "ADT_A06"}.get(event, "ADT_A01")
    area, local = _split_us_phone(person.phone)
    segments = [
        f"MSH|^~\\&|EPICADT|{facility}|TCMHUB|TCMHUB|{hl7_time(at)}||ADT^{event}^{structure}|"
        f"{control_id}|{processing_id}|2.5||||||UNICODE UTF-8",  # MSH-11, MSH-18
        f"EVN|{event}|{hl7_time(at)}",
        f"PID|1||{person.mrn}^^^{facility}^MR||{person.family}^{person.given}||"
        f"{person.birth_date}|{person.sex}|||||^PRN^CP^^1^{area}^{local}||{person.language}|||||||||||||||"
        f"{'Y' if deceased else 'N'}",
        f"PV1|1|{patient_class}|MED^201^A^{facility}||||||||||||||||V{control_id}|||||||||||||||||"
        f"{disposition}|{discharged_to}|||||||"
        f"{hl7_time(admit_at) if admit_at else ''}|"
        f"{hl7_time(discharge_at) if discharge_at else ''}",
    ]
    return "\r".join(segments).encode("utf-8") + b"\r"


def _split_us_phone(phone: str) -> tuple[str, str]:
    digits = "".join(ch for ch in phone if ch.isdigit())[-10:]
    return digits[:3], digits[3:]
