"""The outreach decisions for one phone: hours (MSG-3), caps and size (MSG-1), opt-out (MSG-2),
the send ledger and Twilio's errors and statuses (MSG-6)."""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain import provider_failures
from hub.domain.messages import OutreachCommand
from hub.domain.phone import ledger
from hub.domain.phone.decision import Defer, SendNow, Suppress, decide
from hub.domain.phone.ledger import LedgerError
from hub.domain.phone.policy import ContactPolicy, QuietHours
from hub.domain.phone.state import PhoneState
from hub.domain.provider_failures import FailureKind
from hub.errors import HubError

NY = ZoneInfo("America/New_York")
HNL = ZoneInfo("Pacific/Honolulu")
POLICY = ContactPolicy()
AT = datetime(2026, 11, 23, 10, 0, tzinfo=NY)  # a Monday
PHONE = "+16175550188"


def command(step: str = "welcome_sms", *, at: datetime = AT, channel: str = "sms",
            zone: str = "America/New_York", body: str = "Hi. Reply STOP to opt out",
            expires: datetime | None = None, action: str = "send") -> OutreachCommand:
    return OutreachCommand(f"E1:{step}", "E1", "GEN|77", step, channel, PHONE,  # type: ignore[arg-type]
                           step, "en", body, at, expires or at + timedelta(days=29), zone, "GEN",
                           action)  # type: ignore[arg-type]


def sent(state: PhoneState | None, cmd: OutreachCommand, now: datetime, sid: str = "SM1"
         ) -> PhoneState:
    """The stage's happy path: decide -> sending -> provider took it."""
    state, decision = decide(state, cmd, now=now, policy=POLICY)
    assert decision == SendNow()
    state = ledger.mark_sending(state, cmd.command_id, now)
    return ledger.mark_sent(state, cmd.command_id, sid, "queued", now)


def sending(cmd: OutreachCommand | None = None, now: datetime = AT) -> PhoneState:
    cmd = cmd or command()
    state, _ = decide(None, cmd, now=now, policy=POLICY)
    return ledger.mark_sending(state, cmd.command_id, now)


# --- decide: hours, caps, size ---------------------------------------------------------------

def test_message_due_at_night_is_deferred_to_8am_not_dropped() -> None:
    """MSG-3: a message due at 02:00 local is deferred to 08:00 and kept for the tick."""
    night = datetime(2026, 11, 23, 2, 0, tzinfo=NY)
    state, decision = decide(None, command(at=night), now=night, policy=POLICY)
    assert decision == Defer(datetime(2026, 11, 23, 8, 0, tzinfo=NY), "quiet_hours")
    entry = state.entry("E1:welcome_sms")
    assert entry is not None and entry.status == "deferred"
    assert entry.command == command(at=night).to_dict()


def test_quiet_hours_follow_the_patients_zone() -> None:
    """MSG-3: 10:00 in New York is 05:00 in Honolulu: deferred to 08:00 Hawaii time."""
    _, decision = decide(None, command(zone="Pacific/Honolulu"), now=AT, policy=POLICY)
    assert decision == Defer(datetime(2026, 11, 23, 8, 0, tzinfo=HNL), "quiet_hours")


@pytest.mark.parametrize("not_before, until, reason", [
    (AT + timedelta(hours=2), AT + timedelta(hours=2), "not_yet_due"),
    (AT + timedelta(hours=12), datetime(2026, 11, 24, 8, 0, tzinfo=NY), "quiet_hours"),
])
def test_a_command_released_early_waits_for_its_time(not_before: datetime, until: datetime,
                                                     reason: str) -> None:
    """MSG-3: not before ``not_before``, and then only inside the hours."""
    _, decision = decide(None, command(at=not_before), now=AT, policy=POLICY)
    assert decision == Defer(until, reason)


def test_a_deferred_command_is_decided_afresh_when_its_time_comes() -> None:
    """MSG-3: deferred, never dropped: the tick at 08:00 sends it; a redelivery before waits."""
    night = datetime(2026, 11, 23, 2, 0, tzinfo=NY)
    state, first = decide(None, command(at=night), now=night, policy=POLICY)
    assert isinstance(first, Defer)
    state, again = decide(state, command(at=night), now=night + timedelta(hours=1),
                          policy=POLICY)
    assert again == first
    _, tick = decide(state, command(at=night), now=first.until, policy=POLICY)
    assert tick == SendNow()


