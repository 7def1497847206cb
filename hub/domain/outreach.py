"""The outreach decisions for one phone, as pure functions over ``PhoneState``: send now, defer
or suppress a command (MSG-1, MSG-2, MSG-3), and the send-ledger transitions around a provider
call (MSG-6). Each returns a new state; none reads the clock.

The stage's protocol, which makes "never texted twice for one command" hold across crashes:
``decide`` -> on ``SendNow``: ``mark_sending``, save, call the provider -> ``mark_sent`` or
``mark_failed``. An entry left in flight (a crash mid-call, a request without an answer) is
``reconcile``d with what the provider says before anything is resent
(``hub.services.delivery``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.domain.contact_policy import ContactPolicy, NoCommonHours, as_utc
from hub.domain.messages import OutreachCommand
from hub.domain.phone_state import (
    IN_FLIGHT,
    PROVIDER_RANK,
    PROVIDER_TO_LEDGER,
    WAITING,
    LedgerEntry,
    LedgerStatus,
    OptOutVia,
    PhoneState,
    is_answer,
)
from hub.domain.phone_zones import zones_of_number
from hub.errors import HubError

DEFER_REASONS = frozenset({"quiet_hours", "frequency_cap", "not_yet_due", "retry_backoff"})
HISTORY = timedelta(days=9)  # covers any 7 local days, whatever the DST shifts
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


class LedgerError(HubError):
    """A ledger transition the send protocol forbids (a bug in the caller, never retried)."""

    code = "ledger_error"


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
    answer = is_answer(command.command_id)
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


def forget_settled(state: PhoneState, before: datetime) -> PhoneState:
    """Bounded state: settled entries last updated before ``before`` are dropped; waiting and
    in-flight ones are kept whatever their age (they may still go, or be looked up)."""
    old = [cid for cid, e in state.ledger.items() if e.status not in WAITING | IN_FLIGHT
           and as_utc(e.updated_at) < before]
    if not old:
        return state
    return replace(state, ledger={cid: e for cid, e in state.ledger.items() if cid not in old})


def mark_sending(state: PhoneState, command: OutreachCommand | str, now: datetime) -> PhoneState:
    """Recorded, and made durable by the stage, *before* the provider is called.

    Takes the command id; the command itself is accepted too (then a missing entry is created).
    """
    command_id = command if isinstance(command, str) else command.command_id
    entry = state.entry(command_id)
    if entry is None and isinstance(command, OutreachCommand):
        entry = LedgerEntry("planned", command.channel, now, command=command.to_dict())
    if entry is None:
        raise LedgerError("mark_sending for a command never decided", code="unknown_command")
    if entry.status not in WAITING:
        raise LedgerError(f"mark_sending on a {entry.status} entry", code="duplicate_send")
    return state.with_entry(command_id, replace(
        entry, status="sending", updated_at=as_utc(now), attempts=entry.attempts + 1,
        deferred_until=None, reason=None))


def mark_sent(state: PhoneState, command_id: str, provider_sid: str, status: str,
              now: datetime) -> PhoneState:
    """The provider took the message: its SID and first status. A replay changes nothing."""
    entry = _require(state, command_id)
    if entry.provider_sid == provider_sid:
        return state
    if entry.status not in IN_FLIGHT or entry.provider_sid is not None:
        raise LedgerError(f"mark_sent on a {entry.status} entry", code="duplicate_send")
    return _handed_off(state, command_id, entry, provider_sid, status, as_utc(now), as_utc(now))


def _handed_off(state: PhoneState, command_id: str, entry: LedgerEntry, sid: str, status: str,
                at: datetime, now: datetime) -> PhoneState:
    recent = tuple(s for s in state.sent_at if now - s < HISTORY)
    known = status if status in PROVIDER_RANK else None
    state = replace(state, sent_at=recent if is_answer(command_id) else (*recent, at))
    return state.with_entry(command_id, replace(
        entry, status=PROVIDER_TO_LEDGER.get(status, "sent"), provider_sid=sid,
        provider_status=known, updated_at=now, reason=None, command=None,
        handed_off_at=None if is_answer(command_id) else at))


class FailureKind(StrEnum):
    OPTED_OUT = "opted_out"  # 21610: blocked until START
    INVALID_NUMBER = "invalid_number"  # 21211
    NOT_SMS_CAPABLE = "not_sms_capable"  # 21614: a landline, a call may reach it
    UNROUTABLE = "unroutable"  # 21612
    UNREACHABLE = "unreachable"  # 30003 handset off / 30006 landline: final for SMS
    REJECTED = "rejected"  # any other refusal from the provider: final
    RETRIABLE = "retriable"  # 20429, HTTP 429: back off and retry
    RETRIES_EXHAUSTED = "retries_exhausted"
    UNKNOWN = "unknown"  # no answer, or a 5xx: the provider may have it (in doubt, looked up)


FINAL_CODES = {21211: FailureKind.INVALID_NUMBER, 21614: FailureKind.NOT_SMS_CAPABLE,
               21612: FailureKind.UNROUTABLE, 30003: FailureKind.UNREACHABLE,
               30006: FailureKind.UNREACHABLE, 21610: FailureKind.OPTED_OUT}
VOICE_FALLBACK = frozenset({FailureKind.NOT_SMS_CAPABLE, FailureKind.UNREACHABLE})


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    reason: str  # kind and code, for the outreach event (never PHI)
    final: bool  # this command will not be tried again
    retry_at: datetime | None = None
    voice_fallback: bool = False  # an SMS the number cannot take: a call may still reach it


def classify_failure(error_code: int | None, http_status: int | None = None) -> FailureKind:
    """MSG-6: which provider errors are final, which are worth a retry."""
    if error_code in FINAL_CODES:
        return FINAL_CODES[error_code]
    if error_code in (20429, 429) or http_status == 429:
        return FailureKind.RETRIABLE  # refused before anything was created: back off, retry
    if (error_code is None and http_status is None) or (http_status or 0) >= 500:
        return FailureKind.UNKNOWN  # a timeout or a 5xx: Twilio may have created it (in doubt)
    return FailureKind.REJECTED


def backoff(attempt: int, jitter: float = 0.0, *, base: timedelta = timedelta(seconds=30),
            cap: timedelta = timedelta(minutes=30)) -> timedelta:
    """Exponential from ``base``, never above ``cap``; ``jitter`` in [0, 1] comes from the
    caller (random in production, fixed in tests) and stretches the delay by up to 100 %."""
    if not 0.0 <= jitter <= 1.0:
        raise ValueError("jitter is a fraction in [0, 1]")
    doublings = min(max(attempt - 1, 0), 30)  # bounded: timedelta overflows long before 2**64
    delay: timedelta = base * (1 << doublings) * (1 + jitter)
    return min(delay, cap)


def mark_failed(state: PhoneState, command_id: str, error_code: int | None, now: datetime, *,
                http_status: int | None = None, jitter: float = 0.0, max_attempts: int = 5
                ) -> tuple[PhoneState, Failure]:
    """The provider refused the message (MSG-6). Retriable errors come back as a deferred entry
    (the stage re-decides it then, so hours and caps still hold); final ones never go."""
    entry = _require(state, command_id)
    if entry.status != "sending":
        raise LedgerError(f"mark_failed on a {entry.status} entry", code="not_sending")
    now = as_utc(now)
    kind = classify_failure(error_code, http_status)
    if kind is FailureKind.RETRIABLE and entry.attempts >= max_attempts:
        kind = FailureKind.RETRIES_EXHAUSTED
    code = error_code or http_status
    reason = f"{kind}_{code}" if code else str(kind)
    retry_at = now + backoff(entry.attempts, jitter) if kind is FailureKind.RETRIABLE else None
    if kind is FailureKind.OPTED_OUT:
        state = opt_out(state, now, via="provider_21610")
    status: LedgerStatus = ("deferred" if retry_at else "in_doubt" if kind is FailureKind.UNKNOWN
              else "failed")
    state = state.with_entry(command_id, replace(
        entry, status=status, updated_at=now, last_error_code=error_code, deferred_until=retry_at,
        reason=reason, command=entry.command if status != "failed" else None))
    return state, Failure(kind, reason, final=status == "failed", retry_at=retry_at,
                          voice_fallback=kind in VOICE_FALLBACK and entry.channel == "sms")


def apply_status(state: PhoneState, provider_sid: str, status: str, now: datetime, *,
                 error_code: int | None = None, command_id: str | None = None) -> PhoneState:
    """A Twilio status callback. They arrive out of order (MSG-6): an entry only moves forward,
    so a late "sent" after "delivered" is ignored. ``command_id`` (when the callback URL carries
    it) ties a callback to a send whose SID was never recorded (crash mid-call)."""
    rank = PROVIDER_RANK.get(status)
    found = state.command_for_sid(provider_sid) if provider_sid else None
    if rank is None or (found is None and command_id is None):
        return state
    now = as_utc(now)
    if found is None and command_id is not None:
        adopted = state.entry(command_id)
        if adopted is None or adopted.status not in IN_FLIGHT or adopted.provider_sid is not None:
            return state
        state = _handed_off(state, command_id, adopted, provider_sid, status, adopted.updated_at,
                            now)
        found = command_id
    assert found is not None
    entry = _require(state, found)
    if error_code == 21610:
        state = opt_out(state, now, via="provider_21610")
    if entry.provider_status is not None and PROVIDER_RANK[entry.provider_status] >= rank:
        return state
    state = _uncount_if_never_received(state, entry, status, error_code)
    return state.with_entry(found, replace(
        entry, status=PROVIDER_TO_LEDGER[status], provider_status=status, updated_at=now,
        last_error_code=error_code if error_code is not None else entry.last_error_code))


def _uncount_if_never_received(state: PhoneState, entry: LedgerEntry, status: str,
                               error_code: int | None) -> PhoneState:
    """A text the carrier could not deliver because the number takes none (30006 landline,
    30003 handset unreachable) or is no number (21211, 21612) reached nobody: it no longer
    counts for the caps (MSG-1), so the call that replaces it can go the same day."""
    never = {FailureKind.NOT_SMS_CAPABLE, FailureKind.UNREACHABLE, FailureKind.INVALID_NUMBER,
             FailureKind.UNROUTABLE}
    if status not in ("undelivered", "failed") or error_code is None or \
            classify_failure(error_code) not in never or entry.handed_off_at is None:
        return state
    sent = list(state.sent_at)
    if entry.handed_off_at in sent:
        sent.remove(entry.handed_off_at)
    return replace(state, sent_at=tuple(sent))


def reconcile(state: PhoneState, command_id: str, *, provider_sid: str | None,
              provider_status: str | None, now: datetime) -> PhoneState:
    """What the provider said about an in-doubt send: it has it (record the SID; it counts for
    the caps from when it was sent) or it never got it (deferred to now: decided afresh)."""
    entry = _require(state, command_id)
    if entry.status not in IN_FLIGHT:
        return state
    if provider_sid is not None:
        return _handed_off(state, command_id, entry, provider_sid, provider_status or "sent",
                           entry.updated_at, as_utc(now))
    if entry.cancel_requested:  # cancelled while in doubt, and it never went: it never will
        return state.with_entry(command_id, replace(
            entry, status="cancelled", updated_at=as_utc(now), reason="cancelled", command=None))
    return state.with_entry(command_id, replace(
        entry, status="deferred", updated_at=as_utc(now), deferred_until=as_utc(now),
        reason="reconciled_not_sent"))


def give_up(state: PhoneState, command_id: str, now: datetime, reason: str) -> PhoneState:
    """An in-flight send that reconciliation could not settle after many tries: final, so
    it is neither retried forever nor counted against the caps any longer."""
    entry = _require(state, command_id)
    return state.with_entry(command_id, replace(entry, status="failed", updated_at=as_utc(now),
                                                reason=reason, command=None))


def opt_out(state: PhoneState, now: datetime, via: OptOutVia = "keyword") -> PhoneState:
    """MSG-2: honoured at once; the first revocation's time and channel are kept."""
    if state.opted_out:
        return state
    return replace(state, opted_out=True, opted_out_at=as_utc(now), opted_out_via=via,
                   opt_out_confirmed=False)


