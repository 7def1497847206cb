"""Inbound webhooks for the outreach stage (same partition as the phone's commands): replies,
keypresses and status callbacks update the phone's state, then go to episodes as OutreachEvents.

What a message means, whom it is about and what the hub answers is decided by
``hub.domain.phone.inbound.receive``. An opt-out is stored before anything is sent back (MSG-2:
honoured at once); the answer (the one opt-out confirmation, or the HELP text) then goes through
the send ledger like every other message, so a redelivered webhook answers once, and a failed
answer (a landline, the provider down) never loses the revocation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from agents.deadletter import dead_letter
from agents.topics import OUTREACH_INBOUND, Topics
from hub.adapters.metrics import IN_DOUBT, OUTREACH
from hub.domain.alerts.pages import page_result
from hub.domain.messages import OutreachEvent, is_care_team
from hub.domain.phone import ledger
from hub.domain.phone.inbound import receive
from hub.domain.phone.state import PhoneState
from hub.logs import get_logger
from hub.services.delivery import Sender

log = get_logger("agents.inbound")
FINAL_PAGE_ERRORS = frozenset({21211, 21610, 21614})  # invalid, opted out, not mobile


async def handle_inbound(phones: Any, topics: Topics, phone: str, value: dict[str, Any],
                         now: datetime, sender: Sender, practice: dict[str, str],
                         flush: Callable[[], Awaitable[None]]) -> None:
    """``flush`` makes the phone's state durable on Kafka (before an answer goes out)."""
    stored = phones.get(phone)
    state = PhoneState.from_dict(stored) if stored is not None else PhoneState(phone)
    if value["kind"] == "status":
        await _status(phones, topics, state, value, now)
        return
    received = receive(state, phone, value, now, practice)
    phones[phone] = received.state.to_dict()
    if received.unknown_sender:
        log.warning("inbound.unknown_sender", intent=received.intent.intent)
        await dead_letter(topics, "outreach", value, code="unknown_sender",
                          message="a reply from a number the hub never contacted",
                          source=OUTREACH_INBOUND, key=phone)
    for event in received.events:
        await _emit(topics, event)
    if received.answer is None:
        return

    async def save(new_state: PhoneState) -> None:
        phones[phone] = new_state.to_dict()
        await flush()  # the "sending" entry is on Kafka before the provider is called

    outcome = await sender.handle(received.state, received.answer, now=now, save=save)
    phones[phone] = outcome.state.to_dict()
    for result in outcome.events:
        if result.patient_key:
            await _emit(topics, result)


async def _status(phones: Any, topics: Topics, state: PhoneState, value: dict[str, Any],
                  now: datetime) -> None:
    state = ledger.apply_status(state, value["provider_sid"] or "", value["status"], now,
                              error_code=value.get("error_code"),
                              command_id=value.get("command_id"))
    phones[state.phone] = state.to_dict()
    command_id = value.get("command_id") or state.command_for_sid(value["provider_sid"] or "")
    if command_id and is_care_team(command_id):  # a page the provider took, then could not
        entry = state.entry(command_id)
        if entry is not None and entry.command is not None:
            await emit_result(topics, OutreachEvent(
                "status", entry.command["patient_key"], entry.command["episode_id"], command_id,
                "sms", value["status"], now, provider_sid=value["provider_sid"],
                error_code=value.get("error_code")))
        return
    owner = state.owner_of(command_id)
    if owner is not None:  # the episode that sent it, also on a number a household shares
        await _emit(topics, OutreachEvent(
            "status", owner[1], owner[0], command_id,
            "voice" if value.get("channel") == "voice" else "sms", value["status"], now,
            provider_sid=value["provider_sid"], error_code=value.get("error_code")))


async def _emit(topics: Topics, event: OutreachEvent) -> None:
    await emit_result(topics, event)


async def emit_result(topics: Topics, event: OutreachEvent) -> None:
    """Back to the patient's episode on ``outreach.events``; a care-team page's result goes to
    the alerts stage instead (``alerts.results``, keyed like the alert's book)."""
    OUTREACH.labels(event.channel, event.status, str(event.error_code or "")).inc()
    if event.status == "in_doubt":
        IN_DOUBT.inc()
    if event.command_id and is_care_team(event.command_id):
        result = page_result(event.command_id, event.episode_id, event.status, event.reason,
                             final=event.error_code in FINAL_PAGE_ERRORS)
        if result is not None:
            await topics.alert_results.send(key=event.patient_key, value=result)
        return
    await topics.outreach_events.send(key=event.patient_key, value=event.to_dict())