def test_second_message_the_same_local_day_waits_for_tomorrow() -> None:
    """MSG-1: at most one message a day per patient (texts and calls together)."""
    state = sent(None, command(), AT)
    later = AT + timedelta(hours=2)
    _, decision = decide(state, command("bd1_call", at=later, channel="voice",
                                        body="Press 1 for a nurse"), now=later, policy=POLICY)
    assert decision == Defer(datetime(2026, 11, 24, 8, 0, tzinfo=NY), "frequency_cap")


def test_fourth_message_in_seven_days_waits_for_the_window_to_roll() -> None:
    """MSG-1: after Mon, Tue, Wed, a Thursday message waits until the next Monday."""
    state = None
    for day, step in enumerate(("a", "b", "c")):
        now = AT + timedelta(days=day)
        state = sent(state, command(step, at=now), now, sid=f"SM{step}")
    thursday = AT + timedelta(days=3)
    _, decision = decide(state, command("d", at=thursday), now=thursday, policy=POLICY)
    assert decision == Defer(datetime(2026, 11, 30, 8, 0, tzinfo=NY), "frequency_cap")


@pytest.mark.parametrize("cmd, reason", [
    (command(body="x" * 161), "sms_too_long"),
    (command(channel="voice", body=" ".join(["word"] * 200)), "voice_too_long"),
    (command(at=AT - timedelta(days=40)), "expired"),
    (command(expires=AT.replace(hour=21)), None),  # control: sends now
])
def test_messages_that_must_never_go_are_suppressed(cmd: OutreachCommand,
                                                    reason: str | None) -> None:
    """MSG-1: over 160 characters / over a minute; and nothing after the command's expiry."""
    state, decision = decide(None, cmd, now=AT, policy=POLICY)
    assert decision == (Suppress(reason) if reason else SendNow())
    entry = state.entry(cmd.command_id)
    assert entry is not None and entry.status == ("suppressed" if reason else "planned")


def test_a_call_that_cannot_go_before_it_expires_is_suppressed() -> None:
    """MSG-1: the day's slot is taken and the call expires tonight: suppressed, with a reason."""
    state = sent(None, command(), AT)
    call = command("bd1_call", at=AT, channel="voice", body="Press 1",
                   expires=AT.replace(hour=21))
    assert decide(state, call, now=AT, policy=POLICY)[1] == Suppress("no_slot_before_expiry")


# --- decide: opt-out, duplicates, cancel ----------------------------------------------------

@pytest.mark.parametrize("channel", ["sms", "voice"])
def test_an_opted_out_phone_gets_nothing_until_it_opts_back_in(channel: str) -> None:
    """MSG-2: revocation is honoured at once, for texts and calls; START restores it."""
    state = ledger.opt_out(PhoneState(PHONE), AT)
    cmd = command(channel=channel, body="Press 1")
    assert decide(state, cmd, now=AT, policy=POLICY)[1] == Suppress("opted_out")
    assert decide(ledger.opt_in(state), cmd, now=AT, policy=POLICY)[1] == SendNow()


@pytest.mark.parametrize("settle, reason", [
    (lambda s: s, "duplicate"),  # still "sending"
    (lambda s: ledger.mark_sent(s, "E1:welcome_sms", "SM1", "queued", AT), "duplicate"),
    (lambda s: ledger.apply_status(ledger.mark_sent(s, "E1:welcome_sms", "SM1", "queued", AT),
                                 "SM1", "delivered", AT), "duplicate"),
    (lambda s: ledger.mark_failed(s, "E1:welcome_sms", None, AT)[0], "in_doubt"),
    (lambda s: ledger.mark_failed(s, "E1:welcome_sms", 21211, AT)[0], "already_failed"),
])
def test_a_command_id_is_never_sent_twice(settle: object, reason: str) -> None:
    """Send ledger: a redelivered command after (or during) its send never goes again."""
    state = settle(sending())  # type: ignore[operator]
    later = AT + timedelta(days=1)
    again, decision = decide(state, command(), now=later, policy=POLICY)
    assert decision == Suppress(reason)
    assert again.entry("E1:welcome_sms") == state.entry("E1:welcome_sms")


