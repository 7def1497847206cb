"""MSH-11: only production messages act on patients (issue: training messages never reach a
patient). Table-driven over the processing id, through the door, the engine and the dry run."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.cli.feed import Person, adt
from hub.cli.simulate import simulate
from hub.config import Settings
from hub.domain.episode.processing import NOT_PRODUCTION, processing_mode, set_apart
from hub.domain.episode.rules import TcmRules
from hub.domain.episode.transitions import apply_adt
from hub.errors import ConfigError
from hub.services.triage import triage
from tests.unit.episode_events import DISCHARGE, KEY, NOW, RULES, adt_event

NY = ZoneInfo("America/New_York")
ANA = Person("1", "DOE", "ANA", "19600101", "F", "(617) 555-0188")
DISCHARGED = datetime(2026, 11, 23, 9, 30, tzinfo=NY)


@pytest.mark.parametrize("processing_id, mode", [
    ("P", "production"), ("p", "production"), (" P ", "production"), ("P^T", "production"),
    ("P^", "production"), ("T", "training"), ("t", "training"), ("T^A", "training"),
    ("D", "debugging"), ("D^T", "debugging"), ("", "missing"), (None, "missing"),
    ("X", "unknown"), ("PROD", "unknown"), ("P^I", "initial_load"), ("P^A", "archive"),
    ("P^R", "restore"),
])
def test_processing_id_table(processing_id: str | None, mode: str) -> None:
    """MSH-11 (HL7 0103 / 0207): P with current processing is production; T, D, empty,
    unknown and the replays of history (archive, restore, initial load) are not."""
    assert processing_mode(processing_id) == mode


def event(processing_id: str, event_type: str = "A03", control_id: str = "C1",
          **extra: Any) -> dict[str, Any]:
    extra.setdefault("discharge_at", DISCHARGE)
    return {**adt_event(event_type, control_id, **extra), "processing_id": processing_id}


@pytest.mark.parametrize("processing_id", ["T", "D", "", "P^I"])
def test_a_non_production_discharge_opens_a_test_episode_that_contacts_nobody(
        processing_id: str) -> None:
    """MSH-11: the episode is recorded (the integration team sees it) under TEST|, flagged,
    and releases no text or call."""
    outcome = apply_adt(None, set_apart(event(processing_id)), now=NOW, rules=RULES)
    [episode] = outcome.record.episodes
    assert outcome.record.patient_key == f"TEST|{KEY}" and NOT_PRODUCTION in episode.flags
    assert episode.is_open and outcome.commands == []
    assert {s.reason for s in episode.plan if s.status == "skipped"} == {NOT_PRODUCTION}


def test_a_production_discharge_still_texts() -> None:
    """MSH-11: the control case: P releases the welcome text."""
    outcome = apply_adt(None, set_apart(event("P")), now=NOW, rules=RULES)
    assert outcome.record.patient_key == KEY and [c.step for c in outcome.commands] == [
        "welcome_sms"]
    [welcome] = outcome.commands  # §5: it tells the number until when the episode is open
    assert welcome.window_end == outcome.record.episodes[0].window_close


def test_a_training_readmission_never_touches_the_real_patient() -> None:
    """MSH-11: a T A01 with a real MRN reaches TEST|<key>, never the real open episode; a T
    merge's prior key is in the test namespace too."""
    training = set_apart(event("T", "A01", "C2"))
    assert training["patient"]["key"] == f"TEST|{KEY}"
    merge = set_apart({**event("T", "A40", "C3"),
                       "merge": {"prior_key": "GEN|55", "prior_identifiers": []}})
    assert merge["merge"]["prior_key"] == "TEST|GEN|55"
    assert set_apart(training) == training  # applied twice, prefixed once


@pytest.mark.parametrize("processing_id, refuse, accepted, key", [
    ("P", False, True, "GENHOSP|1"), ("P", True, True, "GENHOSP|1"),
    ("T", False, True, "TEST|GENHOSP|1"), ("D", False, True, "TEST|GENHOSP|1"),
    ("T", True, False, None), ("D^T", True, False, None),
])
def test_the_door_keys_training_apart_or_refuses_it(processing_id: str, refuse: bool,
                                                    accepted: bool, key: str | None) -> None:
    """MSH-11 / ADT-9: record mode keys a T/D message in the test namespace (same partition as
    its test episodes); refuse mode answers AR naming MSH-11."""
    raw = adt("A03", ANA, control_id="S1", at=DISCHARGED, disposition="01",
              discharge_at=DISCHARGED, processing_id=processing_id)
    decision = triage(raw, zone_for=lambda _: NY, refuse_non_production=refuse)
    assert decision.accepted is accepted
    if accepted:
        assert decision.key == key
    else:
        assert decision.error is not None
        assert (decision.error.ack_code, decision.error.location, decision.error.code) == (
            "AR", "MSH-11", "unsupported_processing_id")


def test_the_dry_run_of_a_training_feed_texts_nobody(tmp_path: Path) -> None:
    """MSH-11: hub simulate over a T feed opens the test episode and sends nothing."""
    path = tmp_path / "feed.hl7"
    path.write_bytes(adt("A03", ANA, control_id="S1", at=DISCHARGED, disposition="01",
                         discharge_at=DISCHARGED, processing_id="T"))
    actions = simulate([path], rules_for=lambda _: TcmRules(), zone_for=lambda _: NY)
    assert [a["patient"] for a in actions if a["action"] == "episode_opened"] == [
        "TEST|GENHOSP|1"]
    assert not [a for a in actions if a["action"] in ("sms", "call")]


@pytest.mark.parametrize("value, expected", [("", "record"), ("record", "record"),
                                             ("REFUSE", "refuse")])
def test_the_setting(value: str, expected: str) -> None:
    """MSH-11: HUB_NON_PRODUCTION is record (default) or refuse."""
    assert Settings.from_env({"HUB_NON_PRODUCTION": value}).non_production == expected


def test_a_wrong_setting_stops_the_start_naming_it() -> None:
    """Bad input: a wrong value is a ConfigError naming the variable."""
    with pytest.raises(ConfigError, match="HUB_NON_PRODUCTION"):
        Settings.from_env({"HUB_NON_PRODUCTION": "ignore"})

