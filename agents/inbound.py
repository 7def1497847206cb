"""Inbound webhooks for the outreach stage (same partition as the phone's commands): replies,
keypresses and status callbacks update the phone's state, then go to episodes as OutreachEvents.

An opt-out is stored and reported before anything is sent back (MSG-2: honoured at once): the
confirmation text is a courtesy that may fail (a landline, the provider down) without the
revocation being lost. Twilio confirms its own STOP keywords (``OptOutType``) and a keypress on
a call is confirmed by the call itself, so the hub texts a confirmation only for other wordings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from agents.deadletter import dead_letter
from agents.topics import Topics
from hub.adapters.outbound import ProviderError
from hub.domain import outreach as core
from hub.domain.messages import OutreachEvent
from hub.domain.phone_state import PhoneState
from hub.domain.replies import ReplyIntent, classify_reply, voice_digits
from hub.domain.templates import render
from hub.logs import get_logger
from hub.sending import Sender

log = get_logger("agents.inbound")


async def handle_inbound(phones: Any, topics: Topics, phone: str, value: dict[str, Any],
                         now: datetime, sender: Sender, practice: dict[str, str]) -> None:
    stored = phones.get(phone)
    state = PhoneState.from_dict(stored) if stored is not None else PhoneState(phone)
    if value["kind"] == "status":
        await _status(phones, topics, state, value, now)
        return
    channel: Literal["sms", "voice"]
    if value["kind"] == "sms_reply":
        intent = classify_reply(value["body"], value.get("opt_out_type"),
                                opted_out=state.opted_out)
        channel = "sms"
    else:
        intent = voice_digits(value.get("digits", ""))
        channel = "voice"
    opting_out = (intent.intent == "opt_out" or intent.also_opt_out) and not state.opted_out
    if opting_out:
        state = core.opt_out(state, now, via="keyword" if channel == "sms" else "voice_key")
    elif intent.intent == "opt_in":
        state = core.opt_in(state)
    confirm = opting_out and channel == "sms" and not value.get("opt_out_type")
    if confirm:
        state, confirm = core.confirm_opt_out(state)  # recorded first: never a second one
    phones[phone] = state.to_dict()
    if not state.patient_key:
        log.warning("inbound.unknown_sender", intent=intent.intent)
        await dead_letter(topics, "outreach", value, code="unknown_sender",
                          message="a reply from a number the hub never contacted")
    else:
        await _emit(topics, OutreachEvent(
            "reply", state.patient_key, state.episode_id, value.get("command_id"), channel,
            "received", now, provider_sid=value.get("provider_sid"), intent=intent.intent,
            reason="also_opt_out" if intent.also_opt_out else None,
            reply_text=value.get("body") or value.get("digits")))
    await _answer(state, intent, value, sender, practice, confirm)


async def _status(phones: Any, topics: Topics, state: PhoneState, value: dict[str, Any],
                  now: datetime) -> None:
    state = core.apply_status(state, value["provider_sid"] or "", value["status"], now,
                              error_code=value.get("error_code"),
                              command_id=value.get("command_id"))
    phones[state.phone] = state.to_dict()
    if state.patient_key:
        command_id = value.get("command_id") or state.command_for_sid(value["provider_sid"] or "")
        await _emit(topics, OutreachEvent(
            "status", state.patient_key, state.episode_id, command_id,
            "voice" if value.get("channel") == "voice" else "sms", value["status"], now,
            provider_sid=value["provider_sid"], error_code=value.get("error_code")))


async def _answer(state: PhoneState, intent: ReplyIntent, value: dict[str, Any], sender: Sender,
                  practice: dict[str, str], confirm: bool) -> None:
    """MSG-2: the one opt-out confirmation; HELP/INFO gets the program and a contact."""
    if confirm:
        template = "opt_out_confirmation"
    elif intent.intent == "help_keyword" and not value.get("opt_out_type"):
        template = "help"
    else:
        return
    try:
        await sender.outbound.send_sms(state.phone, render(template, state.language or "en",
                                                           practice), status_callback=None)
    except ProviderError as error:
        log.warning("inbound.answer_not_sent", template=template,
                    provider_code=error.provider_code, http_status=error.http_status)


async def _emit(topics: Topics, event: OutreachEvent) -> None:
    await topics.outreach_events.send(key=event.patient_key, value=event.to_dict())

