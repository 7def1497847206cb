"""Which discharges open an episode (TCM-6, TCM-7, ADT-5, ADT-7) and how restrictions are kept."""

from __future__ import annotations

from typing import Any

import pytest

from hub.domain.episode.eligibility import assess_discharge
from hub.domain.episode.rules import TcmRules
from tests.unit.episode_events import adt_event

RULES = TcmRules()


def discharge(disposition: str | None = "01", **values: Any) -> dict[str, Any]:
    values.setdefault("discharge_at", "2026-11-23T09:00:00-05:00")
    return adt_event("A03", "C1", disposition=disposition, **values)


@pytest.mark.parametrize("disposition, eligible, reason", [
    ("01", True, "disposition:01"),                 # home / self-care
    ("06", True, "disposition:06"),                 # home health
    ("07", True, "disposition:07"),                 # against advice: eligible, flagged
    ("01^Home^HL70112", True, "disposition:01"),    # sent as a CWE
    ("02", False, "disposition_not_eligible:02"),   # another hospital
    ("03", False, "disposition_not_eligible:03"),   # SNF (TCM-7)
    ("04", False, "disposition_not_eligible:04"),   # custodial: per site, off by default
    ("64", False, "disposition_not_eligible:64"),   # Medicaid NF: per site, off by default
    ("21", False, "disposition_not_eligible:21"),   # law enforcement
    ("30", False, "disposition_not_eligible:30"),   # still a patient
    ("50", False, "disposition_not_eligible:50"),   # hospice
    ("62", False, "disposition_not_eligible:62"),   # inpatient rehab
    ("20", False, "patient_deceased"),              # expired (ADT-5)
    ("41", False, "patient_deceased"),
])
def test_disposition_table(disposition: str, eligible: bool, reason: str) -> None:
    """ADT-7 / TCM-7: eligible 01, 06; 07 flagged; 04/64 per site; expired is death; rest not."""
    verdict = assess_discharge(discharge(disposition), RULES)
    assert (verdict.eligible, verdict.reason) == (eligible, reason)


@pytest.mark.parametrize("disposition, reason", [
    ("home", "unrecognized_disposition"),            # free text in the corpus
    ("Feeling great", "unrecognized_disposition"),
    ("19", "unrecognized_disposition"),              # not a table-0112 code
    ("", "no_disposition"),
    (None, "no_disposition"),
])
def test_unreadable_dispositions_are_not_guessed(disposition: str | None, reason: str) -> None:
    """ADT-7: free text or unknown codes are not eligible and flagged for a person to look."""
    verdict = assess_discharge(discharge(disposition), RULES)
    assert (verdict.eligible, verdict.reason, verdict.flags) == (False, reason, ("needs_review",))


def test_site_can_map_its_free_text() -> None:
    """ADT-7 (per site): a site that writes "home" in PV1-36 maps it to 01, and it is marked."""
    rules = TcmRules(disposition_aliases={"Home": "01", "1": "01"})
    for text in ("home", "HOME", "1"):
        verdict = assess_discharge(discharge(text), rules)
        assert verdict.eligible and "disposition_mapped" in verdict.flags


def test_against_advice_is_flagged() -> None:
    """ADT-7: 07 is eligible and flagged for the care team."""
    assert assess_discharge(discharge("07"), RULES).flags == ("left_against_advice",)


def test_nursing_facility_setting() -> None:
    """TCM-7 (CONTESTED): a site can count 04/64 nursing facility discharges, flagged."""
    rules = TcmRules(nursing_facility_eligible=True)
    verdict = assess_discharge(discharge("64"), rules)
    assert verdict.eligible and verdict.flags == ("nursing_facility",)


@pytest.mark.parametrize("patient_class, reason", [
    ("E", "emergency_visit_only"),
    ("O", "patient_class_not_qualifying:O"),
    ("P", "patient_class_not_qualifying:P"),
    ("R", "patient_class_not_qualifying:R"),
    ("", "no_patient_class"),
])
def test_from_setting_must_be_a_stay(patient_class: str, reason: str) -> None:
    """TCM-6: ED-only, outpatient, preadmit and recurring visits do not qualify."""
    assert assess_discharge(discharge(patient_class=patient_class), RULES).reason == reason


@pytest.mark.parametrize("patient_class", ["I", "B"])
def test_inpatient_and_obstetric_stays_qualify(patient_class: str) -> None:
    """TCM-6: inpatient acute stays (PV1-2 I, B) qualify."""
    assert assess_discharge(discharge(patient_class=patient_class), RULES).eligible


def test_observation_is_mapped_per_site() -> None:
    """ADT-7 / TCM-6: table 0004 has no observation; a site maps a class or PV1-10 service."""
    by_service = TcmRules(observation_services=frozenset({"OBS"}))
    for patient_class in ("O", "E"):
        verdict = assess_discharge(discharge(patient_class=patient_class,
                                             hospital_service="OBS"), by_service)
        assert verdict.eligible and "observation_stay" in verdict.flags
    by_class = TcmRules(observation_classes=frozenset({"O"}))
    assert assess_discharge(discharge(patient_class="O"), by_class).eligible
    unmapped = discharge(patient_class="O", hospital_service="OBS")
    assert not assess_discharge(unmapped, RULES).eligible


def test_death_and_missing_discharge_time() -> None:
    """ADT-5/TCM-10: a deceased patient never qualifies; ADT-2: no discharge time is reviewed."""
    assert assess_discharge(discharge(deceased=True), RULES).reason == "patient_deceased"
    no_time = assess_discharge(discharge(discharge_at=None), RULES)
    assert (no_time.reason, no_time.flags) == ("no_discharge_time", ("needs_review",))


def test_destination_codes_per_site() -> None:
    """TCM-7: a site lists the PV1-37 codes of places that do not qualify (a SNF)."""
    rules = TcmRules(ineligible_destinations=frozenset({"SNF1"}))
    verdict = assess_discharge(discharge(discharged_to="SNF1^^Maple SNF"), rules)
    assert verdict.reason == "destination_not_eligible:SNF1"
    assert assess_discharge(discharge(discharged_to="HOME"), rules).eligible


@pytest.mark.parametrize("publicity_code, protection, flags", [
    ("01", None, ("restricted:no_reminders",)),
    ("03", None, ("restricted:no_calls",)),
    ("01^No reminder/recall^HL70215", None, ("restricted:no_reminders",)),
    ("02", None, ()),
    (None, True, ("restricted:no_automated_outreach",)),
])
def test_restrictions_keep_eligibility_and_limit_outreach(publicity_code: str | None,
                                                          protection: bool | None,
                                                          flags: tuple[str, ...]) -> None:
    """ADT-5: PD1-11 01/03 and PD1-12 Y restrict outreach; the discharge still qualifies."""
    verdict = assess_discharge(discharge(publicity_code=publicity_code, protection=protection),
                               RULES)
    assert verdict.eligible and verdict.flags == flags
    assert verdict.restrictions.allows("voice", "follow_up") == (not flags or flags == (
        "restricted:no_reminders",))


def test_site_maps_publicity_code_n() -> None:
    """ADT-5: the base-table code N is mapped per site."""
    rules = TcmRules(publicity_restrictions={"N": frozenset({"no_automated_outreach"})})
    verdict = assess_discharge(discharge(publicity_code="N"), rules)
    assert verdict.eligible and not verdict.restrictions.allows("sms", "follow_up")
