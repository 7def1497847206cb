"""Inbound webhooks for the outreach stage (same partition as the phone's commands): replies,
keypresses and status callbacks update the phone's state, then go to episodes as OutreachEvents."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from agents.deadletter import dead_letter
from agents.topics import Topics
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
    kind = value["kind"]
    if kind == "status":
        state = core.apply_status(state, value["provider_sid"] or "", value["status"], now)
        phones[phone] = state.to_dict()
        if state.patient_key:
            await _emit(topics, OutreachEvent(
                "status", state.patient_key, state.episode_id, None, "sms", value["status"], now,
                provider_sid=value["provider_sid"], error_code=value.get("error_code")))
        return
    if kind == "sms_reply":
        intent = classify_reply(value["body"], value.get("opt_out_type"),
                                opted_out=state.opted_out)
        channel = "sms"
    else:
        intent = voice_digits(value.get("digits", ""))
        channel = "voice"
    state = await _apply_consent(state, intent, value, now, sender, practice)
    phones[phone] = state.to_dict()
    if not state.patient_key:
        log.warning("inbound.unknown_sender", intent=intent.intent)
        await dead_letter(topics, "outreach", value, code="unknown_sender",
                          message="a reply from a number the hub never contacted")
        return
    await _emit(topics, OutreachEvent(
        "reply", state.patient_key, state.episode_id, None, channel, "received", now,  # type: ignore[arg-type]
        provider_sid=value.get("provider_sid"), intent=intent.intent,
        reply_text=value.get("body") or value.get("digits")))


async def _apply_consent(state: PhoneState, intent: ReplyIntent, value: dict[str, Any],
                         now: datetime, sender: Sender, practice: dict[str, str]) -> PhoneState:
    """MSG-2: opt-out honoured at once with one confirmation; START opts back in; HELP answers."""
    if intent.intent == "opt_out" and not state.opted_out:
        state = core.opt_out(state, now)
        # Twilio confirms its own STOP keywords (OptOutType set); we confirm the other wordings
        if not value.get("opt_out_type") and not state.opt_out_confirmed:
            await sender.outbound.send_sms(state.phone, render("opt_out_confirmation", "en",
                                                               practice), status_callback=None)
            state = replace(state, opt_out_confirmed=True)
    elif intent.intent == "opt_in":
        state = core.opt_in(state)
    elif intent.intent == "help_keyword" and not value.get("opt_out_type"):
        await sender.outbound.send_sms(state.phone, render("help", "en", practice),
                                       status_callback=None)
    return state


async def _emit(topics: Topics, event: OutreachEvent) -> None:
    await topics.outreach_events.send(key=event.patient_key, value=event.to_dict())