def test_cancel_stops_a_waiting_message_for_good() -> None:
    """§2 A13: a cancel for a deferred message stops it; the tick then suppresses it."""
    night = datetime(2026, 11, 23, 23, 0, tzinfo=NY)
    state, _ = decide(None, command(at=night), now=night, policy=POLICY)
    state, decision = decide(state, command(at=night, action="cancel"), now=night,
                             policy=POLICY)
    assert decision == Suppress("cancelled")
    morning = night + timedelta(hours=10)
    assert decide(state, command(at=night), now=morning, policy=POLICY)[1] == \
        Suppress("cancelled")


def test_a_cancel_that_arrives_first_still_wins() -> None:
    """§2 A13: a cancel for an id never seen is remembered; the send that follows is refused."""
    state, _ = decide(None, command(action="cancel"), now=AT, policy=POLICY)
    assert decide(state, command(), now=AT, policy=POLICY)[1] == Suppress("cancelled")


def test_a_cancel_after_the_send_changes_nothing() -> None:
    """Send ledger: a message Twilio already has stays "sent"; the cancel is too late."""
    state = sent(None, command(), AT)
    after, decision = decide(state, command(action="cancel"), now=AT, policy=POLICY)
    assert decision == Suppress("cancel_too_late") and after.entry("E1:welcome_sms") == \
        state.entry("E1:welcome_sms")


def test_decide_never_changes_its_input() -> None:
    """Pure core: the state passed in is the same afterwards (new state returned)."""
    state = sent(None, command(), AT)
    before = state.to_dict()
    decide(state, command("checkin"), now=AT, policy=POLICY)
    decide(state, command(action="cancel"), now=AT, policy=POLICY)
    assert state.to_dict() == before


def test_commands_for_another_phone_or_an_unknown_zone_are_refused() -> None:
    """Keyed by phone: a command never lands in another phone's ledger; a bad zone is an error."""
    with pytest.raises(LedgerError):
        decide(PhoneState("+12125550100"), command(), now=AT, policy=POLICY)
    with pytest.raises(HubError):
        decide(None, command(zone="Mars/Olympus"), now=AT, policy=POLICY)
    with pytest.raises(ValueError):
        decide(None, command(), now=AT.replace(tzinfo=None), policy=POLICY)


# --- the ledger around the provider call ----------------------------------------------------

def test_sending_then_sent_records_the_sid_and_counts_for_the_caps() -> None:
    """Send ledger: attempts, the SID and the hand-off time; replaying mark_sent is a no-op."""
    state = ledger.mark_sent(sending(), "E1:welcome_sms", "SM1", "queued", AT)
    entry = state.entry("E1:welcome_sms")
    assert entry is not None
    assert (entry.status, entry.provider_sid, entry.attempts) == ("sent", "SM1", 1)
    assert state.sent_at == (AT.astimezone(UTC),)
    assert ledger.mark_sent(state, "E1:welcome_sms", "SM1", "queued", AT) == state


def test_mark_sending_refuses_anything_but_a_waiting_entry() -> None:
    """Send ledger: the last guard against a second send is in the transition itself."""
    state = ledger.mark_sent(sending(), "E1:welcome_sms", "SM1", "queued", AT)
    with pytest.raises(LedgerError):
        ledger.mark_sending(state, "E1:welcome_sms", AT)
    with pytest.raises(LedgerError):
        ledger.mark_sending(PhoneState(PHONE), "E1:unknown", AT)


def test_send_history_keeps_only_what_the_caps_need() -> None:
    """MSG-1: sends older than the weekly window are dropped from the history."""
    state = sent(None, command("a"), AT, sid="SMa")
    much_later = AT + timedelta(days=12)
    state = sent(state, command("b", at=much_later), much_later, sid="SMb")
    assert state.sent_at == (much_later.astimezone(UTC),)


