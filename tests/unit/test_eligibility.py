"""Which discharges open an episode (TCM-6, TCM-7, ADT-5, ADT-7)."""

from __future__ import annotations

from typing import Any

import pytest

from hub.domain.eligibility import assess_discharge
from hub.domain.rules import TcmRules


def discharge(disposition: str | None = "01", patient_class: str = "I", deceased: bool = False,
              discharge_at: str | None = "2026-11-23T09:00:00-05:00") -> dict[str, Any]:
    return {"patient": {"deceased": deceased},
            "visit": {"patient_class": patient_class, "discharge_disposition": disposition,
                      "discharge_at": discharge_at}}


@pytest.mark.parametrize("disposition, eligible, reason", [
    ("01", True, "disposition:01"),          # home / self-care
    ("06", True, "disposition:06"),          # home health
    ("07", True, "disposition:07"),          # against advice: eligible, flagged
    ("03", False, "disposition_not_eligible:03"),   # SNF (TCM-7)
    ("02", False, "disposition_not_eligible:02"),   # another hospital
    ("50", False, "disposition_not_eligible:50"),   # hospice
    ("home", False, "unrecognized_disposition"),    # free text is not guessed
    (None, False, "no_disposition"),
])
def test_disposition_decides(disposition: str | None, eligible: bool, reason: str) -> None:
    """ADT-7 / TCM-7: default eligible 01, 06; 07 flagged; everything else not eligible."""
    verdict = assess_discharge(discharge(disposition), TcmRules())
    assert (verdict.eligible, verdict.reason) == (eligible, reason)


def test_against_advice_is_flagged() -> None:
    """ADT-7: 07 is eligible and flagged for the care team."""
    assert assess_discharge(discharge("07"), TcmRules()).flags == ("left_against_advice",)


def test_ed_only_visit_and_death_do_not_qualify() -> None:
    """TCM-6: an ED-only visit does not qualify; ADT-5/TCM-10: a deceased patient never does."""
    assert assess_discharge(discharge(patient_class="E"), TcmRules()).reason == "emergency_visit_only"
    assert assess_discharge(discharge(deceased=True), TcmRules()).reason == "patient_deceased"


def test_site_mapping_can_add_observation_class_and_custodial_care() -> None:
    """ADT-7 / TCM-6 (per site): observation class and 04 can be made eligible."""
    rules = TcmRules(qualifying_classes=frozenset({"I", "O"}),
                     eligible_dispositions=frozenset({"01", "04", "06"}))
    assert assess_discharge(discharge("04", patient_class="O"), rules).eligible
