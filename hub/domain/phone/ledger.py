"""The send ledger of one phone, as pure functions over ``PhoneState``: the transitions around
a provider call (MSG-6: sending, sent, failed, reconciled, given up), the provider's status
callbacks, and the phone's opt-out and opt-in (MSG-2). Each returns a new state; none reads the
clock.

The stage's protocol, which makes "never texted twice for one command" hold across crashes:
``hub.domain.phone.decision.decide`` -> on ``SendNow``: ``mark_sending``, save, call the provider ->
``mark_sent`` or ``mark_failed``. An entry left in flight (a crash mid-call, a request without
an answer) is ``reconcile``d with what the provider says before anything is resent
(``hub.services.delivery``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hub.domain.messages import OutreachCommand, is_answer, is_care_team
from hub.domain.phone.policy import as_utc
from hub.domain.phone.state import (
    IN_FLIGHT,
    PROVIDER_RANK,
    PROVIDER_TO_LEDGER,
    WAITING,
    LedgerEntry,
    LedgerStatus,
    OptOutVia,
    PhoneState,
)
from hub.domain.provider_failures import (
    VOICE_FALLBACK,
    Failure,
    FailureKind,
    backoff,
    classify_failure,
)
from hub.errors import HubError

HISTORY = timedelta(days=9)  # sends kept for the caps: any 7 local days, whatever the DST shifts

class LedgerError(HubError):
    """A ledger transition the send protocol forbids (a bug in the caller, never retried)."""

    code = "ledger_error"


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
        provider_status=known, updated_at=now, reason=None,
        # a care-team page keeps its command: a later "undelivered" goes back to its alert
        command=entry.command if is_care_team(command_id) else None,
        handed_off_at=None if is_answer(command_id) else at))


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


def _require(state: PhoneState, command_id: str) -> LedgerEntry:
    entry = state.entry(command_id)
    if entry is None:
        raise LedgerError("no ledger entry for this command", code="unknown_command")
    return entry