@pytest.mark.parametrize("code, http, channel, kind, status, final, fallback", [
    (21610, 400, "sms", FailureKind.OPTED_OUT, "failed", True, False),
    (21211, 400, "sms", FailureKind.INVALID_NUMBER, "failed", True, False),
    (21614, 400, "sms", FailureKind.NOT_SMS_CAPABLE, "failed", True, True),
    (21612, 400, "sms", FailureKind.UNROUTABLE, "failed", True, False),
    (30003, None, "sms", FailureKind.UNREACHABLE, "failed", True, True),
    (30006, None, "sms", FailureKind.UNREACHABLE, "failed", True, True),
    (30006, None, "voice", FailureKind.UNREACHABLE, "failed", True, False),
    (21408, 400, "sms", FailureKind.REJECTED, "failed", True, False),
    (20429, 429, "sms", FailureKind.RETRIABLE, "deferred", False, False),
    (None, 429, "sms", FailureKind.RETRIABLE, "deferred", False, False),
    (None, 503, "voice", FailureKind.UNKNOWN, "in_doubt", False, False),
    (20500, 500, "sms", FailureKind.UNKNOWN, "in_doubt", False, False),
    (None, None, "sms", FailureKind.UNKNOWN, "in_doubt", False, False),
])
def test_provider_errors_are_classified(code: int | None, http: int | None, channel: str,
                                        kind: FailureKind, status: str, final: bool,
                                        fallback: bool) -> None:
    """MSG-6: 21610 opts out, 21211/21614/21612/30003/30006 are final (SMS -> voice where a
    call can help), 20429 / HTTP 429 back off; no answer at all or a 5xx (Twilio may have
    created it) is in doubt: looked up before any resend."""
    state, failure = ledger.mark_failed(sending(command(channel=channel, body="Press 1")),
                                      "E1:welcome_sms", code, AT, http_status=http)
    entry = state.entry("E1:welcome_sms")
    assert entry is not None
    assert (failure.kind, entry.status, failure.final, failure.voice_fallback) == \
        (kind, status, final, fallback)
    assert state.opted_out is (kind is FailureKind.OPTED_OUT)
    assert (failure.retry_at is not None) is (kind is FailureKind.RETRIABLE)


def test_21610_blocks_the_phone_until_start() -> None:
    """MSG-6: Twilio says the recipient opted out: the phone is opted out, via the provider."""
    state, _ = ledger.mark_failed(sending(), "E1:welcome_sms", 21610, AT)
    assert (state.opted_out, state.opted_out_via) == (True, "provider_21610")
    assert decide(state, command("checkin"), now=AT, policy=POLICY)[1] == Suppress("opted_out")


def test_a_rate_limited_send_backs_off_then_goes_within_hours() -> None:
    """MSG-6: 20429 comes back after the backoff, re-decided (hours, caps), attempts counted."""
    state, failure = ledger.mark_failed(sending(), "E1:welcome_sms", 20429, AT, jitter=0.5)
    assert failure.retry_at == AT + timedelta(seconds=45)
    assert decide(state, command(), now=AT + timedelta(seconds=10), policy=POLICY)[1] == \
        Defer(AT + timedelta(seconds=45), "retry_backoff")
    state, decision = decide(state, command(), now=AT + timedelta(minutes=1), policy=POLICY)
    assert decision == SendNow()
    entry = ledger.mark_sending(state, "E1:welcome_sms", AT).entry("E1:welcome_sms")
    assert entry is not None and entry.attempts == 2


def test_retries_stop_after_max_attempts() -> None:
    """MSG-6: backoff is bounded: after the last attempt a retriable error is final."""
    _, failure = ledger.mark_failed(sending(), "E1:welcome_sms", 20429, AT, max_attempts=1)
    assert failure.kind is FailureKind.RETRIES_EXHAUSTED and failure.final


@pytest.mark.parametrize("attempt, jitter, seconds", [
    (1, 0.0, 30), (2, 0.0, 60), (3, 0.0, 120), (6, 0.0, 960), (7, 0.0, 1800), (1, 0.5, 45),
    (1, 1.0, 60), (7, 1.0, 1800), (10_000, 0.3, 1800),
])
def test_backoff_is_exponential_capped_and_jittered_by_the_caller(attempt: int, jitter: float,
                                                                  seconds: int) -> None:
    """MSG-6: retry 429/5xx with backoff: doubling from 30 s, never above 30 min."""
    assert provider_failures.backoff(attempt, jitter) == timedelta(seconds=seconds)


