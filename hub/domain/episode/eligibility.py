"""Does a discharge open a TCM episode? TCM-6 (from-setting), TCM-7 (destination), ADT-5 (death,
restrictions), ADT-7 (PV1-2 class, PV1-36 disposition, PV1-37 destination).

The reason is recorded either way. Anything the hub cannot read with certainty (free text such as
``home`` or ``Feeling great`` in PV1-36, a code outside table 0112, no class, no discharge time) is
*not* guessed: the discharge is recorded as not eligible with the flag ``needs_review`` so a person
looks, and a site that knows its own free text maps it with ``TcmRules.disposition_aliases``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.domain.episode.restrictions import ContactRestrictions, restrictions_for
from hub.domain.episode.rules import TcmRules
from hub.hl7.visit import DECEASED_DISPOSITIONS

NEEDS_REVIEW = "needs_review"
EXPIRED_DISPOSITIONS = DECEASED_DISPOSITIONS  # ADT-5: the discharge dispositions of a death
# table 0112 as UB-04 uses it in the US (ADT-7), including the 8x "planned readmission" codes
KNOWN_DISPOSITIONS = frozenset({
    "01", "02", "03", "04", "05", "06", "07", "09", "20", "21", "30", "40", "41", "42", "43",
    "50", "51", "61", "62", "63", "64", "65", "66", "69", "70", *(str(n) for n in range(81, 96))})


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str
    flags: tuple[str, ...] = ()
    restrictions: ContactRestrictions = field(default_factory=ContactRestrictions)


def assess_discharge(event: Mapping[str, Any], rules: TcmRules) -> Eligibility:
    patient, visit = event["patient"], event["visit"]
    disposition = disposition_code(visit.get("discharge_disposition"), rules.disposition_aliases)
    if patient.get("deceased") or disposition in EXPIRED_DISPOSITIONS:
        return Eligibility(False, "patient_deceased")  # TCM-10, ADT-5
    if not visit.get("discharge_at"):
        return Eligibility(False, "no_discharge_time", (NEEDS_REVIEW,))  # ADT-2
    setting = _from_setting(visit, rules)
    if isinstance(setting, Eligibility):
        return setting
    verdict = _disposition(disposition, visit.get("discharge_disposition"), rules)
    if not verdict.eligible:
        return verdict
    destination = (visit.get("discharged_to") or "").split("^")[0].split("&")[0].strip().upper()
    if destination and destination in rules.ineligible_destinations:
        return Eligibility(False, f"destination_not_eligible:{destination}")  # TCM-7
    restrictions = restrictions_for(patient.get("publicity_code"), patient.get("protection"),
                                    rules)
    return Eligibility(True, verdict.reason, (*setting, *verdict.flags, *restrictions.flags),
                       restrictions)


def disposition_code(raw: str | None, aliases: Mapping[str, str] | None = None) -> str:
    """PV1-36 as a table-0112 code: the first component, or the site's mapping of its text."""
    value = (raw or "").split("^")[0].strip()
    folded = {key.strip().lower(): code for key, code in (aliases or {}).items()}
    return folded.get(value.lower(), value)


def _from_setting(visit: Mapping[str, Any], rules: TcmRules) -> tuple[str, ...] | Eligibility:
    """TCM-6: flags of a qualifying stay, or why the visit is not one."""
    patient_class = (visit.get("patient_class") or "").strip().upper()
    service = (visit.get("hospital_service") or "").split("^")[0].strip().upper()
    # observation is checked first: an ED patient the site placed in observation qualifies
    if patient_class in rules.observation_classes or service in rules.observation_services:
        return ("observation_stay",)
    if patient_class == "E":
        return Eligibility(False, "emergency_visit_only")  # TCM-6: ED-only
    if not patient_class:
        return Eligibility(False, "no_patient_class", (NEEDS_REVIEW,))
    if patient_class not in rules.qualifying_classes:
        return Eligibility(False, f"patient_class_not_qualifying:{patient_class}")
    return ()


def _disposition(code: str, raw: str | None, rules: TcmRules) -> Eligibility:
    """ADT-7 / TCM-7 on PV1-36: 01 and 06 yes, 07 yes and flagged, 04/64 per site, rest no."""
    mapped = ("disposition_mapped",) if code != (raw or "").split("^")[0].strip() else ()
    if not code:
        return Eligibility(False, "no_disposition", (NEEDS_REVIEW,))
    if code not in KNOWN_DISPOSITIONS and code not in rules.eligible_dispositions:
        return Eligibility(False, "unrecognized_disposition", (NEEDS_REVIEW,))
    if code in rules.nursing_facility_dispositions:
        if rules.nursing_facility_eligible:
            return Eligibility(True, f"disposition:{code}", (*mapped, "nursing_facility"))
        return Eligibility(False, f"disposition_not_eligible:{code}")
    if code not in rules.eligible_dispositions:
        return Eligibility(False, f"disposition_not_eligible:{code}")  # e.g. 03 SNF
    flags = (("left_against_advice" if code == "07" else f"flagged_disposition:{code}",)
             if code in rules.flagged_dispositions else ())
    return Eligibility(True, f"disposition:{code}", (*mapped, *flags))
