"""Every §2 ADT event against an open and a closed episode, readmissions (TCM-9, §4), A11,
A13, A08 re-evaluation and death (TCM-10, ADT-5)."""

from __future__ import annotations

from typing import Any

import pytest

from hub.domain.episode.record import PatientRecord
from hub.domain.episode.ticks import apply_tick
from hub.domain.episode.transitions import apply_adt
from tests.unit.episode_events import DISCHARGE, MOBILE, RULES, adt_event, at, opened

NEXT_MORNING = at("2026-11-24 09:00")  # before the business-day-1 call at 10:00


def closed() -> PatientRecord:
    return apply_tick(opened(), now=at("2026-12-23 00:30"), rules=RULES).record


OPEN_CASES: list[tuple[str, dict[str, Any], list[str], list[str], str]] = [
    # event, values, alert kinds, command actions, status afterwards
    ("A01", {"visit_number": "V2"}, ["readmission"], ["cancel"], "open"),
    ("A06", {"visit_number": "V2"}, ["readmission"], ["cancel"], "open"),
    ("A04", {"patient_class": "E", "visit_number": "V3"}, ["ed_return"], [], "open"),
    ("A04", {"patient_class": "O", "visit_number": "V3"}, [], [], "open"),
    ("A11", {"visit_number": "V2"}, [], [], "open"),
    ("A13", {"visit_number": "V1"}, ["episode_voided"], ["cancel"], "voided"),
    ("A08", {"visit_number": "V1", "disposition": None}, [], [], "open"),
    ("A02", {"visit_number": "V1"}, [], [], "open"),
    ("A12", {"visit_number": "V1"}, [], [], "open"),
    ("A07", {"visit_number": "V1"}, [], [], "open"),
    ("A28", {}, [], [], "open"),
    ("A31", {}, [], [], "open"),
    ("A40", {"prior_key": "GEN|OLD"}, [], [], "open"),
]


@pytest.mark.parametrize("event_type, values, alerts, commands, status", OPEN_CASES)
def test_events_against_an_open_episode(event_type: str, values: dict[str, Any],
                                        alerts: list[str], commands: list[str],
                                        status: str) -> None:
    """§2 / TCM-9 / §4: what each ADT event does to an open episode."""
    outcome = apply_adt(opened(), adt_event(event_type, "C2", **values), now=NEXT_MORNING,
                        rules=RULES)
    assert [a.kind for a in outcome.raised] == alerts
    assert [c.action for c in outcome.commands] == commands
    assert outcome.record.episodes[0].status == status


@pytest.mark.parametrize("event_type, values", [(e, v) for e, v, *_ in OPEN_CASES])
def test_events_against_a_closed_episode_change_nothing(event_type: str,
                                                        values: dict[str, Any]) -> None:
    """§2: after day 30 no event re-opens, pauses, voids or alerts on the closed episode."""
    record = closed()
    outcome = apply_adt(record, adt_event(event_type, "C2", **values), now=at("2026-12-28 09:00"),
                        rules=RULES)
    assert outcome.alerts == [] and outcome.commands == []
    assert outcome.record.episodes == record.episodes


def test_readmission_pauses_outreach_and_a11_resumes_it() -> None:
    """TCM-9 / §2 A11: paused while readmitted; the retraction brings the call back."""
    readmitted = apply_adt(opened(), adt_event("A01", "C2", visit_number="V2"),
                           now=NEXT_MORNING, rules=RULES)
    [alert] = readmitted.alerts
    assert alert.severity == "urgent" and alert.at == NEXT_MORNING  # same day
    assert apply_tick(readmitted.record, now=at("2026-11-24 10:00"), rules=RULES).commands == []
    retracted = apply_adt(readmitted.record, adt_event("A11", "C3", visit_number="V2"),
                          now=at("2026-11-24 09:30"), rules=RULES)
    assert [a.kind for a in retracted.raised] == ["readmission_retracted"]
    episode = retracted.record.episodes[0]
    assert not episode.readmitted and episode.paused_by is None
    tick = apply_tick(retracted.record, now=at("2026-11-24 10:00"), rules=RULES)
    assert [c.step for c in tick.commands] == ["bd1_call"]
    again = apply_adt(tick.record, adt_event("A01", "C4", visit_number="V4"),
                      now=at("2026-11-26 09:00"), rules=RULES)
    assert [a.kind for a in again.raised] == ["readmission"]  # cleared, so it alerts again


