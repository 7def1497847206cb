"""PhoneState: one phone's opt-out, ledger and send history, kept as JSON (MSG-1/2/6)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.messages import OutreachCommand
from hub.domain.phone import decision as core
from hub.domain.phone import ledger
from hub.domain.phone.policy import ContactPolicy
from hub.domain.phone.state import (
    PROVIDER_RANK,
    PROVIDER_TO_LEDGER,
    LedgerEntry,
    PhoneState,
    look_again_at,
)

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
PHONE = "+16175550188"


def command(step: str, at: datetime = AT) -> OutreachCommand:
    return OutreachCommand(f"E1:{step}", "E1", "GEN|77", step, "sms", PHONE, "checkin", "en",
                           "Hi. Reply STOP to opt out", at, at + timedelta(days=29),
                           "America/New_York", "GEN")


def through_json(state: PhoneState) -> PhoneState:
    return PhoneState.from_dict(json.loads(json.dumps(state.to_dict())))


def busy_state() -> PhoneState:
    """A phone with one entry in each interesting status."""
    policy = ContactPolicy()
    state, _ = core.decide(None, command("welcome_sms"), now=AT, policy=policy)
    state = ledger.mark_sent(ledger.mark_sending(state, "E1:welcome_sms", AT), "E1:welcome_sms",
                           "SM1", "queued", AT)
    state = ledger.apply_status(state, "SM1", "delivered", AT + timedelta(minutes=1))
    state, _ = core.decide(state, command("checkin"), now=AT, policy=policy)  # deferred (cap)
    state, _ = core.decide(state, command("gone", AT - timedelta(days=40)), now=AT, policy=policy)
    state = ledger.opt_out(state, AT, via="keyword")
    return state


def test_round_trips_through_json_exactly() -> None:
    """Table storage: to_dict/from_dict round-trip, through real JSON, and twice is stable."""
    state = busy_state()
    again = through_json(state)
    assert again == state
    assert again.to_dict() == state.to_dict()
    assert through_json(again).to_dict() == state.to_dict()


def test_datetimes_are_stored_in_utc() -> None:
    """Table storage: one canonical form for every instant (no local offsets in the JSON)."""
    data = busy_state().to_dict()
    assert data["sent_at"] == ["2026-11-23T15:00:00+00:00"]
    assert data["opted_out_at"] == "2026-11-23T15:00:00+00:00"
    assert data["ledger"]["E1:checkin"]["deferred_until"] == "2026-11-24T13:00:00+00:00"


def test_the_ledger_records_what_became_of_each_command() -> None:
    """Send ledger: status, channel, SID, attempts and the reason, per command id."""
    state = busy_state()
    sent = state.entry("E1:welcome_sms")
    assert sent is not None
    assert (sent.status, sent.provider_sid, sent.provider_status, sent.attempts, sent.command) == \
        ("delivered", "SM1", "delivered", 1, None)
    deferred = state.entry("E1:checkin")
    assert deferred is not None and deferred.status == "deferred"
    assert deferred.command == command("checkin").to_dict()  # kept to re-decide on the tick
    expired = state.entry("E1:gone")
    assert expired is not None and (expired.status, expired.reason) == ("suppressed", "expired")


def test_opt_out_state_is_kept_with_its_origin() -> None:
    """MSG-2: opted out, since when and how; a second revocation keeps the first."""
    state = busy_state()
    assert (state.opted_out, state.opted_out_via) == (True, "keyword")
    later = ledger.opt_out(state, AT + timedelta(days=1), via="voice_key")
    assert later.opted_out_at == state.opted_out_at and later.opted_out_via == "keyword"
    back = ledger.opt_in(later)
    assert (back.opted_out, back.opted_out_at, back.opted_out_via) == (False, None, None)


def test_the_opt_out_confirmation_goes_once_per_revocation() -> None:
    """MSG-2: one confirmation text; a new revocation after START may be confirmed again."""
    state = busy_state()
    state, send = ledger.confirm_opt_out(state)
    assert send
    state, send = ledger.confirm_opt_out(state)
    assert not send
    state = ledger.opt_out(ledger.opt_in(state), AT + timedelta(days=2))
    assert ledger.confirm_opt_out(state)[1]


def test_an_older_state_without_the_new_fields_still_loads() -> None:
    """Table storage: a state written before a field existed loads with that field's default."""
    old: dict[str, Any] = {"phone": PHONE, "opted_out": False, "ledger": {
        "E1:welcome_sms": {"status": "sent", "channel": "sms",
                           "updated_at": "2026-11-23T15:00:00+00:00", "provider_sid": "SM1"}},
        "sent_at": ["2026-11-23T15:00:00+00:00"]}
    state = PhoneState.from_dict(old)
    assert state.entry("E1:welcome_sms") == LedgerEntry(
        "sent", "sms", datetime(2026, 11, 23, 15, 0, tzinfo=UTC), provider_sid="SM1")


