"""PID, PD1, NK1 and MRG -> the patient, caregivers and merge of an AdtEvent (ADT-3..ADT-6).

Deceased is PID-30 = Y or a PV1-36 death disposition; PID-29 is carried as sent even when PID-30
says N (the contradiction becomes a warning, the decision stays with PID-30/PV1-36). Caregiver
numbers that are not valid are dropped with a warning: a fallback channel is never guessed either.
"""

from __future__ import annotations

from typing import Any

from hub.errors import Hl7Error
from hub.hl7.identity import Identity, chosen, identifiers, key_of
from hub.hl7.parse import Message, Segment
from hub.hl7.phones import phones_of
from hub.hl7.timestamps import BadTimestamp, TimeReader, parse_date
from hub.hl7.visit import DECEASED_DISPOSITIONS

_PID_PHONES = (13, 14, 40)  # home, business, and v2.7's single patient telecom field
_NK1_PHONES = (5, 6)


def name_parts(segment: Segment, n: int) -> tuple[str | None, str | None]:
    """(family, given) of the legal-name repetition (XPN-7 = L), else the first. Family is FN's
    surname subcomponent, so a v2.3+ 'Smith&Van' gives 'Smith'."""
    repetition = 1
    count = len(segment.repetitions(n))
    if count > 1:
        repetition = next((r for r in range(1, count + 1)
                           if segment.field(n, 7, r).upper() == "L"), 1)
    return (segment.field(n, 1, repetition, 1) or None,
            segment.field(n, 2, repetition) or None)


def read_patient(message: Message, pid: Segment, identity: Identity, disposition: str | None,
                 times: TimeReader, region: str) -> dict[str, Any]:
    warnings = times.warnings
    found = phones_of(pid, _PID_PHONES, region)
    try:
        birth_date = parse_date(pid.field(7))
    except BadTimestamp:
        warnings.append("PID-7 is not an HL7 date; ignored")
        birth_date = None
    family, given = name_parts(pid, 5)
    death_indicator = pid.field(30).upper()
    deceased_at = times.optional(pid.field(29), "PID-29")
    if deceased_at and death_indicator == "N":
        warnings.append("PID-29 has a death time but PID-30 says N: not treated as deceased")
    pd1 = message.segment("PD1")
    protection = pd1.field(12).upper() if pd1 is not None else ""
    return {
        "key": identity.key, "mrn": identity.mrn, "identifiers": identity.identifiers,
        "family_name": family, "given_name": given, "birth_date": birth_date,
        "sex": pid.field(8) or None,
        "phones": found.phones, "invalid_phones": found.invalid, "email": found.email,
        "language": pid.field(15).lower() or None,
        "deceased": death_indicator == "Y" or disposition in DECEASED_DISPOSITIONS,
        "deceased_at": deceased_at,
        "publicity_code": (pd1.field(11) or None) if pd1 is not None else None,
        "protection": (protection == "Y") if protection else None,
    }


def read_caregivers(message: Message, region: str, warnings: list[str]) -> list[dict[str, Any]]:
    caregivers = []
    for index, nk1 in enumerate(message.segments("NK1"), start=1):
        found = phones_of(nk1, _NK1_PHONES, region)
        if found.invalid:
            warnings.append(f"NK1 #{index}: {len(found.invalid)} phone number(s) not valid; "
                            "dropped")
        family, given = name_parts(nk1, 2)
        caregivers.append({"family_name": family, "given_name": given,
                           "relationship": nk1.field(3) or None, "role": nk1.field(7) or None,
                           "phones": found.phones})
    return caregivers


def read_merge(message: Message, key: str, facility: str, application: str,
               warnings: list[str]) -> dict[str, Any]:
    """§2 A40 (A34/A39 older, A47 id change): MRG-1 holds the prior identifiers."""
    mrg = message.segment("MRG")
    if mrg is None:
        raise Hl7Error("a merge or identifier change without an MRG segment",
                       code="missing_segment", location="MRG")
    prior = identifiers(mrg, 1)
    if not prior:
        raise Hl7Error("MRG-1 has no prior patient identifier", code="missing_field",
                       location="MRG-1")
    prior_key = key_of(chosen(prior), facility, application)
    if prior_key == key:
        warnings.append("MRG-1 names the surviving patient's own id")
    return {"prior_identifiers": prior, "prior_key": prior_key}
