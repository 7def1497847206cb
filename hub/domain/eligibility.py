"""Does a discharge open a TCM episode? TCM-6 (from-setting), TCM-7 (destination), ADT-5 (death),
ADT-7 (PV1-2 class, PV1-36 disposition). The reason is recorded either way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.domain.rules import TcmRules


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str
    flags: tuple[str, ...] = ()


def assess_discharge(event: dict[str, Any], rules: TcmRules) -> Eligibility:
    patient, visit = event["patient"], event["visit"]
    if patient.get("deceased"):
        return Eligibility(False, "patient_deceased")  # TCM-10, ADT-5
    if not visit.get("discharge_at"):
        return Eligibility(False, "no_discharge_time")  # ADT-2
    patient_class = visit.get("patient_class")
    if patient_class == "E":
        return Eligibility(False, "emergency_visit_only")  # TCM-6: an ED-only visit
    if patient_class not in rules.qualifying_classes:
        return Eligibility(False, f"patient_class_not_qualifying:{patient_class or 'empty'}")
    disposition = (visit.get("discharge_disposition") or "").strip()
    if not disposition:
        return Eligibility(False, "no_disposition", ("needs_review",))
    if not (disposition.isdigit() and len(disposition) == 2):
        # free text such as "home" is not a table-0112 code: a person decides, the hub does not guess
        return Eligibility(False, "unrecognized_disposition", ("needs_review",))
    if disposition not in rules.eligible_dispositions:
        return Eligibility(False, f"disposition_not_eligible:{disposition}")  # TCM-7, e.g. 03 SNF
    flags = ("left_against_advice",) if disposition in rules.flagged_dispositions else ()
    return Eligibility(True, f"disposition:{disposition}", flags)
