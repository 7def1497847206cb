"""No channel left, a person knows (MSG-6, §5, TCM-3): a number that cannot take texts gets the
call instead; a patient unreachable on every channel raises an alert with the attempts."""

from __future__ import annotations

from typing import Any

import pytest

from hub.domain.episode.outreach_results import apply_outreach_event
from hub.domain.episode.record import PatientRecord
from hub.domain.episode.ticks import apply_tick
from hub.domain.episode.transitions import Outcome
from tests.unit.episode_events import KEY, RULES, at, opened

PHONE = "+16175550188"


def result(record: PatientRecord, step: str, status: str, code: int | None, when: str,
           channel: str = "sms", kind: str = "send_result") -> Outcome:
    episode = record.episodes[0]
    return apply_outreach_event(record, {
        "kind": kind, "patient_key": KEY, "episode_id": episode.episode_id,
        "command_id": f"{episode.episode_id}:{step}", "channel": channel, "status": status,
        "at": at(when).isoformat(), "error_code": code, "reason": f"code_{code}",
        "provider_sid": None}, now=at(when), rules=RULES)


def commands(outcome: Outcome) -> list[tuple[str, str, str]]:
    return [(c.step, c.channel, c.action) for c in outcome.commands]


@pytest.mark.parametrize("code, kind", [(21614, "send_result"), (30006, "status"),
                                        (30003, "status")])
def test_a_text_the_number_cannot_take_becomes_a_call(code: int, kind: str) -> None:
    """MSG-6: 21614 (not SMS-capable) at once, or 30006/30003 in a status callback: the welcome
    text goes as a call now, with the check-in script, to the same number."""
    status = "failed" if kind == "send_result" else "undelivered"
    outcome = result(opened(), "welcome_sms", status, code, "2026-11-23 10:01", kind=kind)
    assert commands(outcome) == [("welcome_sms:voice", "voice", "send")]
    [call] = outcome.commands
    assert call.to == PHONE and call.template == "voice_call" and call.body.startswith("Hello")
    assert outcome.record.episodes[0].no_texts == (PHONE,)


def test_a_redelivered_failure_never_calls_twice() -> None:
    """MSG-6: the same failure applied again plans no second call."""
    first = result(opened(), "welcome_sms", "failed", 21614, "2026-11-23 10:01")
    again = result(first.record, "welcome_sms", "failed", 21614, "2026-11-23 10:01")
    later = result(first.record, "welcome_sms", "undelivered", 21614, "2026-11-23 10:05",
                   kind="status")
    assert commands(again) == [] and commands(later) == []


def test_later_texts_to_a_landline_go_as_calls() -> None:
    """§5 / MSG-6: after 21614 the day-3 reminder is placed as a call, not a text."""
    record = result(opened(), "welcome_sms", "failed", 21614, "2026-11-23 10:01").record
    channels: dict[str, str] = {}
    for day in ("2026-11-24 10:00", "2026-11-26 10:00", "2026-11-27 10:00"):
        outcome = apply_tick(record, now=at(day), rules=RULES)
        record = outcome.record
        channels.update({c.step: c.channel for c in outcome.commands})
    assert channels and set(channels.values()) == {"voice"}, channels


@pytest.mark.parametrize("events", [
    [("welcome_sms", "failed", 21211, "sms")],  # an invalid number takes nothing
    [("welcome_sms", "failed", 21612, "sms")],  # unroutable
    [("welcome_sms", "failed", 21614, "sms"), ("welcome_sms:voice", "failed", 13224, "voice")],
])
def test_a_patient_unreachable_on_every_channel_is_put_in_front_of_a_person(
        events: list[tuple[str, str, int, str]]) -> None:
    """MSG-6 / TCM-3: no channel left on the number: an urgent patient_unreachable alert
    listing the attempts (no number, no text), and nothing more is released to it."""
    record, alerts = opened(), []
    for minute, (step, status, code, channel) in enumerate(events, 1):
        outcome = result(record, step, status, code, f"2026-11-23 10:0{minute}", channel)
        record, alerts = outcome.record, alerts + outcome.alerts
    [alert] = [a for a in alerts if a.kind == "patient_unreachable"]
    assert alert.severity == "urgent"
    attempts: list[dict[str, Any]] = alert.detail["attempts"]
    assert [a["channel"] for a in attempts] == [e[3] for e in events]
    assert PHONE not in str(alert.detail)
    tick = apply_tick(record, now=at("2026-11-24 10:00"), rules=RULES)
    assert tick.commands == []
    assert {s.reason for s in tick.record.episodes[0].plan if s.status == "skipped"} >= {
        "unreachable"}


