"""The TCM state machine (TCM-1..10, §2 events, §4, §5): pure, fixed times, idempotent."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.domain.episode import PatientRecord
from hub.domain.rules import TcmRules
from hub.domain.transitions import apply_adt, apply_outreach_event, apply_tick, next_due
from tests.unit.episode_events import KEY, adt_event

NY = ZoneInfo("America/New_York")
RULES = TcmRules(practice_name="Riverside Primary Care", callback_number="+16175550100")
DISCHARGE = "2026-11-23T09:30:00-05:00"  # a Monday
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=NY)


def opened() -> PatientRecord:
    return apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE), now=NOW,
                     rules=RULES).record


def test_a03_opens_an_episode_with_every_deadline() -> None:
    """TCM-1/3/4/5: window day 1 + 29, contact end of BD2, visits +7/+14, med rec with the visit."""
    outcome = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE), now=NOW, rules=RULES)
    episode = outcome.record.open_episode
    assert episode is not None
    assert episode.window_end == "2026-12-22"
    assert datetime.fromisoformat(episode.contact_due).date().isoformat() == "2026-11-25"
    assert (episode.visit_due_99496, episode.visit_due_99495) == ("2026-11-30", "2026-12-07")
    assert episode.med_rec_due == episode.visit_due_99496
    assert [a.kind for a in outcome.alerts] == ["episode_opened"]
    [welcome] = outcome.commands
    assert welcome.command_id == f"{episode.episode_id}:welcome_sms" and welcome.to == "+16175550188"


def test_strict_day_counting_setting() -> None:
    """TCM-4 (CONTESTED): the strict reading counts the discharge date as day 1 (+6/+13)."""
    rules = TcmRules(strict_visit_days=True)
    episode = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE), now=NOW,
                        rules=rules).record.open_episode
    assert episode is not None
    assert (episode.visit_due_99496, episode.visit_due_99495) == ("2026-11-29", "2026-12-06")


def test_replaying_the_same_event_changes_nothing() -> None:
    """At-least-once: the same ADT twice gives the same record and no second command or alert."""
    record = opened()
    again = apply_adt(record, adt_event("A03", "C1", discharge_at=DISCHARGE), now=NOW, rules=RULES)
    assert again.record == record and again.commands == [] and again.alerts == []


def test_second_discharge_inside_the_window_attaches() -> None:
    """TCM-8: never two open episodes; a later A03 inside the window joins the open one."""
    outcome = apply_adt(opened(), adt_event("A03", "C2", discharge_at="2026-12-01T10:00:00-05:00"),
                        now=NOW + timedelta(days=8), rules=RULES)
    assert len(outcome.record.episodes) == 1 and outcome.commands == []
    assert outcome.record.episodes[0].timeline[-1]["what"] == "discharge_attached"


def test_discharge_to_snf_is_recorded_not_opened() -> None:
    """TCM-7: a SNF discharge is recorded with its reason and no outreach."""
    outcome = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE, disposition="03"),
                        now=NOW, rules=RULES)
    assert outcome.record.open_episode is None and outcome.commands == []
    assert outcome.record.episodes[0].reason == "disposition_not_eligible:03"
    assert [a.kind for a in outcome.alerts] == ["discharge_not_eligible"]


def test_a13_voids_and_cancels_released_messages() -> None:
    """§2 A13: the episode is voided and every pending message is cancelled."""
    outcome = apply_adt(opened(), adt_event("A13", "C2"), now=NOW, rules=RULES)
    assert outcome.record.open_episode is None
    assert outcome.record.episodes[0].status == "voided"
    assert [c.action for c in outcome.commands] == ["cancel"]
    assert {s.status for s in outcome.record.episodes[0].plan} == {"cancelled"}


@pytest.mark.parametrize("event_type", ["A01", "A06"])
def test_readmission_inside_the_window_escalates_the_same_day(event_type: str) -> None:
    """TCM-9 / §4: A01/A06 inside an open episode -> urgent alert, outreach paused."""
    outcome = apply_adt(opened(), adt_event(event_type, "C2"), now=NOW + timedelta(days=3),
                        rules=RULES)
    [alert] = outcome.alerts
    assert alert.kind == "readmission" and alert.severity == "urgent"
    assert alert.at.date() == (NOW + timedelta(days=3)).date()
    tick = apply_tick(outcome.record, now=NOW + timedelta(days=4), rules=RULES)
    assert tick.commands == []  # paused: nothing more is released


def test_admit_without_an_open_episode_does_nothing() -> None:
    """§2 A01 outside any episode is not a readmission."""
    outcome = apply_adt(None, adt_event("A01", "C1"), now=NOW, rules=RULES)
    assert outcome.alerts == [] and outcome.commands == []


def test_ed_visit_inside_the_episode_is_an_early_warning() -> None:
    """§4: A04 with PV1-2 = E inside an episode -> ed_return alert."""
    outcome = apply_adt(opened(), adt_event("A04", "C2", patient_class="E"), now=NOW, rules=RULES)
    assert [a.kind for a in outcome.alerts] == ["ed_return"]


def test_death_stops_outreach_and_tells_the_care_team() -> None:
    """TCM-10 / ADT-5: an A08 with the death indicator stops everything at once."""
    outcome = apply_adt(opened(), adt_event("A08", "C2", deceased=True), now=NOW, rules=RULES)
    assert outcome.record.open_episode is None
    assert [a.kind for a in outcome.alerts] == ["patient_deceased"]
    assert [c.action for c in outcome.commands] == ["cancel"]


def test_no_valid_phone_raises_an_alert_instead_of_texting() -> None:
    """ADT-4: no usable number -> no commands and a no_reachable_phone alert."""
    outcome = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE, phones=[]), now=NOW,
                        rules=RULES)
    assert outcome.commands == []
    assert {a.kind for a in outcome.alerts} == {"episode_opened", "no_reachable_phone"}


def test_no_reminder_publicity_code_plans_no_reminders() -> None:
    """ADT-5: PD1-11 01 (no reminders) leaves only the welcome text and the call."""
    record = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE, publicity_code="01"),
                       now=NOW, rules=RULES).record
    assert record.open_episode is not None
    assert [s.step for s in record.open_episode.plan] == ["welcome_sms", "bd1_call"]


def test_ticks_escalate_before_and_after_the_contact_deadline() -> None:
    """TCM-3 / §5: start of business day 2 -> contact_due_today; deadline passed -> contact_missed."""
    record = opened()
    day2 = apply_tick(record, now=datetime(2026, 11, 25, 8, 0, tzinfo=NY), rules=RULES)
    assert "contact_due_today" in [a.kind for a in day2.alerts]
    missed = apply_tick(day2.record, now=datetime(2026, 11, 26, 0, 1, tzinfo=NY), rules=RULES)
    assert [a.kind for a in missed.alerts] == ["contact_missed"]
    again = apply_tick(missed.record, now=datetime(2026, 11, 26, 9, 0, tzinfo=NY), rules=RULES)
    assert again.alerts == []  # one alert per (episode, kind)


def test_ticks_release_the_business_day_1_call() -> None:
    """§5: the call goes on business day 1 when nobody replied."""
    tick = apply_tick(opened(), now=datetime(2026, 11, 24, 10, 0, tzinfo=NY), rules=RULES)
    assert [c.step for c in tick.commands] == ["bd1_call"] and tick.commands[0].channel == "voice"


def test_a_reply_skips_the_call_and_an_urgent_reply_escalates() -> None:
    """§5: a reply makes the BD1 call unnecessary; '1'/urgent words raise urgent_reply."""
    record = opened()
    reply = {"kind": "reply", "patient_key": KEY, "episode_id": record.open_episode.episode_id,  # type: ignore[union-attr]
             "channel": "sms", "status": "received", "intent": "urgent", "reply_text": "1",
             "at": NOW.isoformat()}
    outcome = apply_outreach_event(record, reply, now=NOW, rules=RULES)
    assert [a.kind for a in outcome.alerts] == ["urgent_reply"]
    tick = apply_tick(outcome.record, now=datetime(2026, 11, 24, 10, 0, tzinfo=NY), rules=RULES)
    assert tick.commands == []
    # the skipped call is done with: the next due moment moves past it
    assert next_due(tick.record) > datetime(2026, 11, 24, 10, 0, tzinfo=NY)  # type: ignore[operator]


def test_window_end_closes_the_episode_as_expired_without_evidence() -> None:
    """TCM-1: after day 30 the episode closes; without contact and visit it is expired."""
    tick = apply_tick(opened(), now=datetime(2026, 12, 23, 0, 30, tzinfo=NY), rules=RULES)
    assert tick.record.episodes[0].status == "closed_expired"
    assert next_due(tick.record) is None


def test_next_due_is_the_earliest_pending_moment() -> None:
    """The due index gets the next moment a tick is needed (the BD1 call here)."""
    assert next_due(opened()) == datetime(2026, 11, 24, 10, 0, tzinfo=NY)


def test_record_round_trips_through_json() -> None:
    """Table state: PatientRecord survives JSON exactly (the changelog stores JSON)."""
    record = apply_tick(opened(), now=datetime(2026, 11, 25, 8, 0, tzinfo=NY), rules=RULES).record
    assert PatientRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
