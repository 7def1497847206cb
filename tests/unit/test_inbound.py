"""Replies and keypresses at the outreach stage (MSG-2, MSG-5, §5), with a dict for the phones
table, recording topics and the recording provider."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from agents.inbound import handle_inbound
from agents.topics import Topics
from hub.adapters.outbound import CallScript, ProviderError, RecordingOutbound
from hub.domain.phone.policy import ContactPolicy
from hub.domain.phone.state import PhoneState
from hub.services.delivery import Sender
from tests.unit.test_metrics import scraped

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 23, 18, 0, tzinfo=NY)
PHONE = "+16175550188"
PRACTICE = {"practice": "Riverside Primary Care", "callback": "+16175550100"}


@dataclass
class RecordingTopic:
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def send(self, *, key: str, value: dict[str, Any]) -> None:
        self.sent.append((key, value))


@dataclass
class FakeTopics:
    outreach_events: RecordingTopic = field(default_factory=RecordingTopic)
    deadletter: RecordingTopic = field(default_factory=RecordingTopic)


def known_phone(language: str = "en") -> dict[str, dict[str, Any]]:
    state = PhoneState(PHONE, patient_key="GEN|77", episode_id="ep-1", language=language)
    return {PHONE: state.to_dict()}


async def reply(phones: dict[str, Any], text: str, outbound: RecordingOutbound | None = None,
                **extra: Any) -> tuple[FakeTopics, RecordingOutbound]:
    topics, outbound = FakeTopics(), outbound or RecordingOutbound()
    sender = Sender(outbound, ContactPolicy(), voice_call=lambda c: CallScript("<Response/>"))
    value = {"kind": "sms_reply", "phone": PHONE, "body": text, "opt_out_type": None,
             "provider_sid": "SM1", **extra}
    await handle_inbound(phones, cast(Topics, topics), PHONE, value, AT, sender, PRACTICE,
                         flush)
    return topics, outbound


async def flush() -> None:
    """The stage flushes its producer here; the dict table is durable at once."""


async def test_stop_in_plain_words_with_an_urgent_one_opts_out_and_escalates() -> None:
    """MSG-2 and §5: 'stop texting me, I fell' is an opt-out and an urgent reply, both."""
    phones = known_phone()
    topics, outbound = await reply(phones, "stop texting me, I fell")
    assert PhoneState.from_dict(phones[PHONE]).opted_out
    [event] = [e for _k, e in topics.outreach_events.sent if e["kind"] == "reply"]
    assert (event["intent"], event["reason"]) == ("urgent", "also_opt_out")
    [confirmation] = [s.content for s in outbound.sent]
    assert confirmation.startswith("Riverside Primary Care:") and "START" in confirmation


async def test_an_opt_out_is_kept_when_its_confirmation_cannot_be_sent() -> None:
    """MSG-2: honoured at once; the confirmation failing (a landline) loses nothing."""
    phones, outbound = known_phone(), RecordingOutbound()
    outbound.fail_next(ProviderError("21614", provider_code=21614, http_status=400,
                                     retriable=False))
    topics, _ = await reply(phones, "please unsubscribe me", outbound)
    state = PhoneState.from_dict(phones[PHONE])
    assert state.opted_out and state.opt_out_confirmed
    assert [e["intent"] for _k, e in topics.outreach_events.sent if e["kind"] == "reply"] == [
        "opt_out"]


async def test_one_confirmation_per_revocation_even_when_redelivered() -> None:
    """MSG-2: one confirmation text; the same webhook delivered twice sends no second one."""
    phones = known_phone()
    _, outbound = await reply(phones, "unsubscribe")
    await reply(phones, "unsubscribe", outbound)
    assert len(outbound.sent) == 1


async def test_answers_go_through_the_send_ledger_once_per_inbound_message() -> None:
    """MSG-2: the HELP answer is a ledger entry keyed by the inbound message: the webhook
    redelivered answers once; a HELP sent again later the same day is not answered twice."""
    phones = known_phone()
    _, outbound = await reply(phones, "HELP")
    await reply(phones, "HELP", outbound)
    await reply(phones, "help", outbound, provider_sid="SM2")
    ledger = PhoneState.from_dict(phones[PHONE]).ledger
    assert list(ledger) == ["answer:help:SM1"] and ledger["answer:help:SM1"].status == "sent"
    assert len(outbound.sent) == 1


async def test_a_crash_before_the_answer_is_recorded_never_answers_twice() -> None:
    """MSG-2 / MSG-6: the answer is 'sending' on the table before the provider is called; a
    redelivery after a crash there reconciles instead of texting again."""
    phones, outbound = known_phone(), RecordingOutbound()
    outbound.fail_next(ProviderError("timeout", provider_code=None, http_status=None,
                                     retriable=True))
    await reply(phones, "please stop these", outbound)
    entry = PhoneState.from_dict(phones[PHONE]).ledger["answer:opt_out_confirmation:SM1"]
    assert entry.status == "in_doubt"
    await reply(phones, "please stop these", outbound)
    assert len(outbound.sent) == 0


async def test_twilio_keywords_are_confirmed_by_twilio_not_by_the_hub() -> None:
    """MSG-6: a STOP Twilio already handled (OptOutType) gets no second confirmation."""
    phones = known_phone()
    _, outbound = await reply(phones, "STOP", opt_out_type="STOP")
    assert PhoneState.from_dict(phones[PHONE]).opted_out and outbound.sent == []


async def test_the_confirmation_and_help_are_in_the_patients_language() -> None:
    """MSG-5: replies to a Spanish-speaking patient are in Spanish."""
    _, outbound = await reply(known_phone("es"), "info")  # "ayuda" is an urgent word
    await reply(known_phone("es"), "cancelar mensajes", outbound)
    assert [s.content.split(":")[1].split()[0] for s in outbound.sent] == ["seguimiento", "no"]


async def test_a_keypress_9_opts_out_without_a_text() -> None:
    """MSG-2: '9' on the call stops outreach; the call itself confirms, no SMS to a landline."""
    phones, topics, outbound = known_phone(), FakeTopics(), RecordingOutbound()
    sender = Sender(outbound, ContactPolicy(), voice_call=lambda c: CallScript("<Response/>"))
    value = {"kind": "call_reply", "phone": PHONE, "digits": "9", "provider_sid": "CA1",
             "command_id": "ep-1:bd1_call", "language": "en"}
    await handle_inbound(phones, cast(Topics, topics), PHONE, value, AT + timedelta(hours=1),
                         sender, PRACTICE, flush)
    state = PhoneState.from_dict(phones[PHONE])
    assert state.opted_out and state.opted_out_via == "voice_key" and outbound.sent == []
    [(_key, event)] = topics.outreach_events.sent
    assert (event["channel"], event["intent"], event["command_id"]) == (
        "voice", "opt_out", "ep-1:bd1_call")


async def test_a_reply_from_an_unknown_number_is_dead_lettered() -> None:
    """Nothing is lost: a reply the hub cannot route is kept for a person (and counted for
    /metrics by stage and code)."""
    counted = scraped("tcm_dead_letters_total", stage="outreach", code="unknown_sender")
    topics, _ = await reply({}, "who is this?")
    assert topics.outreach_events.sent == []
    [(_key, letter)] = topics.deadletter.sent
    assert letter["code"] == "unknown_sender"
    assert scraped("tcm_dead_letters_total", stage="outreach", code="unknown_sender") == (
        counted + 1)


async def test_results_are_counted_for_metrics_and_a_send_in_doubt_on_its_own() -> None:
    """Issue 13: every result is counted by channel, status and error code; a send left in
    doubt (a 5xx, no answer, a crash mid-call) also on its own counter, which an operator
    alerts on."""
    from agents.inbound import emit_result
    from hub.domain.messages import OutreachEvent

    results = scraped("tcm_outreach_results_total", channel="sms", status="in_doubt",
                      error_code="20500")
    in_doubt = scraped("tcm_outreach_in_doubt_total")
    topics = FakeTopics()
    event = OutreachEvent(kind="send_result", patient_key="GEN|77", episode_id="ep-1",
                          command_id="ep-1:welcome_sms", channel="sms", status="in_doubt", at=AT,
                          reason="provider_error", error_code=20500)
    await emit_result(cast(Topics, topics), event)
    await emit_result(cast(Topics, topics), OutreachEvent(
        kind="send_result", patient_key="GEN|77", episode_id="ep-1",
        command_id="ep-1:reminder_sms", channel="sms", status="sent", at=AT))
    assert [value["status"] for _key, value in topics.outreach_events.sent] == ["in_doubt", "sent"]
    assert scraped("tcm_outreach_results_total", channel="sms", status="in_doubt",
                   error_code="20500") == results + 1
    assert scraped("tcm_outreach_in_doubt_total") == in_doubt + 1  # the sent one is not