def test_caps_count_sends_in_flight() -> None:
    """MSG-1: a send whose outcome is unknown (in flight) counts, as it may have gone out."""
    state, _ = core.decide(None, command("welcome_sms"), now=AT, policy=ContactPolicy())
    state = ledger.mark_sending(state, "E1:welcome_sms", AT)
    assert state.cap_history() == [AT.astimezone(UTC)]
    assert state.sent_at == ()


def test_every_provider_status_has_a_ledger_status() -> None:
    """MSG-6: each Twilio message and call status is ranked and mapped."""
    assert set(PROVIDER_RANK) == set(PROVIDER_TO_LEDGER)
    assert len(set(PROVIDER_RANK.values())) == len(PROVIDER_RANK)  # a total order


operations = st.lists(st.tuples(
    st.sampled_from(["decide", "sending", "sent", "failed", "status", "opt_out", "opt_in",
                     "cancel"]),
    st.sampled_from(["a", "b", "c"]), st.integers(0, 60 * 24 * 3),
    st.sampled_from(["delivered", "sent", "undelivered", "read"]),
    st.sampled_from([None, 20429, 21610, 21211, 30006])), max_size=30)


@settings(max_examples=100, deadline=None)
@given(operations)
def test_any_reachable_state_round_trips(ops: list[tuple[str, str, int, str, int | None]]
                                         ) -> None:
    """Table storage property: whatever happened to the phone, its JSON loads back equal."""
    state: PhoneState | None = None
    for op, step, minutes, status, code in sorted(ops, key=lambda o: o[2]):
        now = AT + timedelta(minutes=minutes)
        cid = f"E1:{step}"
        entry = state.entry(cid) if state else None
        if op in ("decide", "cancel"):
            cmd = command(step)
            if op == "cancel":
                cmd = replace(cmd, action="cancel")
            state, _ = core.decide(state, cmd, now=now, policy=ContactPolicy())
        elif state is None or entry is None:
            continue
        elif op == "sending" and entry.status in ("planned", "deferred"):
            state = ledger.mark_sending(state, cid, now)
        elif op == "sent" and entry.status == "sending":
            state = ledger.mark_sent(state, cid, f"SM{step}", "queued", now)
        elif op == "failed" and entry.status == "sending":
            state, _ = ledger.mark_failed(state, cid, code, now, jitter=0.5)
        elif op == "status":
            state = ledger.apply_status(state, f"SM{step}", status, now, error_code=code)
        elif op == "opt_out":
            state = ledger.opt_out(state, now)
        elif op == "opt_in":
            state = ledger.opt_in(state)
    if state is not None:
        assert through_json(state) == state
        assert through_json(state).to_dict() == state.to_dict()


def test_a_stored_entry_says_when_the_stage_must_look_at_it_again() -> None:
    """MSG-3 deferred sends come back at their time; a send left in flight without a SID (a
    crash mid-call) comes back when it is to be looked up at the provider (in-doubt seconds
    after it started); a settled one never; an unreadable one says so."""
    policy = ContactPolicy(in_doubt_seconds=120)
    later = AT + timedelta(hours=13)
    deferred = LedgerEntry("deferred", "sms", AT, deferred_until=later).to_dict()
    assert look_again_at(deferred, policy) == later
    in_flight = LedgerEntry("sending", "sms", AT).to_dict()
    assert look_again_at(in_flight, policy) == AT + timedelta(seconds=120)
    answered = LedgerEntry("sending", "sms", AT, provider_sid="SM1").to_dict()
    assert look_again_at(answered, policy) is None  # the provider answered: its status comes
    assert look_again_at(LedgerEntry("sent", "sms", AT).to_dict(), policy) is None
    with pytest.raises(KeyError):
        look_again_at({"deferred_until": later.isoformat()}, policy)
