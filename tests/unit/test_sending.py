"""The outreach send path over ports, with the recording fake of the provider."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hub.adapters.outbound import ProviderError, RecordingOutbound
from hub.domain.contact_policy import ContactPolicy
from hub.domain.messages import OutreachCommand
from hub.domain.phone_state import PhoneState
from hub.sending import Sender

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 23, 10, 0, tzinfo=NY)


def command(channel: str = "sms") -> OutreachCommand:
    return OutreachCommand("E1:welcome_sms", "E1", "GEN|77", "welcome_sms", channel,  # type: ignore[arg-type]
                           "+16175550188", "welcome_sms", "en", "Hi. Reply STOP to opt out", AT,
                           AT + timedelta(days=29), "America/New_York", "GEN")


class Saves:
    def __init__(self) -> None:
        self.states: list[PhoneState] = []

    async def __call__(self, state: PhoneState) -> None:
        self.states.append(state)


async def test_ledger_says_sending_before_the_provider_is_called() -> None:
    """Send ledger: 'sending' is saved first, then the provider, then 'sent' with the SID."""
    outbound, saves = RecordingOutbound(), Saves()
    outcome = await Sender(outbound, ContactPolicy(), voice_twiml=lambda c: "<Response/>").handle(
        None, command(), now=AT, save=saves)
    assert [s.entry("E1:welcome_sms").status for s in saves.states] == ["sending"]  # type: ignore[union-attr]
    [sent] = outbound.sent
    assert (sent.to, sent.channel) == ("+16175550188", "sms")
    assert outcome.state.entry("E1:welcome_sms").provider_sid == sent.sid  # type: ignore[union-attr]
    assert [e.status for e in outcome.events] == ["sent"]


async def test_the_same_command_twice_texts_once() -> None:
    """At-least-once delivery: a redelivered command never texts the patient a second time."""
    outbound, saves = RecordingOutbound(), Saves()
    sender = Sender(outbound, ContactPolicy(), voice_twiml=lambda c: "<Response/>")
    first = await sender.handle(None, command(), now=AT, save=saves)
    second = await sender.handle(first.state, command(), now=AT, save=saves)
    assert len(outbound.sent) == 1
    assert [e.status for e in second.events] == ["suppressed"]


async def test_rate_limited_send_comes_back_later() -> None:
    """MSG-6: HTTP 429 / 20429 is retried with backoff, as a deferred send with a retry time."""
    outbound = RecordingOutbound()
    outbound.fail_next(ProviderError("429", provider_code=20429, http_status=429, retriable=True))
    outcome = await Sender(outbound, ContactPolicy(), voice_twiml=lambda c: "<Response/>").handle(
        None, command(), now=AT, save=Saves())
    assert outbound.sent == [] and outcome.retry_at == AT + timedelta(seconds=30)
    assert outcome.state.entry("E1:welcome_sms").status == "deferred"  # type: ignore[union-attr]


async def test_voice_commands_place_a_call_with_twiml() -> None:
    """§5: a voice step places a call with the script's TwiML."""
    outbound = RecordingOutbound()
    await Sender(outbound, ContactPolicy(), voice_twiml=lambda c: f"<Response>{c.step}</Response>"
                 ).handle(None, command("voice"), now=AT, save=Saves())
    assert outbound.sent[0].channel == "voice" and "welcome_sms" in outbound.sent[0].content
