"""Care-team actions (TCM-3, 4, 5): recorded by a person, checked against the rules, idempotent,
and billing readiness for 99495 / 99496 (TCM-2..5, 9, 10)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from hub.domain.episode.actions import RuleViolation, apply_action, validate_action
from hub.domain.episode.billing import billing_readiness
from hub.domain.episode.outreach_results import apply_outreach_event
from hub.domain.episode.record import PatientRecord
from hub.domain.episode.ticks import apply_tick
from hub.domain.episode.transitions import apply_adt
from tests.unit.episode_events import KEY, RULES, adt_event, at, opened

LATER = at("2026-12-01 12:00")


def act(record: PatientRecord, now: Any = LATER, **action: Any) -> PatientRecord:
    return apply_action(record, {"by": "rn.lee", **action}, now=now, rules=RULES).record


def test_recorded_contact_stops_the_call_and_the_escalations() -> None:
    """TCM-3: a person records the interactive contact: no call, no contact alerts after it."""
    outcome = apply_action(opened(), {"kind": "contact", "by": "rn.lee", "channel": "phone",
                                      "at": "2026-11-23T15:00:00-05:00", "note": "reviewed"},
                           now=at("2026-11-23 15:05"), rules=RULES)
    episode = outcome.record.episodes[0]
    assert episode.contact is not None and episode.contact["by"] == "rn.lee"
    assert episode.contact["on_time"] is True
    assert next(s for s in episode.plan if s.step == "bd1_call").status == "cancelled"
    tick = apply_tick(outcome.record, now=at("2026-11-26 09:00"), rules=RULES)
    assert not [a for a in tick.alerts if a.kind.startswith("contact")]


def test_contact_cancels_a_released_waiting_welcome() -> None:
    """TCM-3 / §5: the welcome ("we will call") is cancelled in outreach if still waiting."""
    outcome = apply_action(opened(), {"kind": "contact", "by": "rn.lee", "channel": "phone",
                                      "at": "2026-11-23T09:45:00-05:00"},
                           now=at("2026-11-23 10:05"), rules=RULES)
    assert [(c.step, c.action) for c in outcome.commands] == [("welcome_sms", "cancel")]


@pytest.mark.parametrize("action, code", [
    ({"kind": "visit", "at": "2026-12-23T10:00:00-05:00", "complexity": "high"},
     "visit_outside_window"),
    ({"kind": "visit", "at": "2026-11-28T10:00:00-05:00", "complexity": "low"}, "bad_complexity"),
    ({"kind": "contact", "at": "2026-11-24T11:00:00-05:00", "channel": "sms-bot"}, "bad_channel"),
    ({"kind": "contact", "at": "2026-11-23T09:00:00-05:00", "channel": "phone"},
     "before_discharge"),
    ({"kind": "contact", "at": "tomorrow", "channel": "phone"}, "bad_time"),
    ({"kind": "contact", "at": "2026-11-24T11:00:00", "channel": "phone"}, "bad_time"),
    ({"kind": "attempt", "at": "2026-11-24T11:00:00-05:00", "channel": "phone"},
     "missing_outcome"),
    ({"kind": "close"}, "missing_reason"),
    ({"kind": "dance", "at": "2026-11-24T11:00:00-05:00"}, "bad_action"),
    ({"kind": "contact", "by": "", "at": "2026-11-24T11:00:00-05:00", "channel": "phone"},
     "missing_by"),
])
def test_actions_the_rules_refuse_say_why(action: dict[str, str], code: str) -> None:
    """TCM-1/3/4: each refusal carries a specific code."""
    with pytest.raises(RuleViolation) as caught:
        act(opened(), **action)
    assert caught.value.code == code


def test_the_api_refuses_an_action_dated_in_the_future() -> None:
    """TCM-3: given the time, the API refuses a contact dated later than now (with some skew)."""
    action = {"kind": "contact", "by": "rn.lee", "channel": "phone",
              "at": "2026-12-01T12:04:00-05:00"}
    validate_action(opened(), action, now=LATER)  # inside the five-minute skew
    with pytest.raises(RuleViolation) as caught:
        validate_action(opened(), {**action, "at": "2026-12-02T11:00:00-05:00"}, now=LATER)
    assert caught.value.code == "in_the_future"


def test_second_contact_is_a_conflict() -> None:
    """TCM-3: the qualifying contact is recorded once (409), never silently replaced."""
    record = act(opened(), kind="contact", channel="phone", at="2026-11-24T11:00:00-05:00")
    with pytest.raises(RuleViolation) as caught:
        act(record, kind="contact", channel="phone", at="2026-11-25T11:00:00-05:00")
    assert (caught.value.code, caught.value.status) == ("already_recorded", 409)


@pytest.mark.parametrize("record", [None, opened(disposition="03")])
def test_no_open_episode_is_a_conflict(record: PatientRecord | None) -> None:
    """Actions need an open episode (409): no patient, or only an ineligible discharge."""
    with pytest.raises(RuleViolation) as caught:
        validate_action(record, {"kind": "contact", "by": "x", "channel": "phone",
                                 "at": "2026-11-24T11:00:00-05:00"})
    assert (caught.value.code, caught.value.status) == ("episode_not_open", 409)


def test_the_same_action_twice_is_applied_once() -> None:
    """At-least-once: an action redelivered with its action_id changes nothing the second time."""
    action = {"kind": "attempt", "by": "rn.lee", "channel": "phone", "outcome": "no answer",
              "at": "2026-11-24T11:00:00-05:00", "action_id": "a-1"}
    once = apply_action(opened(), action, now=LATER, rules=RULES)
    twice = apply_action(once.record, action, now=LATER, rules=RULES)
    assert twice.record == once.record and len(twice.record.episodes[0].attempts) == 1


def test_visit_date_only_and_documentation_after_the_close() -> None:
    """TCM-2/4: a visit given as a date; recorded after day 30 it turns expired into completed."""
    record = act(opened(), kind="contact", channel="phone", at="2026-11-24T11:00:00-05:00")
    record = act(record, now=at("2026-12-03 12:00"), kind="med_rec", at="2026-12-02")
    closed = apply_tick(record, now=at("2026-12-23 00:00"), rules=RULES).record
    assert closed.episodes[0].status == "closed_expired"
    done = act(closed, now=at("2026-12-28 09:00"), kind="visit", at="2026-12-03",
               complexity="moderate")
    episode = done.episodes[0]
    assert episode.status == "closed_completed" and episode.visit is not None
    assert episode.visit["date"] == date(2026, 12, 3)
    assert billing_readiness(episode, RULES)["supportable"] == ["99495"]


def test_close_by_the_care_team() -> None:
    """A person closes an episode with a reason; outreach stops; the reason is in the timeline."""
    outcome = apply_action(opened(), {"kind": "close", "by": "rn.lee", "reason": "moved away"},
                           now=LATER, rules=RULES)
    episode = outcome.record.episodes[0]
    assert episode.status == "closed_by_care_team"
    assert any(e.get("reason") == "moved away" for e in episode.timeline)
    assert [c.action for c in outcome.commands] == ["cancel"]


def test_contact_clears_the_urgent_reply_so_the_next_one_alerts() -> None:
    """§5: after a person spoke with the patient, a new urgent reply is a new alert."""
    def urgent(record: PatientRecord, sid: str) -> Any:
        return apply_outreach_event(record, {
            "kind": "reply", "patient_key": KEY, "episode_id": record.episodes[0].episode_id,
            "channel": "sms", "status": "received", "at": "2026-11-24T09:00:00-05:00",
            "intent": "urgent", "reply_text": "pain", "provider_sid": sid},
            now=at("2026-11-24 09:00"), rules=RULES)
    first = urgent(opened(), "SM1")
    record = act(first.record, kind="contact", channel="phone", at="2026-11-24T09:30:00-05:00")
    assert [a.kind for a in urgent(record, "SM2").alerts] == ["urgent_reply"]


# --- billing readiness -------------------------------------------------------------------------

def test_99496_needs_high_complexity_within_7_days() -> None:
    """TCM-4/5: timely contact, high-complexity visit by day 7 and med rec -> 99496 and 99495."""
    record = act(opened(), kind="contact", channel="phone", at="2026-11-24T11:00:00-05:00")
    record = act(record, kind="med_rec", at="2026-11-28T10:00:00-05:00")
    assert billing_readiness(record.episodes[0], RULES)["missing"] == ["face-to-face visit"]
    record = act(record, kind="visit", at="2026-11-28T10:00:00-05:00", complexity="high")
    readiness = billing_readiness(record.episodes[0], RULES)
    assert readiness["supportable"] == ["99496", "99495"]
    assert readiness["date_of_service"] == "2026-11-28"  # TCM-2


@pytest.mark.parametrize("visit_day, complexity, strict, codes", [
    ("2026-11-30", "high", False, ["99496", "99495"]),   # day +7
    ("2026-11-30", "high", True, ["99495"]),             # strict: +6 was the 29th
    ("2026-12-01", "high", False, ["99495"]),            # +8
    ("2026-11-26", "moderate", False, ["99495"]),        # moderate never 99496
    ("2026-12-07", "moderate", False, ["99495"]),        # +14
    ("2026-12-08", "moderate", False, []),               # +15: too late for either
])
def test_visit_deadlines(visit_day: str, complexity: str, strict: bool, codes: list[str]) -> None:
    """TCM-4 (CONTESTED day counting): which code each visit date supports."""
    rules = replace(RULES, strict_visit_days=strict)
    record = opened(rules)
    for action in ({"kind": "contact", "channel": "phone", "at": "2026-11-24T11:00:00-05:00"},
                   {"kind": "med_rec", "at": visit_day},
                   {"kind": "visit", "at": visit_day, "complexity": complexity}):
        record = apply_action(record, {"by": "dr.kim", **action}, now=at("2026-12-20 09:00"),
                              rules=rules).record
    assert billing_readiness(record.episodes[0], rules)["supportable"] == codes


def test_two_timely_attempts_by_a_person_stand_in_for_contact() -> None:
    """TCM-3: two documented timely unsuccessful attempts count; the hub's own texts do not."""
    record = opened()
    for sid in ("SM1", "SM2"):
        record = apply_outreach_event(record, {
            "kind": "send_result", "patient_key": KEY, "episode_id": record.episodes[0].episode_id,
            "command_id": f"x:{sid}", "channel": "sms", "status": "sent",
            "at": "2026-11-23T12:00:00-05:00", "provider_sid": sid}, now=LATER, rules=RULES).record
    assert "interactive contact" in billing_readiness(record.episodes[0], RULES)["missing"][0]
    for day in ("23", "24"):
        record = act(record, kind="attempt", channel="phone", outcome="no answer",
                     at=f"2026-11-{day}T15:00:00-05:00")
    readiness = billing_readiness(record.episodes[0], RULES)
    assert not any("contact" in m for m in readiness["missing"])
    assert any("attempts" in n for n in readiness["notes"])


def test_med_rec_after_the_visit_is_missing() -> None:
    """TCM-5: medication reconciliation no later than the visit date."""
    record = act(opened(), kind="contact", channel="phone", at="2026-11-24T11:00:00-05:00")
    record = act(record, kind="visit", at="2026-11-27", complexity="high")
    record = act(record, kind="med_rec", at="2026-11-28")
    assert billing_readiness(record.episodes[0], RULES)["supportable"] == []


def test_readmission_and_death_in_billing() -> None:
    """TCM-9: a readmission is noted as contested; TCM-10: death makes TCM not reportable."""
    readmitted = apply_adt(opened(), adt_event("A01", "C2", visit_number="V2"), now=LATER,
                           rules=RULES).record
    assert any("TCM-9" in n for n in billing_readiness(readmitted.episodes[0], RULES)["notes"])
    dead = apply_adt(opened(), adt_event("A08", "C2", deceased=True), now=LATER, rules=RULES)
    assert "TCM-10" in billing_readiness(dead.record.episodes[0], RULES)["missing"][0]
