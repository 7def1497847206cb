"""The send path of the outreach stage, over ports: decide, record "sending", call the provider,
record the result. Every decision about one phone goes through here, whoever asked for it.

The ledger entry is written as "sending" and made durable *before* the provider is called
(``save``), so a crash between the call and the result leaves an entry in flight; so does a
request that got no answer. Such a send is never repeated blindly (architecture: at-least-once,
idempotent handlers): once the policy's ``in_doubt_seconds`` have passed, the provider is asked
whether it has it. It does: the send is recorded with its SID. It does not: the command is
decided afresh and sent, under the same hours and caps as any other.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

from hub.adapters.outbound import CallScript, Outbound, ProviderError
from hub.domain import provider_failures
from hub.domain.messages import OutreachCommand, OutreachEvent
from hub.domain.phone import decision as policy_core
from hub.domain.phone import ledger
from hub.domain.phone.policy import ContactPolicy, as_utc
from hub.domain.phone.state import (
    LedgerEntry,
    PhoneState,
    awaiting_reconcile,
    reconcile_at,
)
from hub.logs import get_logger

log = get_logger("hub.services.delivery")

Save = Callable[[PhoneState], Awaitable[None]]
MAX_RECONCILES = 5  # a send that keeps ending in doubt is given up, not tried forever


@dataclass
class SendOutcome:
    state: PhoneState
    events: list[OutreachEvent] = field(default_factory=list)
    retry_at: datetime | None = None  # when this command should come back (deferred, backoff)


def spread(command_id: str) -> float:
    """Backoff jitter in [0, 1): fixed per command, so retries after a 429 do not all come back
    in the same second, and a test can say when one will."""
    return zlib.crc32(command_id.encode()) / 2**32


class Sender:
    def __init__(self, outbound: Outbound, policy: ContactPolicy, *,
                 status_callback: str | None = None,
                 voice_call: Callable[[OutreachCommand], CallScript]):
        self._outbound = outbound
        self._policy = policy
        self._status_callback = status_callback
        self._voice_call = voice_call

    @property
    def outbound(self) -> Outbound:
        return self._outbound

    async def handle(self, state: PhoneState | None, command: OutreachCommand, *, now: datetime,
                     save: Save) -> SendOutcome:
        before = state.entry(command.command_id) if state else None
        if state is not None and before is not None and command.action != "cancel" \
                and awaiting_reconcile(before):
            settled, state = await self._reconcile(state, command, before, now)
            if settled is not None:
                return settled
            before = state.entry(command.command_id)
        state, decision = policy_core.decide(state, command, now=now, policy=self._policy)
        if command.action == "cancel":
            # only a cancel that stopped a waiting message is news; one for a sent message is not
            after = state.entry(command.command_id)
            stopped = after is not None and after.status == "cancelled" and after != before
            return SendOutcome(state, [self._event(command, "cancelled", now,
                                                   reason="cancelled")] if stopped else [])
        if isinstance(decision, policy_core.Defer):
            return SendOutcome(state, [self._event(command, "deferred", now, reason=decision.reason,
                                                   deferred_until=decision.until)],
                               retry_at=decision.until)
        if isinstance(decision, policy_core.Suppress):
            return SendOutcome(state, [self._event(command, "suppressed", now,
                                                   reason=decision.reason)])
        state = ledger.mark_sending(state, command, now)
        await save(state)
        callback = self._callback_for(command)
        try:
            if command.channel == "sms":
                receipt = await self._outbound.send_sms(command.to, command.body,
                                                        status_callback=callback)
            else:
                receipt = await self._outbound.place_call(command.to, self._voice_call(command),
                                                          status_callback=callback)
        except ProviderError as error:
            return self._failed(state, command, error, now)
        state = ledger.mark_sent(state, command.command_id, receipt.sid, receipt.status, now)
        log.info("outreach.sent", command_id=command.command_id, sid=receipt.sid,
                 control_id=command.control_id)
        return SendOutcome(state, [self._event(command, "sent", now, provider_sid=receipt.sid)])

    def _failed(self, state: PhoneState, command: OutreachCommand, error: ProviderError,
                now: datetime) -> SendOutcome:
        code = error.provider_code or (429 if error.http_status == 429 else None)
        state, failure = ledger.mark_failed(state, command.command_id, code, now,
                                                 http_status=error.http_status,
                                                 jitter=spread(command.command_id))
        log.warning("outreach.provider_error", command_id=command.command_id,
                    provider_code=error.provider_code, http_status=error.http_status,
                    retriable=error.retriable, in_doubt=failure.kind is
                    provider_failures.FailureKind.UNKNOWN)
        if failure.kind is provider_failures.FailureKind.UNKNOWN:
            entry = state.entry(command.command_id)
            assert entry is not None
            return SendOutcome(state, [self._event(command, "in_doubt", now,
                                                   reason=failure.reason)],
                               retry_at=reconcile_at(entry, self._policy))
        retry_at = failure.retry_at if error.retriable else None
        return SendOutcome(state, [self._event(command, "failed", now, reason=failure.reason,
                                               error_code=code)], retry_at=retry_at)

    async def _reconcile(self, state: PhoneState, command: OutreachCommand, entry: LedgerEntry,
                         now: datetime) -> tuple[SendOutcome | None, PhoneState]:
        """An in-flight send seen again: settled (an outcome), or (None, the state to decide
        the command afresh on) when the provider does not have it."""
        if as_utc(now) < reconcile_at(entry, self._policy):
            return SendOutcome(state, [], retry_at=reconcile_at(entry, self._policy)), state
        try:
            found = await self._outbound.find_sent(command.to, command.channel,
                                                   command.body if command.channel == "sms"
                                                   else None, entry.updated_at)
        except ProviderError as error:
            log.warning("outreach.reconcile_unanswered", command_id=command.command_id,
                        http_status=error.http_status)
            return SendOutcome(state, [], retry_at=as_utc(now) + timedelta(
                seconds=self._policy.in_doubt_seconds)), state
        if found is not None:
            state = ledger.reconcile(state, command.command_id, provider_sid=found.sid,
                                          provider_status=found.status, now=now)
            log.info("outreach.reconciled_sent", command_id=command.command_id, sid=found.sid)
            return SendOutcome(state, [self._event(command, "sent", now, provider_sid=found.sid,
                                                   reason="reconciled")]), state
        if entry.attempts >= MAX_RECONCILES:
            state = ledger.give_up(state, command.command_id, now, "in_doubt_exhausted")
            return SendOutcome(state, [self._event(command, "failed", now,
                                                   reason="in_doubt_exhausted")]), state
        log.info("outreach.reconciled_not_sent", command_id=command.command_id)
        state = ledger.reconcile(state, command.command_id, provider_sid=None,
                                      provider_status=None, now=now)
        settled = state.entry(command.command_id)
        if settled is not None and settled.status == "cancelled":  # cancelled while in doubt
            return SendOutcome(state, [self._event(command, "cancelled", now,
                                                   reason="cancelled")]), state
        return None, state

    def _callback_for(self, command: OutreachCommand) -> str | None:
        """The status callback carries the command id, so a callback for a send whose SID was
        never recorded (crash mid-call) still finds its ledger entry. The id holds no PHI."""
        if not self._status_callback:
            return None
        return f"{self._status_callback}?command_id={quote(command.command_id, safe='')}"

    @staticmethod
    def _event(command: OutreachCommand, status: str, now: datetime, **extra: object
               ) -> OutreachEvent:
        return OutreachEvent(kind="send_result", patient_key=command.patient_key,
                             episode_id=command.episode_id, command_id=command.command_id,
                             channel=command.channel, status=status, at=now, **extra)  # type: ignore[arg-type]