# --- status callbacks, in-doubt sends -------------------------------------------------------

def test_a_late_sent_after_delivered_is_ignored() -> None:
    """MSG-6: callbacks arrive out of order; an entry never moves backwards."""
    state = ledger.mark_sent(sending(), "E1:welcome_sms", "SM1", "queued", AT)
    state = ledger.apply_status(state, "SM1", "delivered", AT)
    assert ledger.apply_status(state, "SM1", "sent", AT) == state
    assert ledger.apply_status(state, "SM-other", "failed", AT) == state
    assert ledger.apply_status(state, "SM1", "bogus", AT) == state


@pytest.mark.parametrize("provider, in_ledger", [
    ("completed", "delivered"), ("busy", "undelivered"), ("no-answer", "undelivered"),
    ("ringing", "sent"), ("failed", "failed"), ("canceled", "cancelled"), ("read", "delivered"),
])
def test_call_and_message_statuses_map_to_the_ledger(provider: str, in_ledger: str) -> None:
    """MSG-6: Twilio's message and call statuses in the ledger's words."""
    state = ledger.mark_sent(sending(), "E1:welcome_sms", "SM1", "queued", AT)
    entry = ledger.apply_status(state, "SM1", provider, AT).entry("E1:welcome_sms")
    assert entry is not None and (entry.status, entry.provider_status) == (in_ledger, provider)


def test_a_callback_with_21610_opts_the_phone_out() -> None:
    """MSG-6: an undelivered message with 21610 blocks the phone like the API error does."""
    state = ledger.mark_sent(sending(), "E1:welcome_sms", "SM1", "queued", AT)
    state = ledger.apply_status(state, "SM1", "undelivered", AT, error_code=21610)
    assert state.opted_out


def test_reconciled_send_that_reached_the_provider_is_sent_not_resent() -> None:
    """Send ledger: the provider has it: record the SID, count it from when it was sent."""
    later = AT + timedelta(minutes=10)
    state = ledger.reconcile(sending(), "E1:welcome_sms", provider_sid="SM9",
                           provider_status="delivered", now=later)
    entry = state.entry("E1:welcome_sms")
    assert entry is not None and (entry.status, entry.provider_sid) == ("delivered", "SM9")
    assert state.sent_at == (AT.astimezone(UTC),)
    assert decide(state, command(), now=later, policy=POLICY)[1] == Suppress("duplicate")


def test_reconciled_send_that_never_reached_the_provider_is_decided_again() -> None:
    """Send ledger: the provider never got it: the command goes through decide once more."""
    later = AT + timedelta(minutes=10)
    state = ledger.reconcile(sending(), "E1:welcome_sms", provider_sid=None, provider_status=None,
                           now=later)
    assert state.entry("E1:welcome_sms").status == "deferred"  # type: ignore[union-attr]
    assert decide(state, command(), now=later, policy=POLICY)[1] == SendNow()


def test_a_status_callback_can_settle_a_send_whose_sid_was_lost() -> None:
    """Send ledger: a callback naming the command id ties the SID to a stuck "sending" entry."""
    later = AT + timedelta(minutes=3)
    state = ledger.apply_status(sending(), "SM7", "sent", later, command_id="E1:welcome_sms")
    entry = state.entry("E1:welcome_sms")
    assert entry is not None and (entry.status, entry.provider_sid) == ("sent", "SM7")
    assert state.sent_at == (AT.astimezone(UTC),)


def test_a_command_may_be_passed_whole_to_mark_sending() -> None:
    """Send ledger: the stage may hand the command (not only its id) to mark_sending."""
    state = ledger.mark_sending(PhoneState(PHONE), command(), AT)
    entry = state.entry("E1:welcome_sms")
    assert entry is not None and entry.status == "sending" and entry.command is not None
    assert replace(entry, updated_at=AT).attempts == 1


# --- properties ------------------------------------------------------------------------------

ZONES = ["America/New_York", "America/Los_Angeles", "America/Phoenix", "Pacific/Honolulu"]
# around both 2026 DST changes, so sequences cross them
STARTS = [datetime(2026, 3, 4, 12, 0, tzinfo=UTC), datetime(2026, 10, 28, 12, 0, tzinfo=UTC),
          datetime(2026, 6, 1, 0, 0, tzinfo=UTC)]
