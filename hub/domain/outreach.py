"""The outreach decisions for one phone, as pure functions: send now, defer, or suppress; and the
ledger transitions around a provider call (MSG-1, MSG-2, MSG-3, MSG-6)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hub.domain.contact_policy import ContactPolicy
from hub.domain.messages import OutreachCommand
from hub.domain.phone_state import ORDER, LedgerEntry, PhoneState

DONE = ("sending", "queued", "accepted", "scheduled", "sent", "delivered", "read", "undelivered",
        "in_doubt")
OPTED_OUT_CODES = frozenset({21610})
FINAL_CODES = frozenset({21211, 21612, 21614, 30003, 30006, 21408, 21606})
HISTORY = timedelta(days=8)  # enough send history for the weekly cap


@dataclass(frozen=True)
class SendNow:
    pass


@dataclass(frozen=True)
class Defer:
    until: datetime
    reason: str


@dataclass(frozen=True)
class Suppress:
    reason: str


Decision = SendNow | Defer | Suppress


@dataclass(frozen=True)
class Failure:
    reason: str
    final: bool
    retry_at: datetime | None
    voice_fallback: bool = False


def decide(state: PhoneState | None, command: OutreachCommand, *, now: datetime,
           policy: ContactPolicy) -> tuple[PhoneState, Decision]:
    state = state or PhoneState(command.to)
    state = replace(state, patient_key=command.patient_key, episode_id=command.episode_id)
    entry = state.entry(command.command_id)
    stamp = now.isoformat()
    if command.action == "cancel":
        if entry is None or entry.status in ("planned", "deferred"):
            state = state.with_entry(command.command_id, LedgerEntry(
                "cancelled", command.channel, stamp))
        return state, Suppress("cancelled")
    if entry is not None and (entry.status in DONE or entry.status == "cancelled"):
        return state, Suppress("duplicate" if entry.status != "cancelled" else "cancelled")

    def suppressed(reason: str) -> tuple[PhoneState, Decision]:
        return state.with_entry(command.command_id, LedgerEntry(
            "suppressed", command.channel, stamp)), Suppress(reason)

    if state.opted_out:
        return suppressed("opted_out")  # MSG-2: honoured immediately
    if now > command.expires_at:
        return suppressed("expired")
    if command.channel == "sms" and len(command.body) > policy.sms_max_chars:
        return suppressed("sms_too_long")  # MSG-1
    wanted = max(now, command.not_before)
    slot = policy.next_slot(wanted, ZoneInfo(command.zone), state.sent_times())
    if slot > now:
        if slot > command.expires_at:
            return suppressed("no_allowed_slot_before_expiry")
        zone = ZoneInfo(command.zone)
        reason = ("not_yet_due" if slot == wanted
                  else "quiet_hours" if not policy.quiet_hours.allows(wanted, zone)
                  else "frequency_cap")
        state = state.with_entry(command.command_id, LedgerEntry(
            "deferred", command.channel, stamp, deferred_until=slot.isoformat(),
            command=command.to_dict()))
        return state, Defer(slot, reason)
    return state, SendNow()


def mark_sending(state: PhoneState, command: OutreachCommand, now: datetime) -> PhoneState:
    """Written and made durable before the provider is called (architecture: send ledger)."""
    previous = state.entry(command.command_id)
    attempts = previous.attempts + 1 if previous else 1
    return state.with_entry(command.command_id, LedgerEntry(
        "sending", command.channel, now.isoformat(), attempts=attempts,
        command=command.to_dict()))


def mark_sent(state: PhoneState, command_id: str, provider_sid: str, status: str, now: datetime
              ) -> PhoneState:
    entry = state.entry(command_id)
    assert entry is not None
    recent = tuple(s for s in state.sent_at if now - datetime.fromisoformat(s) < HISTORY)
    state = replace(state, sent_at=(*recent, now.isoformat()))
    return state.with_entry(command_id, replace(entry, status="sent" if status in (
        "queued", "accepted", "scheduled", "sending", "") else status, provider_sid=provider_sid,
        updated_at=now.isoformat()))


def mark_failed(state: PhoneState, command_id: str, error_code: int | None, now: datetime,
                *, jitter: float = 0.0) -> tuple[PhoneState, Failure]:
    entry = state.entry(command_id)
    assert entry is not None
    stamp = now.isoformat()
    if error_code in OPTED_OUT_CODES:
        state = replace(state, opted_out=True, opted_out_at=stamp)
        failure = Failure("recipient_opted_out", True, None)
    elif error_code in FINAL_CODES:
        failure = Failure(f"provider_error_{error_code}", True, None,
                          voice_fallback=error_code in (21614, 30006))
    else:
        retry_at = now + backoff(entry.attempts, jitter)
        failure = Failure(f"retriable_error_{error_code}", False, retry_at)
    status = "failed" if failure.final else "deferred"
    return state.with_entry(command_id, replace(
        entry, status=status, last_error_code=error_code, updated_at=stamp,
        deferred_until=failure.retry_at.isoformat() if failure.retry_at else None)), failure


def backoff(attempt: int, jitter: float = 0.0) -> timedelta:
    """Exponential backoff, capped at 30 minutes; ``jitter`` in [0, 1) comes from the caller."""
    seconds = min(30 * 2 ** max(attempt - 1, 0), 1800)
    return timedelta(seconds=seconds * (1 + jitter))


def apply_status(state: PhoneState, provider_sid: str, status: str, now: datetime) -> PhoneState:
    """Status callbacks arrive out of order (MSG-6): a ledger entry never moves backwards."""
    for command_id, entry in state.ledger.items():
        if entry.provider_sid == provider_sid:
            if ORDER.get(status, 0) > ORDER.get(entry.status, 0):
                return state.with_entry(command_id, replace(entry, status=status,
                                                            updated_at=now.isoformat()))
            return state
    return state


def in_doubt(state: PhoneState, now: datetime, grace: timedelta) -> list[str]:
    """Entries stuck in "sending": a crash between the provider call and the ledger write."""
    return [cid for cid, entry in state.ledger.items()
            if entry.status == "sending" and now - datetime.fromisoformat(entry.updated_at) > grace]


def opt_out(state: PhoneState, now: datetime) -> PhoneState:
    return replace(state, opted_out=True, opted_out_at=now.isoformat())


def opt_in(state: PhoneState) -> PhoneState:
    return replace(state, opted_out=False, opted_out_at=None, opt_out_confirmed=False)