def test_discharged_home_again_resumes_and_elsewhere_stays_paused() -> None:
    """TCM-8/9: a later discharge home resumes outreach; to a SNF keeps it paused and warns."""
    readmitted = apply_adt(opened(), adt_event("A01", "C2", visit_number="V2"),
                           now=NEXT_MORNING, rules=RULES).record
    home = apply_adt(readmitted, adt_event("A03", "C3", discharge_at="2026-11-27T11:00:00-05:00",
                                           visit_number="V2"), now=at("2026-11-27 11:05"),
                     rules=RULES)
    episode = home.record.episodes[0]
    assert episode.paused_by is None and episode.readmitted  # the flag stays for billing
    assert "readmission" not in episode.alerts_raised
    snf = apply_adt(readmitted, adt_event("A03", "C3", discharge_at="2026-11-27T11:00:00-05:00",
                                          visit_number="V2", disposition="03"),
                    now=at("2026-11-27 11:05"), rules=RULES)
    assert snf.record.episodes[0].paused_by == "C2"
    assert [a.kind for a in snf.raised] == ["later_discharge_not_eligible"]


def test_admission_message_for_the_discharged_visit_is_not_a_readmission() -> None:
    """TCM-9: a late A01 for the stay that was discharged is not a readmission."""
    outcome = apply_adt(opened(), adt_event("A01", "C2", visit_number="V1"), now=NEXT_MORNING,
                        rules=RULES)
    assert outcome.alerts == [] and outcome.record.episodes[0].paused_by is None


def test_ed_discharge_clears_ed_return_so_the_next_visit_warns_again() -> None:
    """§4: each ED return inside the window is an early warning."""
    first = apply_adt(opened(), adt_event("A04", "C2", patient_class="E", visit_number="E1"),
                      now=NEXT_MORNING, rules=RULES)
    home = apply_adt(first.record, adt_event("A03", "C3", patient_class="E", visit_number="E1",
                                             discharge_at="2026-11-24T13:00:00-05:00"),
                     now=at("2026-11-24 13:05"), rules=RULES)
    assert home.raised == [] and home.record.episodes[0].is_open
    [cleared] = home.cleared  # on the wire, with the id it was raised under
    assert (cleared.alert_id, cleared.reason) == (first.alerts[0].alert_id, "discharged_from_ed")
    second = apply_adt(home.record, adt_event("A04", "C4", patient_class="E", visit_number="E2"),
                       now=at("2026-11-30 13:00"), rules=RULES)
    assert [a.kind for a in second.raised] == ["ed_return"]
    # raised again after it cleared: a new alert, with a new id
    assert second.raised[0].alert_id == f"{first.alerts[0].alert_id}:2"


@pytest.mark.parametrize("event_type, values", [
    ("A08", {"deceased": True}),                                            # PID-30 = Y
    ("A08", {"disposition": "41", "visit_number": "V1"}),                   # PV1-36 expired
    ("A03", {"disposition": "20", "visit_number": "V2",
             "discharge_at": "2026-11-26T10:00:00-05:00"}),                 # died in readmission
])
def test_death_stops_outreach_and_tells_the_care_team(event_type: str,
                                                      values: dict[str, Any]) -> None:
    """TCM-10 / ADT-5: death stops everything at once (cancels) and alerts urgently."""
    outcome = apply_adt(opened(), adt_event(event_type, "C2", **values), now=NEXT_MORNING,
                        rules=RULES)
    episode = outcome.record.episodes[0]
    assert (episode.status, episode.reason) == ("closed_deceased", "patient_deceased")
    assert [a.kind for a in outcome.raised] == ["patient_deceased"]
    assert {(a.kind, a.reason) for a in outcome.cleared} == {("episode_opened", "patient_deceased")}
    assert [c.action for c in outcome.commands] == ["cancel"]
    assert {s.status for s in episode.plan} == {"cancelled"}
    assert apply_tick(outcome.record, now=at("2026-11-25 10:00"), rules=RULES).commands == []