OUTCOMES = ["sent", "sent", "sent", "rate_limited", "crash_sent", "crash_lost", "invalid"]
arrivals = st.lists(st.tuples(st.integers(0, 14 * 24 * 60), st.integers(0, 6),
                              st.sampled_from(["sms", "voice", "cancel"]),
                              st.sampled_from(OUTCOMES)), min_size=1, max_size=30)


@dataclass
class Run:
    """What a simulated outreach stage did for one phone."""

    zone: ZoneInfo
    handed_off: list[datetime] = field(default_factory=list)  # the provider took a message
    send_now_at: list[datetime] = field(default_factory=list)
    resent_while_maybe_out: list[str] = field(default_factory=list)


def simulate(start: datetime, zone_name: str, events: list[tuple[int, int, str, str]]) -> Run:
    """Commands arrive (some redelivered, some cancelled); the stage decides, defers to ticks,
    calls the provider, which takes it, rate-limits, or the worker crashes mid-call and
    reconciles ten minutes later. The phone state goes through JSON after every step."""
    run, zone = Run(ZoneInfo(zone_name)), zone_name
    queue: list[tuple[datetime, int, str, str, str]] = []  # (when, seq, kind, step, outcome)
    for order, (minute, number, channel, result) in enumerate(events):
        heapq.heappush(queue, (start + timedelta(minutes=minute), order, channel, f"s{number}",
                               result))
    commands: dict[str, OutreachCommand] = {}
    maybe_out: set[str] = set()
    state: PhoneState | None = None
    seq = len(events)
    while queue:
        now, _, kind, step, outcome = heapq.heappop(queue)
        cid = f"E1:{step}"
        if kind == "reconcile":
            assert state is not None
            found = outcome == "crash_sent"
            state = ledger.reconcile(state, cid, provider_sid=f"SM{cid}" if found else None,
                                   provider_status="sent" if found else None, now=now)
            if found:
                run.handed_off.append(now - timedelta(minutes=10))
            else:
                maybe_out.discard(cid)
                heapq.heappush(queue, (now, seq := seq + 1, "tick", step, "sent"))
            continue
        if kind in ("sms", "voice", "cancel"):
            channel = "sms" if kind == "cancel" else kind
            base = commands.setdefault(cid, command(step, at=now, channel=channel, zone=zone,
                                                    body="Press 1 or reply STOP"))
            cmd = replace(base, action="cancel") if kind == "cancel" else base
        else:  # a tick re-sends the stored command
            cmd = commands[cid]
        state, decision = decide(state, cmd, now=now, policy=POLICY)
        state = PhoneState.from_dict(json.loads(json.dumps(state.to_dict())))
        if isinstance(decision, Defer):
            heapq.heappush(queue, (decision.until, seq := seq + 1, "tick", step, outcome))
        if not isinstance(decision, SendNow):
            continue
        run.send_now_at.append(now)
        if cid in maybe_out:
            run.resent_while_maybe_out.append(cid)
        state = ledger.mark_sending(state, cid, now)
        maybe_out.add(cid)
        if outcome == "sent":
            state = ledger.mark_sent(state, cid, f"SM{cid}", "queued", now)
            run.handed_off.append(now)
        elif outcome == "rate_limited":
            state, failure = ledger.mark_failed(state, cid, 20429, now, jitter=0.25)
            maybe_out.discard(cid)
            assert failure.retry_at is not None
            heapq.heappush(queue, (failure.retry_at, seq := seq + 1, "tick", step, "sent"))
        elif outcome == "invalid":
            state, _ = ledger.mark_failed(state, cid, 21211, now)
            maybe_out.discard(cid)
        else:  # crash between the provider call and the ledger write
            heapq.heappush(queue, (now + timedelta(minutes=10), seq := seq + 1, "reconcile",
                                   step, outcome))
    return run


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(STARTS), st.sampled_from(ZONES), arrivals)
def test_never_sends_outside_quiet_hours(start: datetime, zone: str,
                                         events: list[tuple[int, int, str, str]]) -> None:
    """MSG-3 property: whatever the times, zone and DST change, every send is 08:00-21:00
    local."""
    run = simulate(start, zone, events)
    assert all(POLICY.quiet_hours.allows(at, run.zone) for at in run.send_now_at)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(STARTS), st.sampled_from(ZONES), arrivals)
