"""Outreach decisions for one phone: quiet hours (MSG-3), caps (MSG-1), opt-out (MSG-2), ledger."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.messages import OutreachCommand
from hub.domain.phone.decision import Defer, SendNow, Suppress, decide
from hub.domain.phone.ledger import apply_status, mark_failed, mark_sending, mark_sent
from hub.domain.phone.policy import ContactPolicy, QuietHours

NY = ZoneInfo("America/New_York")
POLICY = ContactPolicy()


def command(step: str = "welcome_sms", *, not_before: datetime, zone: str = "America/New_York",
            body: str = "Hi. Reply STOP to opt out", action: str = "send") -> OutreachCommand:
    return OutreachCommand(f"E1:{step}", "E1", "GEN|77", step, "sms", "+16175550188", step, "en",
                           body, not_before, not_before + timedelta(days=29), zone, "GEN",
                           action)  # type: ignore[arg-type]


def test_message_due_at_2am_is_deferred_to_8am_not_dropped() -> None:
    """MSG-3: outside 08:00-21:00 local a message is deferred to the next allowed minute."""
    at = datetime(2026, 11, 23, 2, 0, tzinfo=NY)
    state, decision = decide(None, command(not_before=at), now=at, policy=POLICY)
    assert decision == Defer(datetime(2026, 11, 23, 8, 0, tzinfo=NY), "quiet_hours")
    assert state.entry("E1:welcome_sms").status == "deferred"  # type: ignore[union-attr]


def test_quiet_hours_are_in_the_patients_zone() -> None:
    """MSG-3: 10:00 in New York is 05:00 in Honolulu: deferred for a Hawaii patient."""
    at = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
    _, decision = decide(None, command(not_before=at, zone="Pacific/Honolulu"), now=at,
                         policy=POLICY)
    assert isinstance(decision, Defer)
    assert decision.until.astimezone(ZoneInfo("Pacific/Honolulu")).hour == 8


def test_second_message_the_same_day_waits_for_tomorrow() -> None:
    """MSG-1: at most one message a day per patient."""
    at = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
    state, first = decide(None, command(not_before=at), now=at, policy=POLICY)
    assert first == SendNow()
    state = mark_sent(mark_sending(state, command(not_before=at), at), "E1:welcome_sms", "SM1",
                      "queued", at)
    later = at + timedelta(hours=2)
    _, second = decide(state, command("checkin", not_before=later), now=later, policy=POLICY)
    assert second == Defer(datetime(2026, 11, 24, 8, 0, tzinfo=NY), "frequency_cap")


def test_a_command_id_is_never_sent_twice() -> None:
    """Send ledger: the same command after a send (or while sending) is a duplicate."""
    at = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
    state, _ = decide(None, command(not_before=at), now=at, policy=POLICY)
    state = mark_sending(state, command(not_before=at), at)
    _, again = decide(state, command(not_before=at), now=at, policy=POLICY)
    assert again == Suppress("duplicate")


def test_opted_out_phone_gets_nothing() -> None:
    """MSG-2 / MSG-6: after 21610 (opted out at Twilio) the phone is blocked until START."""
    at = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
    state, _ = decide(None, command(not_before=at), now=at, policy=POLICY)
    state = mark_sending(state, command(not_before=at), at)
    state, failure = mark_failed(state, "E1:welcome_sms", 21610, at)
    assert failure.final and state.opted_out
    _, decision = decide(state, command("checkin", not_before=at), now=at, policy=POLICY)
    assert decision == Suppress("opted_out")


def test_retriable_errors_back_off_and_final_ones_do_not() -> None:
    """MSG-6: 20429 retries with backoff; 21211 (invalid To) is final; 21614 suggests voice."""
    at = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
    state, _ = decide(None, command(not_before=at), now=at, policy=POLICY)
    state = mark_sending(state, command(not_before=at), at)
    _, retry = mark_failed(state, "E1:welcome_sms", 20429, at)
    assert not retry.final and retry.retry_at == at + timedelta(seconds=30)
    _, final = mark_failed(state, "E1:welcome_sms", 21211, at)
    assert final.final and final.retry_at is None
    assert mark_failed(state, "E1:welcome_sms", 21614, at)[1].voice_fallback


def test_over_long_sms_and_expired_commands_are_suppressed() -> None:
    """MSG-1: an SMS over 160 characters never goes; a command past its expiry never goes."""
    at = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
    _, long = decide(None, command(not_before=at, body="x" * 161), now=at, policy=POLICY)
    assert long == Suppress("sms_too_long")
    old = command(not_before=at - timedelta(days=40))
    assert decide(None, old, now=at, policy=POLICY)[1] == Suppress("expired")


def test_cancel_stops_a_deferred_message() -> None:
    """§2 A13: a cancel for a message waiting for allowed hours stops it for good."""
    night = datetime(2026, 11, 23, 23, 0, tzinfo=NY)
    state, _ = decide(None, command(not_before=night), now=night, policy=POLICY)
    state, _ = decide(state, command(not_before=night, action="cancel"), now=night, policy=POLICY)
    morning = night + timedelta(hours=10)
    assert decide(state, command(not_before=night), now=morning, policy=POLICY)[1] == \
        Suppress("cancelled")


def test_status_callbacks_never_move_backwards() -> None:
    """MSG-6: callbacks arrive out of order; a late 'sent' after 'delivered' is ignored."""
    at = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
    state, _ = decide(None, command(not_before=at), now=at, policy=POLICY)
    state = mark_sent(mark_sending(state, command(not_before=at), at), "E1:welcome_sms", "SM1",
                      "queued", at)
    state = apply_status(state, "SM1", "delivered", at)
    state = apply_status(state, "SM1", "sent", at)
    assert state.entry("E1:welcome_sms").status == "delivered"  # type: ignore[union-attr]


@settings(max_examples=200)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
       st.sampled_from(["America/New_York", "America/Los_Angeles", "America/Phoenix",
                        "Pacific/Honolulu"]))
def test_never_sends_outside_quiet_hours(naive: datetime, zone: str) -> None:
    """MSG-3 property: whatever the time and zone, a send is inside 08:00-21:00 local."""
    at = naive.replace(tzinfo=ZoneInfo("UTC"))
    _, decision = decide(None, command(not_before=at, zone=zone), now=at, policy=POLICY)
    when = at if isinstance(decision, SendNow) else decision.until  # type: ignore[union-attr]
    assert QuietHours().allows(when, ZoneInfo(zone))


@settings(max_examples=50)
@given(st.lists(st.integers(min_value=0, max_value=14 * 24 * 60), min_size=1, max_size=25))
def test_caps_hold_for_any_sequence(minutes: list[int]) -> None:
    """MSG-1 property: never more than 1 message a local day and 3 in 7 days."""
    start = datetime(2026, 11, 23, 0, 0, tzinfo=NY)
    state = None
    sent: list[datetime] = []
    for i, offset in enumerate(sorted(minutes)):
        now = start + timedelta(minutes=offset)
        cmd = command(f"s{i}", not_before=now)
        state, decision = decide(state, cmd, now=now, policy=POLICY)
        if decision == SendNow():
            state = mark_sent(mark_sending(state, cmd, now), cmd.command_id, f"SM{i}",
                              "queued", now)
            sent.append(now)
    days = [s.astimezone(NY).date() for s in sent]
    assert len(days) == len(set(days))
    for d in days:
        assert sum(1 for x in days if 0 <= (d - x).days < 7) <= 3
