"""Ticks (§5): releasing due steps, contact escalations (TCM-3), the day-30 close (TCM-1), replies
that stop the call, and ``next_due`` for the due-work index."""

from __future__ import annotations

from datetime import timedelta

from hub.domain.episode.actions import apply_action
from hub.domain.episode.outreach_results import apply_outreach_event
from hub.domain.episode.ticks import apply_tick, next_due
from hub.domain.episode.transitions import apply_adt
from tests.unit.episode_events import KEY, RULES, adt_event, at, opened


def reply(record, intent: str, text: str):  # type: ignore[no-untyped-def]
    return apply_outreach_event(record, {
        "kind": "reply", "patient_key": KEY, "episode_id": record.episodes[0].episode_id,
        "command_id": None, "channel": "sms", "status": "received",
        "at": "2026-11-23T11:00:00-05:00",
        "intent": intent, "reply_text": text, "provider_sid": f"SM-{text}"},
        now=at("2026-11-23 11:00"), rules=RULES)


def test_ticks_release_the_business_day_1_call_once() -> None:
    """§5: the call is released at 10:00 on business day 1, and only once."""
    record = opened()
    assert apply_tick(record, now=at("2026-11-24 09:59"), rules=RULES).commands == []
    tick = apply_tick(record, now=at("2026-11-24 10:00"), rules=RULES)
    [call] = tick.commands
    assert (call.step, call.channel, call.command_id) == (
        "bd1_call", "voice", f"{record.episodes[0].episode_id}:bd1_call")
    assert apply_tick(tick.record, now=at("2026-11-24 10:01"), rules=RULES).commands == []


def test_contact_escalations_before_and_after_the_deadline() -> None:
    """TCM-3 / §5: start of business day 2 -> contact_due_today; passed -> contact_missed."""
    day2 = apply_tick(opened(), now=at("2026-11-25 08:00"), rules=RULES)
    [due_today] = [a for a in day2.alerts if a.kind == "contact_due_today"]
    assert due_today.severity == "warning"
    still = apply_tick(day2.record, now=at("2026-11-25 23:59"), rules=RULES)
    assert [a.kind for a in still.raised] == []
    missed = apply_tick(still.record, now=at("2026-11-26 00:00"), rules=RULES)
    [alert] = missed.alerts
    assert (alert.kind, alert.severity) == ("contact_missed", "urgent")
    assert [a["by"] for a in alert.detail["attempts"]] == []
    again = apply_tick(missed.record, now=at("2026-11-26 09:00"), rules=RULES)
    assert again.alerts == []  # one alert per (episode, kind)


def test_missed_lists_the_attempts() -> None:
    """TCM-3: the contact_missed alert lists every attempt (time, channel, outcome, by whom)."""
    record = apply_action(opened(), {"kind": "attempt", "by": "rn.lee", "channel": "phone",
                                     "outcome": "no answer", "at": "2026-11-24T15:00:00-05:00"},
                          now=at("2026-11-24 15:05"), rules=RULES).record
    missed = apply_tick(record, now=at("2026-11-26 00:00"), rules=RULES)
    [alert] = [a for a in missed.alerts if a.kind == "contact_missed"]
    assert alert.detail["attempts"] == [{"at": "2026-11-24T15:00:00-05:00", "channel": "phone",
                                         "outcome": "no answer", "by": "rn.lee"}]


def test_a_late_tick_raises_only_the_missed_alert() -> None:
    """TCM-3: a worker down over day 2 does not send a stale "due today" after the deadline."""
    tick = apply_tick(opened(), now=at("2026-11-27 09:00"), rules=RULES)
    assert [a.kind for a in tick.raised] == ["contact_missed"]


def test_a_reply_skips_the_call_and_an_urgent_reply_escalates() -> None:
    """§5: a reply makes the call unnecessary; '1' / urgent words raise urgent_reply with text."""
    outcome = reply(opened(), "urgent", "1")
    [alert] = outcome.alerts
    assert (alert.kind, alert.severity) == ("urgent_reply", "urgent")
    assert alert.detail["reply_text"] == "1"
    call = next(s for s in outcome.record.episodes[0].plan if s.step == "bd1_call")
    assert (call.status, call.reason) == ("cancelled", "reply")
    assert apply_tick(outcome.record, now=at("2026-11-24 10:00"), rules=RULES).commands == []


