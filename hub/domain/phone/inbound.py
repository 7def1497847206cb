"""A patient's message to the hub's number (an SMS, or a key pressed on a call), decided in one
place over the phone's state: what it means, who it is about, what the phone's consent becomes,
and what the hub answers. Pure: the outreach stage and ``hub simulate`` both call ``receive``.

- **Consent first (MSG-2).** An opt-out is in the returned state before anything else happens;
  the one confirmation text is an *answer* command that the send ledger handles like every
  other message (so a redelivered webhook answers once), the only text an opted-out number may
  get. Twilio confirms its own STOP keywords (``OptOutType``) and a key on a call is confirmed
  by the call itself, so the hub texts a confirmation only for other wordings.
- **HELP / INFO** gets the program and a contact, at most once a day per number (a patient
  who writes HELP again still reaches the care team, see below).
- **Who it is about (one number, several patients).** A reply goes to every episode still
  reaching out on the number. On a number shared by a household it is marked ``shared_phone``:
  the episodes do not treat it as that patient's answer (no step is stopped, "doing well" is
  not filed) and the care team reads it. A cancel or a closed episode never moves the number
  to another patient. A reply after every window has closed goes to the last patient texted.
- Answers go out at once: the patient has just written, and the FCC expects the confirmation
  within minutes; they are not outreach, so the daily and weekly caps neither apply to nor
  count them. One that cannot go in time (the provider down) expires instead of arriving late.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from hub.domain.messages import ANSWER_PREFIX, Channel, OutreachCommand, OutreachEvent
from hub.domain.phone import ledger
from hub.domain.phone.policy import as_utc
from hub.domain.phone.replies import ReplyIntent, classify_reply, voice_digits
from hub.domain.phone.state import PhoneState
from hub.domain.templates import render

ANSWER_EXPIRY = {"opt_out_confirmation": timedelta(minutes=5), "help": timedelta(hours=1)}
HELP_AGAIN_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Received:
    state: PhoneState
    intent: ReplyIntent
    events: tuple[OutreachEvent, ...]  # one per episode the message goes to
    answer: OutreachCommand | None = None  # to send through the ledger, like any message

    @property
    def unknown_sender(self) -> bool:
        return not self.events



def receive(state: PhoneState | None, phone: str, value: Mapping[str, Any], now: datetime,
            practice: Mapping[str, str]) -> Received:
    """``value`` is an ``outreach.inbound`` record of kind ``sms_reply`` or ``call_reply``."""
    state = state or PhoneState(phone)
    channel: Channel
    if value["kind"] == "sms_reply":
        intent = classify_reply(value.get("body") or "", value.get("opt_out_type"),
                                opted_out=state.opted_out)
        channel, text = "sms", value.get("body") or ""
    else:
        intent = voice_digits(value.get("digits") or "")
        channel, text = "voice", value.get("digits") or ""
    opting_out = (intent.intent == "opt_out" or intent.also_opt_out) and not state.opted_out
    if opting_out:
        state = ledger.opt_out(state, now, via=("opt_out_type" if value.get("opt_out_type")
                                              else "keyword" if channel == "sms" else "voice_key"))
    elif intent.intent == "opt_in":
        state = ledger.opt_in(state)
    template = _answer_template(state, intent, value, channel, opting_out, now)
    if template == "opt_out_confirmation":
        state, _ = ledger.confirm_opt_out(state)  # recorded first: never a second one
    targets = _targets(state, value.get("command_id"), now)
    shared = len(set(targets.values())) > 1
    events = tuple(OutreachEvent(
        "reply", patient_key, episode_id, value.get("command_id"), channel, "received", now,
        provider_sid=value.get("provider_sid"), intent=intent.intent,
        reason=_reason(intent, shared), reply_text=text) for episode_id, patient_key in
        targets.items())
    answer = _answer(state, template, value, targets, now, practice) if template else None
    return Received(state, intent, events, answer)


def _answer_template(state: PhoneState, intent: ReplyIntent, value: Mapping[str, Any],
                     channel: str, opting_out: bool, now: datetime
                     ) -> Literal["opt_out_confirmation", "help"] | None:
    if channel != "sms" or value.get("opt_out_type"):
        return None  # Twilio answers its own keywords; a call confirms on the call
    if opting_out and not state.opt_out_confirmed:
        return "opt_out_confirmation"
    if intent.intent == "help_keyword" and not state.opted_out and not _helped_lately(state, now):
        return "help"
    return None


def _helped_lately(state: PhoneState, now: datetime) -> bool:
    return any(cid.startswith(f"{ANSWER_PREFIX}help:") and entry.status not in (
        "suppressed", "failed", "cancelled") and as_utc(now) - as_utc(entry.updated_at) <
        HELP_AGAIN_AFTER for cid, entry in state.ledger.items())


def _targets(state: PhoneState, command_id: str | None, now: datetime) -> dict[str, str]:
    """Episode id -> patient key the message is about (see the module docstring)."""
    open_now = state.open_episodes(as_utc(now))
    owner = state.owner_of(command_id)
    if command_id and owner:  # a key pressed on one call: that call's episode, whoever else
        return {owner[0]: owner[1]}  # shares the number
    return open_now or (dict([owner]) if owner else {})


def _reason(intent: ReplyIntent, shared: bool) -> str | None:
    reasons = [r for r, on in (("also_opt_out", intent.also_opt_out),
                               ("shared_phone", shared)) if on]
    return ",".join(reasons) or None


def _answer(state: PhoneState, template: str, value: Mapping[str, Any],
            targets: Mapping[str, str], now: datetime, practice: Mapping[str, str]
            ) -> OutreachCommand:
    """The answer as a command whose id is the inbound message's: a redelivered webhook makes
    the same command, and the ledger sends it once."""
    language = state.language or "en"
    episode_id, patient_key = next(iter(targets.items()), ("", ""))
    now = as_utc(now)
    source = value.get("provider_sid") or now.isoformat()
    return OutreachCommand(
        command_id=f"{ANSWER_PREFIX}{template}:{source}", episode_id=episode_id,
        patient_key=patient_key, step=template, channel="sms", to=state.phone,
        template=template, language=language, body=render(template, language, practice),
        not_before=now, expires_at=now + ANSWER_EXPIRY[template], zone=state.zone or "UTC",
        facility="")

