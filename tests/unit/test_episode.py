"""Opening an episode on A03 (TCM-1, 3, 4, 5, 6, 7, 8), idempotence and the stored JSON."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.episode.actions import apply_action
from hub.domain.episode.outreach_results import apply_outreach_event
from hub.domain.episode.record import PatientRecord
from hub.domain.episode.ticks import apply_tick
from hub.domain.episode.transitions import apply_adt
from tests.unit.episode_events import DISCHARGE, KEY, NOW, NY, RULES, adt_event, at, opened


def test_a03_opens_an_episode_with_every_deadline() -> None:
    """TCM-1/3/4/5: window to day 30, contact end of BD2, visits +7/+14, med rec by the visit."""
    outcome = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE, visit_number="V1"),
                        now=NOW, rules=RULES)
    episode = outcome.record.open_episode
    assert episode is not None and re.fullmatch(r"ep-[0-9a-f]{20}", episode.episode_id)
    assert (episode.discharge_date, episode.window_end) == (date(2026, 11, 23), date(2026, 12, 22))
    assert episode.contact_due.isoformat() == "2026-11-25T23:59:59.999999-05:00"
    assert episode.contact_escalation_at.isoformat() == "2026-11-25T08:00:00-05:00"
    assert (episode.visit_due_99496, episode.visit_due_99495) == (
        date(2026, 11, 30), date(2026, 12, 7))
    assert episode.med_rec_due == episode.visit_due_99496
    assert episode.visit_numbers == ("V1",) and episode.zone == "America/New_York"


def test_episode_opened_alert_and_welcome_text() -> None:
    """§5: the A03 raises episode_opened (info) and releases the welcome SMS at once."""
    outcome = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE), now=NOW, rules=RULES)
    [alert] = outcome.alerts
    episode_id = outcome.record.episodes[0].episode_id
    assert (alert.kind, alert.severity, alert.alert_id) == (
        "episode_opened", "info", f"{episode_id}:episode_opened")
    assert alert.detail["contact_due"] == "2026-11-25T23:59:59.999999-05:00"
    [welcome] = outcome.commands
    assert welcome.command_id == f"{episode_id}:welcome_sms"
    assert (welcome.to, welcome.channel, welcome.action) == ("+16175550188", "sms", "send")
    assert welcome.not_before == datetime.fromisoformat(DISCHARGE)
    assert "Ana" in welcome.body and "STOP" in welcome.body


def test_strict_day_counting_setting() -> None:
    """TCM-4 (CONTESTED): the strict reading counts the discharge date as day 1 (+6/+13)."""
    episode = opened(replace(RULES, strict_visit_days=True)).open_episode
    assert episode is not None
    assert (episode.visit_due_99496, episode.visit_due_99495) == (
        date(2026, 11, 29), date(2026, 12, 6))


def test_late_evening_discharge_is_that_local_day() -> None:
    """TCM-1 / ADT-2: a 23:30 discharge (04:30 UTC next day) belongs to the facility's date."""
    episode = opened(discharge_at="2026-11-24T04:30:00+00:00").open_episode
    assert episode is not None and episode.discharge_date == date(2026, 11, 23)


def test_replaying_the_same_event_changes_nothing() -> None:
    """ADT-1: the same (MSH-3, MSH-4, MSH-10) twice: same record, no second command or alert."""
    record = opened()
    event = adt_event("A03", "C1", discharge_at=DISCHARGE, visit_number="V1")
    again = apply_adt(record, event, now=NOW + timedelta(hours=1), rules=RULES)
    assert again.record == record and again.commands == [] and again.alerts == []


def test_a_new_control_id_for_the_same_discharge_opens_nothing_new() -> None:
    """TCM-8: a resent A03 for the same visit is the same discharge (no second welcome)."""
    outcome = apply_adt(opened(), adt_event("A03", "C9", discharge_at=DISCHARGE, visit_number="V1"),
                        now=NOW, rules=RULES)
    assert len(outcome.record.episodes) == 1 and outcome.commands == [] and outcome.alerts == []


def test_second_discharge_inside_the_window_attaches() -> None:
    """TCM-8: never two open episodes; a later A03 inside the window joins the open one."""
    outcome = apply_adt(opened(), adt_event("A03", "C2", discharge_at="2026-12-01T10:00:00-05:00",
                                            visit_number="V2"),
                        now=NOW + timedelta(days=8), rules=RULES)
    [episode] = outcome.record.episodes
    assert episode.is_open and episode.visit_numbers == ("V1", "V2")
    assert episode.timeline[-1]["what"] == "discharge_attached"
    assert not [c for c in outcome.commands if c.step == "welcome_sms"]


def test_discharge_after_the_window_opens_a_new_episode_even_without_a_tick() -> None:
    """TCM-1/8: a discharge after day 30 closes the old episode first, then opens a new one."""
    later = at("2027-01-05 09:00")
    outcome = apply_adt(opened(), adt_event("A03", "C2", discharge_at=later.isoformat(),
                                            visit_number="V2"), now=later, rules=RULES)
    first, second = outcome.record.episodes
    assert first.status == "closed_expired" and second.is_open
    assert [e for e in outcome.record.episodes if e.is_open] == [second]


@pytest.mark.parametrize("values, reason, severity", [
    ({"disposition": "03"}, "disposition_not_eligible:03", "info"),
    ({"disposition": "62"}, "disposition_not_eligible:62", "info"),
    ({"disposition": "Feeling great"}, "unrecognized_disposition", "warning"),
    ({"deceased": True}, "patient_deceased", "info"),
])
def test_ineligible_discharges_are_recorded_not_opened(values: dict[str, object], reason: str,
                                                        severity: str) -> None:
    """TCM-6/7/10: recorded with the reason, no outreach; unreadable ones are a warning."""
    outcome = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE, **values),  # type: ignore[arg-type]
                        now=NOW, rules=RULES)
    [episode] = outcome.record.episodes
    assert (episode.status, episode.reason) == ("ineligible", reason)
    [alert] = outcome.alerts
    assert (alert.kind, alert.severity, alert.detail["reason"]) == (
        "discharge_not_eligible", severity, reason)
    assert outcome.commands == []