def test_caps_hold_for_any_sequence(start: datetime, zone: str,
                                    events: list[tuple[int, int, str, str]]) -> None:
    """MSG-1 property: never more than 1 message a local day and 3 in any 7 local days,
    retries, crashes and redeliveries included."""
    run = simulate(start, zone, events)
    days = sorted(at.astimezone(run.zone).date() for at in run.handed_off)
    assert len(days) == len(set(days))
    assert all(sum(0 <= (d - x).days < 7 for x in days) <= 3 for d in days)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(STARTS), st.sampled_from(ZONES), arrivals)
def test_a_command_id_is_never_sent_again_once_it_may_have_gone(
        start: datetime, zone: str, events: list[tuple[int, int, str, str]]) -> None:
    """Send ledger property: no SendNow for a command the provider may have (sent, or a call
    whose outcome is unknown), so each command id is handed to the provider at most once."""
    run = simulate(start, zone, events)
    assert run.resent_while_maybe_out == []
    assert len(run.handed_off) <= len({e[1] for e in events})


message_paths = st.sampled_from([
    ["queued", "sending", "sent", "delivered"], ["queued", "sending", "sent", "undelivered"],
    ["accepted", "queued", "sending", "failed"], ["queued", "sent", "delivered", "read"],
    ["queued", "initiated", "ringing", "in-progress", "completed"], ["queued", "ringing", "busy"],
])


@settings(max_examples=200, deadline=None)
@given(message_paths.flatmap(lambda p: st.tuples(st.just(p), st.permutations(p))))
def test_status_callbacks_in_any_order_end_the_same(paths: tuple[list[str], list[str]]) -> None:
    """MSG-6 property: however Twilio's callbacks are ordered, the entry ends in one status."""
    in_order, shuffled = paths
    results = []
    for statuses in (in_order, shuffled):
        state = ledger.mark_sent(sending(), "E1:welcome_sms", "SM1", statuses[0], AT)
        for minute, status in enumerate(statuses):
            state = ledger.apply_status(state, "SM1", status, AT + timedelta(minutes=minute))
        entry = state.entry("E1:welcome_sms")
        assert entry is not None
        results.append((entry.status, entry.provider_status))
    assert results[0] == results[1]
    assert results[0][1] == in_order[-1]


def test_a_number_from_another_zone_keeps_quiet_hours_there_too() -> None:
    """MSG-3: a New York facility's patient with a Honolulu mobile is not texted at 04:30
    Hawaii time; the text waits for 08:00 there (13:00 in New York)."""
    early = datetime(2026, 11, 23, 9, 30, tzinfo=NY)  # 04:30 in Honolulu
    hawaii = replace(command(at=early), to="+18085550123")
    _state, decision = decide(None, hawaii, now=early, policy=POLICY)
    assert decision == Defer(datetime(2026, 11, 23, 13, 0, tzinfo=NY), "quiet_hours")
    assert decide(None, replace(hawaii, to=PHONE), now=early, policy=POLICY)[1] == SendNow()


def test_a_far_away_number_narrows_the_hours_or_when_they_never_meet_is_ignored() -> None:
    """MSG-3: a Sydney number for a New York patient gets New York's evening (Sydney's
    morning); with 09:00-17:00 windows that never meet, New York's hours alone hold rather
    than the text never going; a toll-free number says nothing about a zone."""
    noon = datetime(2026, 11, 23, 12, 0, tzinfo=NY)
    sydney = replace(command(at=noon), to="+61291234567")
    assert decide(None, sydney, now=noon, policy=POLICY)[1] == Defer(
        datetime(2026, 11, 23, 16, 0, tzinfo=NY), "quiet_hours")
    office = ContactPolicy(quiet_hours=QuietHours(time(9, 0), time(17, 0)))
    assert decide(None, sydney, now=noon, policy=office)[1] == SendNow()
    toll_free = replace(command(at=noon), to="+18005550123")
    assert decide(None, toll_free, now=noon, policy=POLICY)[1] == SendNow()