def test_doing_well_is_logged_not_the_contact() -> None:
    """TCM-3 / §5: "2" is a patient response, not the qualifying contact: escalations go on."""
    outcome = reply(opened(), "doing_well", "2")
    assert outcome.alerts == [] and outcome.record.episodes[0].contact is None
    tick = apply_tick(outcome.record, now=at("2026-11-25 08:00"), rules=RULES)
    assert "contact_due_today" in [a.kind for a in tick.raised]


def test_unclassified_and_opt_out_replies_go_to_the_care_team() -> None:
    """§5 / MSG-2: anything else is routed as unclassified; an opt-out is told, with the
    patient's words ("Stop. Who is this?" may be a wrong number a person should fix)."""
    assert [a.kind for a in reply(opened(), "unclassified", "who is this").alerts] == [
        "unclassified_reply"]
    [opt_out] = reply(opened(), "opt_out", "stop texting me").alerts
    assert opt_out.kind == "patient_opted_out"
    assert opt_out.detail["reply_text"] == "stop texting me"


def test_window_end_closes_expired_without_evidence() -> None:
    """TCM-1: after day 30 the episode closes; without the evidence it is expired, and why."""
    record = opened()
    assert apply_tick(record, now=at("2026-12-22 23:59"), rules=RULES).record.open_episode
    tick = apply_tick(record, now=at("2026-12-23 00:00"), rules=RULES)
    episode = tick.record.episodes[0]
    assert episode.status == "closed_expired"
    [alert] = [a for a in tick.alerts if a.kind == "episode_closed"]
    assert "face-to-face visit" in alert.detail["missing"]
    assert episode.timeline[-1]["what"] == "closed" and next_due(tick.record) is None


def test_window_end_closes_completed_with_evidence() -> None:
    """TCM-1..5: contact, visit and med rec in time -> closed completed with the codes."""
    record = opened()
    for action in (
            {"kind": "contact", "channel": "phone", "at": "2026-11-24T11:00:00-05:00"},
            {"kind": "med_rec", "at": "2026-11-27T10:00:00-05:00"},
            {"kind": "visit", "complexity": "high", "at": "2026-11-27T10:00:00-05:00"}):
        record = apply_action(record, {"by": "dr.kim", **action}, now=at("2026-11-27 12:00"),
                              rules=RULES).record
    tick = apply_tick(record, now=at("2026-12-23 00:00"), rules=RULES)
    assert tick.record.episodes[0].status == "closed_completed"
    [alert] = tick.raised
    assert alert.detail["supportable"] == ["99496", "99495"]
    assert {(a.kind, a.reason) for a in tick.cleared} == {
        ("episode_opened", "episode_closed_completed")}


def test_next_due_walks_through_the_plan() -> None:
    """The due index gets the next moment a tick is needed, then the next, then None."""
    record = opened()
    assert next_due(record) == at("2026-11-24 10:00")  # the call
    record = apply_tick(record, now=at("2026-11-24 10:00"), rules=RULES).record
    assert next_due(record) == at("2026-11-25 08:00")  # contact due today
    record = apply_tick(record, now=at("2026-11-25 08:00"), rules=RULES).record
    assert next_due(record) == at("2026-11-25 23:59:59.999999") + timedelta(microseconds=1)


def test_next_due_skips_paused_steps_but_keeps_escalations() -> None:
    """TCM-9: while readmitted, no step is due; the deadline and the close still are."""
    record = apply_adt(opened(), adt_event("A01", "C2", visit_number="V2"),
                       now=at("2026-11-23 12:00"), rules=RULES).record
    assert next_due(record) == at("2026-11-25 08:00")


def test_every_tick_is_idempotent() -> None:
    """At-least-once: the same tick twice adds no command and no alert."""
    first = apply_tick(opened(), now=at("2026-11-25 08:00"), rules=RULES)
    second = apply_tick(first.record, now=at("2026-11-25 08:00"), rules=RULES)
    assert second.record == first.record and second.commands == [] and second.alerts == []