@pytest.mark.parametrize("patient_class", ["E", "O"])
def test_ed_and_outpatient_visits_are_recorded_silently(patient_class: str) -> None:
    """TCM-6: ED-only and outpatient visits are not stays: recorded, no alert, no outreach."""
    outcome = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE,
                                        patient_class=patient_class), now=NOW, rules=RULES)
    assert outcome.record.episodes[0].status == "ineligible"
    assert outcome.alerts == [] and outcome.commands == []


def test_old_discharge_replayed_after_its_window_is_recorded_only() -> None:
    """TCM-1: a discharge whose 30 days are over (a backfill) never starts outreach."""
    outcome = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE),
                        now=NOW + timedelta(days=40), rules=RULES)
    assert outcome.record.episodes[0].reason == "window_already_over" and outcome.commands == []


def test_a03_after_a13_opens_a_fresh_episode_id() -> None:
    """§2 A13 then a new A03 the same day: a new id, so no command id collides with the voided."""
    voided = apply_adt(opened(), adt_event("A13", "C2", visit_number="V1"), now=NOW, rules=RULES)
    again = apply_adt(voided.record, adt_event("A03", "C3", discharge_at=DISCHARGE,
                                               visit_number="V1"), now=NOW, rules=RULES)
    assert [e.status for e in again.record.episodes] == ["voided", "open"]
    first, second = (e.episode_id for e in again.record.episodes)
    assert first != second and again.commands[0].command_id == f"{second}:welcome_sms"


def test_episode_ids_are_stable_opaque_and_per_patient() -> None:
    """PHI stays out of logs: the id (which command and alert ids, and so logs, carry) names
    neither the MRN nor a date, is the same on a replay, and differs for another patient even
    when a sender reuses a control id."""
    event = adt_event("A03", "C1", discharge_at=DISCHARGE)
    once = apply_adt(None, event, now=NOW, rules=RULES).record.episodes[0].episode_id
    again = apply_adt(None, event, now=NOW, rules=RULES).record.episodes[0].episode_id
    other = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE, key="GEN|78"),
                      now=NOW, rules=RULES).record.episodes[0].episode_id
    assert once == again and once != other
    assert "77" not in once and "2026" not in once


def test_no_valid_phone_raises_an_alert_instead_of_texting() -> None:
    """ADT-4: no usable number -> no commands and a no_reachable_phone alert."""
    outcome = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE, phones=[]), now=NOW,
                        rules=RULES)
    assert outcome.commands == []
    assert [a.kind for a in outcome.alerts] == ["episode_opened", "no_reachable_phone"]


def test_protected_patient_gets_no_automated_outreach() -> None:
    """ADT-5: PD1-12 = Y: the episode opens, nothing is sent, the care team is asked to call."""
    outcome = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE, protection=True),
                        now=NOW, rules=RULES)
    assert outcome.record.open_episode is not None and outcome.commands == []
    assert [a.kind for a in outcome.alerts] == ["episode_opened", "restricted_contact"]


def full_life() -> PatientRecord:
    """A record touched by every kind of input: ADT, outreach results, ticks, actions."""
    record = opened()
    for event_type, control_id, moment in (("A01", "C2", "2026-11-24 09:00"),
                                           ("A11", "C3", "2026-11-24 09:05")):
        record = apply_adt(record, adt_event(event_type, control_id, visit_number="V2"),
                           now=at(moment), rules=RULES).record
    episode_id = record.episodes[0].episode_id
    record = apply_outreach_event(record, {
        "kind": "send_result", "patient_key": KEY, "episode_id": episode_id,
        "command_id": f"{episode_id}:welcome_sms", "channel": "sms", "status": "sent",
        "at": NOW.isoformat(), "reason": None, "provider_sid": "SM1", "error_code": None},
        now=NOW, rules=RULES).record
    record = apply_tick(record, now=at("2026-11-25 08:00"), rules=RULES).record
    return apply_action(record, {"kind": "contact", "by": "rn.lee", "channel": "phone",
                                 "at": "2026-11-25T09:00:00-05:00", "note": "call"},
                        now=at("2026-11-25 09:05"), rules=RULES).record


def test_record_round_trips_through_json() -> None:
    """Table state: a PatientRecord survives JSON exactly (the changelog stores JSON)."""
    record = full_life()
    assert record.episodes[0].readmissions and record.episodes[0].contact
    assert PatientRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record


@settings(max_examples=40, deadline=None)
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31),
                    timezones=st.just(NY), allow_imaginary=False),
       st.sampled_from(["01", "03", "07", "home"]), st.booleans())
def test_any_discharge_round_trips_and_replays_idempotently(discharged: datetime,
                                                            disposition: str,
                                                            spanish: bool) -> None:
    """ADT-1 / table state property: JSON round trip is exact and a replay is a no-op."""
    event = adt_event("A03", "C1", discharge_at=discharged.isoformat(), disposition=disposition,
                      language="es" if spanish else "en")
    first = apply_adt(None, event, now=discharged + timedelta(minutes=5), rules=RULES)
    stored = json.loads(json.dumps(first.record.to_dict()))
    assert PatientRecord.from_dict(stored) == first.record
    again = apply_adt(PatientRecord.from_dict(stored), event,
                      now=discharged + timedelta(minutes=9), rules=RULES)
    assert again.record == first.record and again.commands == [] and again.alerts == []