@pytest.mark.parametrize("status, code, channel", [
    ("failed", 20429, "sms"), ("failed", None, "sms"), ("undelivered", 30007, "sms"),
    ("busy", None, "voice"), ("no-answer", None, "voice"), ("delivered", None, "sms"),
])
def test_other_outcomes_change_no_channel(status: str, code: int | None, channel: str) -> None:
    """MSG-6: a rate limit, a carrier filter, a busy line or no answer says nothing about
    whether the number takes texts or calls."""
    step = "welcome_sms" if channel == "sms" else "bd1_call"
    outcome = result(opened(), step, status, code, "2026-11-23 10:01", channel)
    episode = outcome.record.episodes[0]
    assert (episode.no_texts, episode.no_calls, commands(outcome)) == ((), (), [])


def test_a_text_a_landline_never_received_no_longer_counts_for_the_caps() -> None:
    """MSG-1 / MSG-6: "undelivered, 30006" reached nobody: the day's cap is free again for the
    call that replaces it; an ordinary undelivered text (30007, a filter) still counts."""
    from hub.domain.phone import decision as core
    from hub.domain.phone import ledger
    from hub.domain.phone.policy import ContactPolicy
    from tests.unit.test_inbound_core import command

    def undelivered(code: int) -> int:
        text = command("E1", KEY)
        now = at("2026-11-23 10:00")
        state, _ = core.decide(None, text, now=now, policy=ContactPolicy())
        state = ledger.mark_sent(ledger.mark_sending(state, text, now), text.command_id, "SM1",
                               "queued", now)
        state = ledger.apply_status(state, "SM1", "undelivered", now, error_code=code)
        state = ledger.apply_status(state, "SM1", "undelivered", now, error_code=code)  # again
        return len(state.cap_history())

    assert (undelivered(30006), undelivered(30007)) == (0, 1)


def test_a_redelivered_command_never_rewrites_a_sent_attempt() -> None:
    """TCM-3 / MSG-6: the ledger's 'suppressed: duplicate' for a redelivered command leaves
    the attempt log saying sent."""
    record = opened()
    episode = record.episodes[0]

    def send_result(status: str, reason: str | None, when: str) -> PatientRecord:
        return apply_outreach_event(record, {
            "kind": "send_result", "patient_key": KEY, "episode_id": episode.episode_id,
            "command_id": f"{episode.episode_id}:welcome_sms", "channel": "sms",
            "status": status, "at": at(when).isoformat(), "reason": reason,
            "provider_sid": "SM1" if status == "sent" else None}, now=at(when),
            rules=RULES).record

    record = send_result("sent", None, "2026-11-23 10:00")
    record = send_result("suppressed", "duplicate", "2026-11-23 10:05")
    [attempt] = record.episodes[0].attempts
    assert attempt["outcome"] == "sent" and attempt["at"] == at("2026-11-23 10:00")



def test_settled_ledger_entries_are_forgotten_after_the_retention() -> None:
    """Bounded state (issue 9): a sent text 91 days old is dropped at the next decision; a
    deferred one is kept whatever its age; a retention under 31 days is refused."""
    from dataclasses import replace
    from datetime import timedelta

    from hub.domain.phone import decision as core
    from hub.domain.phone.policy import ContactPolicy
    from hub.errors import ConfigError
    from tests.unit.test_inbound_core import command, texted

    start = at("2026-11-23 10:00")
    later = start + timedelta(days=91)
    state = texted(command("E1", KEY))
    waiting = replace(command("E2", KEY, "checkin"), not_before=start + timedelta(days=200),
                      expires_at=start + timedelta(days=229))
    state, _ = core.decide(state, waiting, now=start, policy=ContactPolicy())  # deferred
    late = replace(command("E9", KEY), not_before=later, expires_at=later + timedelta(days=29))
    kept, _ = core.decide(state, late, now=later, policy=ContactPolicy())
    assert set(kept.ledger) == {"E2:checkin", "E9:welcome_sms"}
    fresh, _ = core.decide(state, late, now=start + timedelta(days=1), policy=ContactPolicy())
    assert "E1:welcome_sms" in fresh.ledger
    with pytest.raises(ConfigError):
        ContactPolicy(ledger_retention_days=30)