def test_death_is_remembered_for_a_later_discharge() -> None:
    """ADT-5: a message that simply does not repeat PID-30 never undoes a death."""
    dead = apply_adt(None, adt_event("A08", "C1", deceased=True), now=NEXT_MORNING, rules=RULES)
    later = apply_adt(dead.record, adt_event("A03", "C2", discharge_at=DISCHARGE), now=NEXT_MORNING,
                      rules=RULES)
    assert later.record.episodes[0].reason == "patient_deceased" and later.commands == []


def test_a08_disposition_correction_reassesses_both_ways() -> None:
    """§2 A08: a corrected PV1-36 closes outreach (to SNF) or opens it (free text -> 01)."""
    to_snf = apply_adt(opened(), adt_event("A08", "C2", visit_number="V1", disposition="03"),
                       now=NEXT_MORNING, rules=RULES)
    assert to_snf.record.episodes[0].status == "ineligible"
    assert [a.kind for a in to_snf.raised] == ["eligibility_changed"]
    assert [c.action for c in to_snf.commands] == ["cancel"]
    unclear = opened(disposition="home")
    assert unclear.episodes[0].status == "ineligible"
    fixed = apply_adt(unclear, adt_event("A08", "C2", visit_number="V1", disposition="01",
                                         discharge_at=DISCHARGE), now=NEXT_MORNING, rules=RULES)
    assert fixed.record.episodes[0].is_open
    assert "episode_opened" in [a.kind for a in fixed.raised]


def test_a08_brings_a_phone_for_an_unreachable_patient() -> None:
    """ADT-4 / §2 A08: the skipped welcome goes once a usable number arrives."""
    record = opened(phones=[])
    outcome = apply_adt(record, adt_event("A08", "C2", phones=[MOBILE], disposition=None),
                        now=NEXT_MORNING, rules=RULES)
    assert [c.step for c in outcome.commands] == ["welcome_sms"]
    assert "no_reachable_phone" not in outcome.record.episodes[0].alerts_raised


def test_a08_no_calls_restriction_cancels_the_call() -> None:
    """ADT-5 / §2 A08: a new PD1-11 03 stops the planned call."""
    outcome = apply_adt(opened(), adt_event("A08", "C2", publicity_code="03", disposition=None),
                        now=NEXT_MORNING, rules=RULES)
    call = next(s for s in outcome.record.episodes[0].plan if s.step == "bd1_call")
    assert call.status == "cancelled" and call.reason == "restricted:no_calls"


def test_a13_of_an_attached_discharge_only_detaches_it() -> None:
    """TCM-8 / §2 A13: cancelling the later discharge keeps the episode of the first."""
    attached = apply_adt(opened(), adt_event("A03", "C2", discharge_at="2026-11-28T10:00:00-05:00",
                                             visit_number="V2"),
                         now=at("2026-11-28 10:05"), rules=RULES).record
    outcome = apply_adt(attached, adt_event("A13", "C3", visit_number="V2"),
                        now=at("2026-11-28 11:00"), rules=RULES)
    episode = outcome.record.episodes[0]
    assert episode.is_open and episode.visit_numbers == ("V1",) and outcome.commands == []


def test_a13_voids_a_recorded_ineligible_discharge_and_without_one_does_nothing() -> None:
    """§2 A13: the record of a cancelled ineligible discharge is voided; nothing else happens."""
    ineligible = opened(disposition="03")
    voided = apply_adt(ineligible, adt_event("A13", "C2", visit_number="V1"), now=NEXT_MORNING,
                       rules=RULES)
    assert voided.record.episodes[0].status == "voided" and voided.raised == []
    assert [(a.kind, a.reason) for a in voided.cleared] == [
        ("discharge_not_eligible", "episode_voided")]
    nothing = apply_adt(None, adt_event("A13", "C2"), now=NEXT_MORNING, rules=RULES)
    assert nothing.record.episodes == () and nothing.alerts == []
