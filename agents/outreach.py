"""Stage **outreach**: keyed by E.164 phone, so every decision about one phone is made in one
place. Commands, ticks and inbound webhooks -> ``hub.services.delivery`` / ``hub.domain`` ->
provider -> ``outreach.events`` (re-keyed to the patient)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any

import faust
from mode import Service

from agents.batches import Batch, Changelogged, acting_for, batches_of
from agents.deadletter import dead_letter
from agents.due import DueIndex
from agents.inbound import emit_result, handle_inbound
from agents.lanes import Lane, Lanes
from agents.topics import OUTREACH_COMMANDS, OUTREACH_INBOUND, OUTREACH_TICKS, Topics
from hub.adapters.metrics import FIRST_REQUEST, REQUEST_DELAY
from hub.adapters.outbound import Outbound, RecordingOutbound
from hub.adapters.rate_limited import RateLimited
from hub.adapters.voice import call_script
from hub.clock import Clock
from hub.config import Settings
from hub.domain.episode.plan import FIRST_STEP
from hub.domain.messages import OutreachCommand
from hub.domain.phone.policy import ContactPolicy
from hub.domain.phone.state import PhoneState, awaiting_reconcile, look_again_at
from hub.logs import get_logger
from hub.services.delivery import Sender

log = get_logger("agents.outreach")
DRAIN_SECONDS = 12.0  # a lane's tail may take a provider call's timeout (10 s) and two writes


def register(app: faust.App, topics: Topics, settings: Settings, clock: Clock,
             outbound: Outbound | None) -> None:
    phones = Changelogged(app.Table("phones", key_type=str, partitions=settings.partitions))
    running = Lanes(settings.outreach_concurrency)  # phones handled at once
    source = app.topic(OUTREACH_COMMANDS, OUTREACH_TICKS, OUTREACH_INBOUND, key_type=str,
                       value_serializer="json", partitions=settings.partitions, internal=True)
    policy = ContactPolicy(ledger_retention_days=settings.retention_days,
                           in_doubt_seconds=settings.twilio_in_doubt_seconds)
    practice = {"practice": settings.practice_name, "callback": settings.callback_number}
    public = settings.twilio.public_url.rstrip("/") if settings.twilio.public_url else None
    port: dict[str, Outbound] = {}
    due = DueIndex()

    def provider() -> Outbound:
        # Created inside the running loop (aiohttp sessions must be), once per worker.
        if "outbound" not in port:
            if outbound is not None:
                port["outbound"] = outbound
            elif settings.sender == "record":
                port["outbound"] = RecordingOutbound(clock=clock)
            else:
                from hub.adapters.twilio_outbound import TwilioOutbound
                port["outbound"] = TwilioOutbound(settings.twilio)
            if settings.twilio_rate:
                port["outbound"] = RateLimited(port["outbound"], settings.twilio_rate)
        return port["outbound"]

    class ProviderSession(Service):
        """Closes the provider's HTTP session when the worker stops (else aiohttp reports
        an unclosed session at exit, as an error)."""

        async def on_stop(self) -> None:
            running.fence()  # Faust has closed the tables by now (a lane left is in flight)
            if "outbound" in port:
                await port.pop("outbound").close()

    app.service(ProviderSession)
    # in a rebalance, half the group's rebalance timeout: longer, the worker is dropped from it
    rebalance_drain = (DRAIN_SECONDS if settings.rebalance_timeout is None
                       else min(DRAIN_SECONDS, settings.rebalance_timeout / 2))
    revoke, stop = app._on_partitions_revoked, app.on_stop

    def assigned() -> bool:
        try:
            return bool(app.consumer.assignment())
        except Exception:  # a consumer that never started has nothing to give up
            return False

    async def lanes_finished(seconds: float) -> None:
        """No new batch; the sends under way finish while their phones' stores are still open
        here; a lane that cannot finish in time is fenced (agents.lanes)."""
        if running.running and assigned():
            app.consumer.stop_flow()  # Faust resumes the flow once partitions are assigned
            app.flow_control.suspend()
            if not await running.drain(seconds):
                running.fence()

    async def tails_first(revoked: set[Any]) -> None:
        await lanes_finished(rebalance_drain)
        await revoke(revoked)

    async def tails_before_stop() -> None:
        await lanes_finished(DRAIN_SECONDS)
        await stop()

    app._on_partitions_revoked = tails_first  # type: ignore[method-assign]
    app.on_stop = tails_before_stop  # type: ignore[method-assign]

    def sender() -> Sender:
        return Sender(provider(), policy,
                      status_callback=f"{public}/twilio/status" if public else None,
                      voice_call=lambda c: call_script(c, public))

    @app.agent(source, name="outreach")
    async def outreach_stage(stream: faust.StreamT[Any]) -> None:
        async for events in batches_of(stream):
            # One lane per phone, in arrival order; lanes run side by side (per-key order,
            # concurrency across phones). The batch is acknowledged once each lane has made
            # its records safe: the rest of a lane goes on behind it (agents.lanes).
            lanes: dict[str, list[Any]] = {}
            for event in events:
                lanes.setdefault(event.key, []).append(event)
            await asyncio.gather(*(running.start(key, partial(_lane, key, records))
                                   for key, records in lanes.items()))

    async def _lane(key: str, events: list[Any], lane: Lane) -> None:
        batch = Batch(fenced=lambda: lane.fenced)
        queued = batch.topics(topics)

        async def flush_and_release() -> None:
            # the last record's "sending" entry, and all before it, are on Kafka: from here
            # the ledger answers for the send (a crash leaves it in flight, looked up later)
            await batch.commit()
            lane.release()

        for n, event in enumerate(events, start=1):
            flush = flush_and_release if n == len(events) else batch.commit
            with acting_for(event):
                await _one(batch, queued, key, event.value, event.message.topic, flush)
        await batch.commit()

    async def _one(batch: Batch, queued: Topics, key: str, value: dict[str, Any],
                   topic: str, flush: Callable[[], Awaitable[None]]) -> None:
        try:
            if topic == OUTREACH_INBOUND:
                await handle_inbound(batch.view(phones), queued, key, value, clock.now(),
                                     sender(), practice, flush)
            else:
                await _command(batch, queued, key, value, topic, flush)
        except Exception as exc:  # the stream must never die on one record
            log.exception("outreach.internal_error", topic=topic)
            await dead_letter(queued, "outreach", value, code="internal_error",
                              message=f"{type(exc).__name__} in the outreach stage",
                              source=topic, key=key)

    async def _command(batch: Batch, queued: Topics, key: str, value: dict[str, Any],
                       topic: str, flush: Callable[[], Awaitable[None]]) -> None:
        view = batch.view(phones)
        stored = view.get(key)
        state = PhoneState.from_dict(stored) if stored is not None else None
        if topic == OUTREACH_TICKS:
            entry = state.entry(value["command_id"]) if state else None
            if entry is None or entry.command is None or not (
                    entry.status == "deferred" or awaiting_reconcile(entry)):
                return  # already handled, cancelled or superseded
            command = OutreachCommand.from_dict(entry.command)
        else:
            command = OutreachCommand.from_dict(value)

        first = state is None or state.entry(command.command_id) is None

        async def save(new_state: PhoneState) -> None:
            view[key] = new_state.to_dict()
            await flush()  # the "sending" entry (and what came before) is on Kafka
            if first:  # the request goes now; a deferred or resent one waited on purpose
                waited = max(0.0, (clock.now() - command.not_before).total_seconds())
                REQUEST_DELAY.observe(waited)
                if command.step == FIRST_STEP:
                    FIRST_REQUEST.observe(waited)

        outcome = await sender().handle(state, command, now=clock.now(), save=save)
        view[key] = outcome.state.to_dict()
        if outcome.retry_at is not None:
            due.set(f"{key}\x00{command.command_id}", outcome.retry_at)
        for result in outcome.events:
            await emit_result(queued, result)

    @app.timer(settings.tick_interval)
    async def outreach_ticks() -> None:
        try:
            await due.track(app, _DeferredSends(phones.table, policy), _as_time)
            for item in due.pop_due(clock.now()):
                phone, command_id = item.split("\x00", 1)
                await topics.outreach_ticks.send(key=phone, value={"command_id": command_id})
        except Exception:  # a timer that raises takes the worker down: log, look again
            log.exception("outreach.timer_error")


def _as_time(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError("an unreadable ledger entry")
    return value


class _DeferredSends:
    """The phones table seen as (phone + command id, when to look again) pairs for the due
    index: deferred sends at their time, sends left in flight (a crash mid-call, a request
    without an answer) when they are to be reconciled with the provider."""

    def __init__(self, phones: Any, policy: ContactPolicy):
        self._phones, self._policy = phones, policy

    def items(self) -> Iterator[tuple[str, Any]]:
        """(key, due time); a ledger entry that cannot be read is handed on as it is, for the
        index to count and skip, so one bad entry never hides the others' deadlines."""
        for phone, stored in self._phones.items():
            for command_id, data in stored["ledger"].items():
                key = f"{phone}\x00{command_id}"
                try:
                    at = look_again_at(data, self._policy)
                except (KeyError, TypeError, ValueError):
                    yield key, data
                    continue
                if at is not None:
                    yield key, at
