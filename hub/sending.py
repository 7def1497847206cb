"""The send path of the outreach stage, over ports: decide, record "sending", call the provider,
record the result. Every decision about one phone goes through here, whoever asked for it.

The ledger entry is written as "sending" and made durable *before* the provider is called
(``save``), so a crash between the call and the result leaves an in-doubt entry that is
reconciled, never a silent second text (architecture: at-least-once, idempotent handlers).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from hub.adapters.outbound import Outbound, ProviderError
from hub.domain import outreach as policy_core
from hub.domain.contact_policy import ContactPolicy
from hub.domain.messages import OutreachCommand, OutreachEvent
from hub.domain.phone_state import PhoneState
from hub.logs import get_logger

log = get_logger("hub.sending")

Save = Callable[[PhoneState], Awaitable[None]]


@dataclass
class SendOutcome:
    state: PhoneState
    events: list[OutreachEvent] = field(default_factory=list)
    retry_at: datetime | None = None  # when this command should come back (deferred, backoff)


class Sender:
    def __init__(self, outbound: Outbound, policy: ContactPolicy, *,
                 status_callback: str | None = None, voice_twiml: Callable[[OutreachCommand], str]):
        self._outbound = outbound
        self._policy = policy
        self._status_callback = status_callback
        self._voice_twiml = voice_twiml

    @property
    def outbound(self) -> Outbound:
        return self._outbound

    async def handle(self, state: PhoneState | None, command: OutreachCommand, *, now: datetime,
                     save: Save) -> SendOutcome:
        before = state.entry(command.command_id) if state else None
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
        state = policy_core.mark_sending(state, command, now)
        await save(state)
        try:
            if command.channel == "sms":
                receipt = await self._outbound.send_sms(command.to, command.body,
                                                        status_callback=self._status_callback)
            else:
                receipt = await self._outbound.place_call(command.to, self._voice_twiml(command),
                                                          status_callback=self._status_callback)
        except ProviderError as error:
            code = error.provider_code or (429 if error.http_status == 429 else None)
            state, failure = policy_core.mark_failed(state, command.command_id, code, now,
                                                     http_status=error.http_status)
            log.warning("outreach.provider_error", command_id=command.command_id,
                        provider_code=error.provider_code, http_status=error.http_status,
                        retriable=error.retriable)
            retry_at = failure.retry_at if error.retriable else None
            return SendOutcome(state, [self._event(command, "failed", now, reason=failure.reason,
                                                   error_code=code)], retry_at=retry_at)
        state = policy_core.mark_sent(state, command.command_id, receipt.sid, receipt.status, now)
        log.info("outreach.sent", command_id=command.command_id, sid=receipt.sid)
        return SendOutcome(state, [self._event(command, "sent", now, provider_sid=receipt.sid)])

    @staticmethod
    def _event(command: OutreachCommand, status: str, now: datetime, **extra: object
               ) -> OutreachEvent:
        return OutreachEvent(kind="send_result", patient_key=command.patient_key,
                             episode_id=command.episode_id, command_id=command.command_id,
                             channel=command.channel, status=status, at=now, **extra)  # type: ignore[arg-type]
