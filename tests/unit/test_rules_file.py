"""HUB_FACILITY_RULES: per-facility overrides of the contested rules (TCM-7, ADT-5, ADT-6,
ADT-7, §5) from a JSON file, checked at start-up."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path

import pytest

from hub.config import Settings
from hub.domain.episode.eligibility import assess_discharge
from hub.domain.episode.restrictions import restrictions_for
from hub.domain.episode.rules import rules_for_settings
from hub.errors import ConfigError

RULES = {"*": {"caregiver_fallback": True},
         "GENHOSP": {"nursing_facility_eligible": True, "disposition_aliases": {"home": "01"},
                     "publicity_restrictions": {"n": ["no_calls"]},
                     "schedule": {"call_at": "11:30", "checkin_days": [7, 14]}}}


def settings_with(tmp_path: Path, rules: object) -> Settings:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    return Settings.from_env({"HUB_FACILITY_RULES": str(path)})


def discharge(disposition: str) -> dict[str, object]:
    return {"patient": {"deceased": False}, "visit": {
        "patient_class": "I", "discharge_disposition": disposition, "discharged_to": None,
        "hospital_service": None, "discharge_at": "2026-11-23T09:30:00-05:00"}}


def test_a_facility_gets_its_overrides_on_top_of_the_defaults_for_all(tmp_path: Path) -> None:
    """TCM-7 CONTESTED (04/64 per site), a site's alias for PV1-36, its PD1-11 code N, its
    call time; '*' reaches every facility, the rest stays at the documented defaults."""
    rules_for = rules_for_settings(settings_with(tmp_path, RULES))
    genhosp, other = rules_for("GENHOSP"), rules_for("OTHER")
    assert assess_discharge(discharge("04"), genhosp).eligible
    assert not assess_discharge(discharge("04"), other).eligible
    assert assess_discharge(discharge("home"), genhosp).eligible
    assert restrictions_for("N", None, genhosp).no_calls
    assert not restrictions_for("N", None, other).no_calls
    assert genhosp.schedule.call_at == time(11, 30) and genhosp.schedule.checkin_days == (7, 14)
    assert genhosp.caregiver_fallback and other.caregiver_fallback


@pytest.mark.parametrize("rules, named", [
    ({"GENHOSP": {"nursing_facility_elegible": True}}, "nursing_facility_elegible"),
    ({"GENHOSP": {"nursing_facility_eligible": "yes"}}, "true or false"),
    ({"GENHOSP": {"zone": "America/Chicago"}}, "own variable"),
    ({"GENHOSP": {"publicity_restrictions": {"01": ["no_texts"]}}}, "no_texts"),
    ({"GENHOSP": {"schedule": {"call_at": 10}}}, "HH:MM"),
    (["GENHOSP"], "an object"),
])
def test_a_mistake_in_the_file_stops_the_start_with_the_setting_named(
        tmp_path: Path, rules: object, named: str) -> None:
    """A typo must fail the deployment, not leave a default quietly in place."""
    with pytest.raises(ConfigError, match=named):
        settings_with(tmp_path, rules)


def test_a_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    """HUB_FACILITY_RULES names a file that is not there: refused at start-up."""
    with pytest.raises(ConfigError, match="HUB_FACILITY_RULES"):
        Settings.from_env({"HUB_FACILITY_RULES": str(tmp_path / "absent.json")})


def test_a_death_sent_as_a_site_alias_stops_the_episode(tmp_path: Path) -> None:
    """ADT-5/TCM-10: a site that writes 'expired' in PV1-36 (mapped to 20 in its rules) on an
    A08 has the episode stopped and the care team told, like a coded 20."""
    from hub.domain.episode.transitions import apply_adt
    from tests.unit.episode_events import DISCHARGE, NOW, adt_event

    rules = rules_for_settings(settings_with(
        tmp_path, {"GEN": {"disposition_aliases": {"expired": "20"}}}))("GEN")
    opened = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE), now=NOW,
                       rules=rules).record
    died = apply_adt(opened, adt_event("A08", "C2", disposition="expired",
                                       discharge_at=DISCHARGE), now=NOW, rules=rules)
    assert died.record.episodes[0].status == "closed_deceased"
    assert "patient_deceased" in [a.kind for a in died.alerts]
