"""The outreach send path over ports, with the recording fake of the provider (send ledger,
MSG-6): 'sending' before the call, never a second text for one command, and sends left in
flight by a crash or an unanswered request reconciled with the provider before any resend."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hub.adapters.outbound import CallScript, ProviderError, Receipt, RecordingOutbound
from hub.clock import FixedClock
from hub.domain.messages import OutreachCommand
from hub.domain.phone.policy import ContactPolicy
from hub.domain.phone.state import PhoneState
from hub.services.delivery import Sender, spread

RECONCILE_AFTER = timedelta(seconds=ContactPolicy().in_doubt_seconds)  # the default: 2 min

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
CID = "E1:welcome_sms"
NO_ANSWER = ProviderError("timeout", provider_code=None, http_status=None, retriable=False)


def command(channel: str = "sms") -> OutreachCommand:
    return OutreachCommand(CID, "E1", "GEN|77", "welcome_sms", channel,  # type: ignore[arg-type]
                           "+16175550188", "welcome_sms", "en", "Hi. Reply STOP to opt out", AT,
                           AT + timedelta(days=29), "America/New_York", "GEN")


def provider() -> RecordingOutbound:
    """The fake provider, stamping what it takes by the test's clock (never the machine's)."""
    return RecordingOutbound(clock=FixedClock(AT))


def sender(outbound: RecordingOutbound, callback: str | None = None,
           policy: ContactPolicy | None = None) -> Sender:
    return Sender(outbound, policy or ContactPolicy(), status_callback=callback,
                  voice_call=lambda c: CallScript(f"<Response>{c.step}</Response>"))


class Saves:
    def __init__(self) -> None:
        self.states: list[PhoneState] = []

    async def __call__(self, state: PhoneState) -> None:
        self.states.append(state)


class Crash(Exception):
    """The worker dies between two lines."""


async def in_flight_after_a_crash() -> PhoneState:
    saves = Saves()

    async def save_then_crash(state: PhoneState) -> None:
        await saves(state)
        raise Crash

    with contextlib.suppress(Crash):
        await sender(provider()).handle(None, command(), now=AT, save=save_then_crash)
    return saves.states[-1]


async def test_ledger_says_sending_before_the_provider_is_called() -> None:
    """Send ledger: 'sending' is saved first, then the provider, then 'sent' with the SID."""
    outbound, saves = provider(), Saves()
    outcome = await sender(outbound).handle(None, command(), now=AT, save=saves)
    assert [s.entry(CID).status for s in saves.states] == ["sending"]  # type: ignore[union-attr]
    [sent] = outbound.sent
    assert (sent.to, sent.channel) == ("+16175550188", "sms")
    assert outcome.state.entry(CID).provider_sid == sent.sid  # type: ignore[union-attr]
    assert [e.status for e in outcome.events] == ["sent"]


async def test_the_same_command_twice_texts_once() -> None:
    """At-least-once delivery: a redelivered command never texts the patient a second time."""
    outbound, saves = provider(), Saves()
    first = await sender(outbound).handle(None, command(), now=AT, save=saves)
    second = await sender(outbound).handle(first.state, command(), now=AT, save=saves)
    assert len(outbound.sent) == 1
    assert [e.status for e in second.events] == ["suppressed"]


async def test_rate_limited_send_comes_back_later() -> None:
    """MSG-6: HTTP 429 / 20429 is retried with backoff (30 s, stretched by a jitter fixed per
    command), as a deferred send with a retry time."""
    outbound = provider()
    outbound.fail_next(ProviderError("429", provider_code=20429, http_status=429, retriable=True))
    outcome = await sender(outbound).handle(None, command(), now=AT, save=Saves())
    assert outbound.sent == []
    assert outcome.retry_at == AT + timedelta(seconds=30) * (1 + spread(CID))  # jittered
    assert 30 <= (outcome.retry_at - AT).total_seconds() < 60  # type: ignore[operator]
    assert outcome.state.entry(CID).status == "deferred"  # type: ignore[union-attr]


async def test_voice_commands_place_a_call_with_its_script() -> None:
    """§5: a voice step places a call with the script the stage built for it."""
    outbound = provider()
    await sender(outbound).handle(None, command("voice"), now=AT, save=Saves())
    assert outbound.sent[0].channel == "voice" and "welcome_sms" in outbound.sent[0].content


async def test_the_status_callback_names_the_command() -> None:
    """MSG-6: the callback URL carries the (PHI-free) command id, so a callback can settle a
    send whose SID was never recorded."""
    seen: list[str | None] = []

    class Spy(RecordingOutbound):
        async def send_sms(self, to: str, body: str, *, status_callback: str | None) -> Receipt:
            seen.append(status_callback)
            return await super().send_sms(to, body, status_callback=status_callback)

    await sender(Spy(), "https://hub.example.org/twilio/status").handle(
        None, command(), now=AT, save=Saves())
    assert seen == ["https://hub.example.org/twilio/status?command_id=E1%3Awelcome_sms"]


async def test_a_request_without_an_answer_is_held_in_doubt_not_resent() -> None:
    """Send ledger: a timeout may have reached Twilio: the entry is in doubt and comes back
    for reconciliation; a redelivery before then sends nothing."""
    outbound = provider()
    outbound.fail_next(NO_ANSWER)
    first = await sender(outbound).handle(None, command(), now=AT, save=Saves())
    assert first.state.entry(CID).status == "in_doubt"  # type: ignore[union-attr]
    assert [e.status for e in first.events] == ["in_doubt"]
    assert first.retry_at == AT + RECONCILE_AFTER
    again = await sender(outbound).handle(first.state, command(), now=AT + timedelta(seconds=5),
                                          save=Saves())
    assert outbound.sent == [] and again.events == [] and again.retry_at == first.retry_at


async def test_the_wait_before_an_in_doubt_send_is_looked_up_is_the_policys() -> None:
    """Send ledger: TWILIO_IN_DOUBT_SECONDS sets when a send in doubt is looked up; before
    then a redelivery sends nothing, after it a send Twilio does not have goes out once."""
    outbound, policy = provider(), ContactPolicy(in_doubt_seconds=5)
    outbound.fail_next(NO_ANSWER)
    first = await sender(outbound, policy=policy).handle(None, command(), now=AT, save=Saves())
    assert first.retry_at == AT + timedelta(seconds=5)
    early = await sender(outbound, policy=policy).handle(
        first.state, command(), now=AT + timedelta(seconds=4), save=Saves())
    assert outbound.sent == [] and early.retry_at == first.retry_at
    await sender(outbound, policy=policy).handle(
        first.state, command(), now=AT + timedelta(seconds=6), save=Saves())
    assert len(outbound.sent) == 1


async def test_an_in_doubt_send_the_provider_has_is_recorded_not_repeated() -> None:
    """Send ledger: the provider lists the text: its SID is adopted, nothing is sent again."""
    state = await in_flight_after_a_crash()
    outbound = provider()
    await outbound.send_sms("+16175550188", command().body, status_callback=None)  # it got it
    later = AT + RECONCILE_AFTER + timedelta(seconds=1)
    outcome = await sender(outbound).handle(state, command(), now=later, save=Saves())
    assert len(outbound.sent) == 1
    assert outcome.state.entry(CID).provider_sid == outbound.sent[0].sid  # type: ignore[union-attr]
    assert [(e.status, e.reason) for e in outcome.events] == [("sent", "reconciled")]


async def test_an_in_doubt_send_the_provider_never_got_is_sent_once() -> None:
    """Send ledger: a crash after 'sending' and before the call: after reconciliation the text
    goes out exactly once, and a further redelivery is a duplicate."""
    state = await in_flight_after_a_crash()
    outbound, later = provider(), AT + RECONCILE_AFTER + timedelta(seconds=1)
    outcome = await sender(outbound).handle(state, command(), now=later, save=Saves())
    assert len(outbound.sent) == 1 and [e.status for e in outcome.events] == ["sent"]
    again = await sender(outbound).handle(outcome.state, command(), now=later, save=Saves())
    assert len(outbound.sent) == 1 and [e.status for e in again.events] == ["suppressed"]


async def test_a_send_that_never_settles_is_given_up() -> None:
    """Send ledger: unanswered again and again, the command fails instead of looping."""
    outbound, state, now = provider(), None, AT
    statuses = []
    for _ in range(6):
        outbound.fail_next(NO_ANSWER)
        outcome = await sender(outbound).handle(state, command(), now=now, save=Saves())
        state, now = outcome.state, now + RECONCILE_AFTER + timedelta(seconds=1)
        statuses += [e.status for e in outcome.events]
    assert outbound.sent == [] and statuses[-1] == "failed"
    assert state.entry(CID).reason == "in_doubt_exhausted"  # type: ignore[union-attr]


async def test_a_cancel_while_in_doubt_stops_a_send_the_provider_never_got() -> None:
    """A13 / death (TCM-10) while a text is in doubt: if Twilio never got it, it never goes;
    the patient of a voided episode is not texted after reconciliation."""
    state = await in_flight_after_a_crash()
    outbound, later = provider(), AT + RECONCILE_AFTER + timedelta(seconds=1)
    cancel = replace(command(), action="cancel")
    cancelled = await sender(outbound).handle(state, cancel, now=AT + timedelta(seconds=30),
                                              save=Saves())
    tick = OutreachCommand.from_dict(cancelled.state.entry(CID).command)  # type: ignore[arg-type, union-attr]
    outcome = await sender(outbound).handle(cancelled.state, tick, now=later, save=Saves())
    assert outbound.sent == [] and [e.status for e in outcome.events] == ["cancelled"]
    assert outcome.state.entry(CID).status == "cancelled"  # type: ignore[union-attr]