def confirm_opt_out(state: PhoneState) -> tuple[PhoneState, bool]:
    """MSG-2: one confirmation text per revocation. True: send it now (and it is recorded)."""
    if not state.opted_out or state.opt_out_confirmed:
        return state, False
    return replace(state, opt_out_confirmed=True), True


def opt_in(state: PhoneState) -> PhoneState:
    """START / YES (when opted out) / UNSTOP (MSG-2)."""
    return replace(state, opted_out=False, opted_out_at=None, opted_out_via=None,
                   opt_out_confirmed=False)


def _confirmation(command: OutreachCommand) -> bool:
    """MSG-2: the one text an opted-out number may still get."""
    return is_answer(command.command_id) and command.template == "opt_out_confirmation"


def _require(state: PhoneState, command_id: str) -> LedgerEntry:
    entry = state.entry(command_id)
    if entry is None:
        raise LedgerError("no ledger entry for this command", code="unknown_command")
    return entry


def _number_zones(phone: str, zone: ZoneInfo) -> tuple[ZoneInfo, ...]:
    """MSG-3: the zones the patient's number points to, besides the command's own."""
    return tuple(ZoneInfo(name) for name in zones_of_number(phone) if name != zone.key)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise HubError("the command's time zone is unknown", code="unknown_zone") from exc
