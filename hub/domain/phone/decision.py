"""The outreach decision for one command to one phone, a pure function over ``PhoneState``:
send now, defer or suppress it (MSG-1, MSG-2, MSG-3). The ledger transitions around the
provider call are in ``hub.domain.phone.ledger``, the reading of a provider's refusal in
``hub.domain.provider_failures``. None reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.domain.messages import OutreachCommand, is_answer, is_care_team
from hub.domain.phone.ledger import LedgerError, forget_settled
from hub.domain.phone.policy import ContactPolicy, NoCommonHours, as_utc
from hub.domain.phone.state import (
    IN_FLIGHT,
    WAITING,
    LedgerEntry,
    PhoneState,
)
from hub.domain.phone.zones import zones_of_number
from hub.errors import HubError

DEFER_REASONS = frozenset({"quiet_hours", "frequency_cap", "not_yet_due", "retry_backoff"})
SETTLED_REASON = {"sending": "duplicate", "sent": "duplicate", "delivered": "duplicate",
                  "undelivered": "duplicate", "in_doubt": "in_doubt", "failed": "already_failed",
                  "cancelled": "cancelled"}


@dataclass(frozen=True)
class SendNow:
    pass


@dataclass(frozen=True)
class Defer:
    until: datetime  # in the patient's zone
    reason: str  # quiet_hours, frequency_cap, not_yet_due, retry_backoff


@dataclass(frozen=True)
class Suppress:
    reason: str  # opted_out, expired, duplicate, in_doubt, already_failed, cancelled, ...


Decision = SendNow | Defer | Suppress


def decide(state: PhoneState | None, command: OutreachCommand, *, now: datetime,
           policy: ContactPolicy) -> tuple[PhoneState, Decision]:
    """What to do with ``command`` now; the returned state's ledger records the decision."""
    now = as_utc(now)
    state = state or PhoneState(command.to)
    if state.phone != command.to:
        raise LedgerError("a command for another phone", code="wrong_phone")
    state = forget_settled(state, now - timedelta(days=policy.ledger_retention_days))
    entry = state.entry(command.command_id)
    if command.action == "cancel":  # never moves the phone to another patient (shared numbers)
        return _cancel(state, command, entry, now)
    # the patient's own message answered, or a page to the care team: at once, outside the
    # patient's caps and hours, and never binding the phone to a patient
    answer = is_answer(command.command_id) or is_care_team(command.command_id)
    if not answer:
        state = replace(state, patient_key=command.patient_key, episode_id=command.episode_id,
                        language=command.language, zone=command.zone).with_episode(
            command.episode_id, command.patient_key,
            as_utc(max(command.expires_at, command.window_end or command.expires_at)))
    if entry is not None and entry.status in SETTLED_REASON:
        return state, Suppress(SETTLED_REASON[entry.status])
    zone = _zone(command.zone)

    def record(status: Literal["planned", "deferred", "suppressed"], reason: str | None,
               until: datetime | None = None) -> PhoneState:
        kept = command.to_dict() if status != "suppressed" else None
        return state.with_entry(command.command_id, LedgerEntry(
            status, command.channel, now, attempts=entry.attempts if entry else 0,
            last_error_code=entry.last_error_code if entry else None, deferred_until=until,
            reason=reason, command=kept))

    problem = ("opted_out" if state.opted_out and not _confirmation(command)  # MSG-2, calls too
               else "expired" if now > as_utc(command.expires_at)
               else policy.content_problem(command.channel, command.body))  # MSG-1
    if problem:
        return record("suppressed", problem), Suppress(problem)
    if answer:  # the patient just wrote: answered at once, outside the caps (MSG-2)
        return record("planned", None), SendNow()
    held = entry.deferred_until if entry is not None and entry.status in WAITING else None
    wanted = max(now, as_utc(command.not_before), *([as_utc(held)] if held else []))
    history = state.cap_history()
    also = _number_zones(command.to, zone)
    try:
        slot = as_utc(policy.next_slot(wanted, zone, history, also))
    except NoCommonHours:  # a number from the far side of the world: the facility's hours
        also = ()
        slot = as_utc(policy.next_slot(wanted, zone, history))
    if slot <= now:
        return record("planned", None), SendNow()
    if slot > as_utc(command.expires_at):
        return record("suppressed", "no_slot_before_expiry"), Suppress("no_slot_before_expiry")
    reason = policy.blocked_by(wanted, zone, history, also) or _still_waiting(entry, held, wanted)
    return record("deferred", reason, slot), Defer(slot.astimezone(zone), reason)


def _still_waiting(entry: LedgerEntry | None, held: datetime | None, wanted: datetime) -> str:
    """Why a command that breaks neither the hours nor the caps still waits: its earlier
    deferral (a redelivery gets the same answer), a retry backoff, or it is not due yet."""
    if entry is None or held is None or wanted != as_utc(held):
        return "not_yet_due"
    if entry.reason in DEFER_REASONS:
        return entry.reason
    return "retry_backoff" if entry.attempts > 0 else "not_yet_due"


def _cancel(state: PhoneState, command: OutreachCommand, entry: LedgerEntry | None,
            now: datetime) -> tuple[PhoneState, Decision]:
    """A13 / episode closed: a waiting message never goes; one already with Twilio stays sent;
    one in doubt (the provider may or may not have it) never goes if reconciliation finds that
    the provider does not have it."""
    if entry is not None and entry.status in IN_FLIGHT and entry.provider_sid is None:
        return state.with_entry(command.command_id, replace(entry, cancel_requested=True)), \
            Suppress("cancel_pending_reconcile")
    if entry is not None and entry.status not in (*WAITING, "suppressed"):
        return state, Suppress("cancelled" if entry.status == "cancelled" else "cancel_too_late")
    return state.with_entry(command.command_id, LedgerEntry(
        "cancelled", command.channel, now, attempts=entry.attempts if entry else 0,
        reason="cancelled")), Suppress("cancelled")


def _confirmation(command: OutreachCommand) -> bool:
    """MSG-2: the one text an opted-out number may still get."""
    return is_answer(command.command_id) and command.template == "opt_out_confirmation"


def _number_zones(phone: str, zone: ZoneInfo) -> tuple[ZoneInfo, ...]:
    """MSG-3: the zones the patient's number points to, besides the command's own."""
    return tuple(ZoneInfo(name) for name in zones_of_number(phone) if name != zone.key)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise HubError("the command's time zone is unknown", code="unknown_zone") from exc
