"""Stage **alerts**: keyed like ``care.alerts`` (the patient key; ``feed:<facility>`` for a
feed), it owns the ``alerts`` table: one book of alert cases per key (``hub.domain.alerts``).
Inputs: raised and cleared alerts from episodes, acknowledgements from the API, the channels'
results, feed heartbeats from normalize, and its own ticks (escalation, reminders, retries,
feed silence). Outputs: webhook and email deliveries on ``alerts.deliveries`` (the notify
stage), SMS pages on ``outreach.commands`` (the outreach stage, its ledger and Twilio).

Crash safety as everywhere (``agents.batches``): the deliveries are on Kafka before the book
that records them; a redelivered input gives the same delivery ids, which the SMS ledger and
the webhook's receivers (``X-TCM-Delivery``) drop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
from faust.types import TableT

from agents.batches import Batch, Changelogged, acting_for, batches_of, in_turns
from agents.deadletter import letter_for
from agents.due import DueIndex
from agents.topics import ALERT_ACTIONS, ALERT_RESULTS, ALERT_TICKS, ALERTS, FEEDS_SEEN, Topics
from hub.adapters.metrics import count_alert_action
from hub.clock import Clock
from hub.config import Settings
from hub.domain.alerts import feed
from hub.domain.alerts.lifecycle import (
    AlertRefusal,
    Step,
    acknowledge,
    empty_book,
    next_due,
    on_alert,
    on_result,
)
from hub.domain.alerts.pages import page_command
from hub.logs import get_logger

log = get_logger("agents.alerts")
RETICK = timedelta(seconds=30)
SOURCES = (ALERTS, ALERT_ACTIONS, ALERT_TICKS, ALERT_RESULTS, FEEDS_SEEN)


def register(app: faust.App, topics: Topics, settings: Settings, clock: Clock) -> TableT[str, Any]:
    table = Changelogged(app.Table("alerts", key_type=str, partitions=settings.partitions))
    source = app.topic(*SOURCES, key_type=str, value_serializer="json",
                       partitions=settings.partitions, internal=True)
    routing = settings.routing
    due = DueIndex()

    @app.agent(source, name="alerts")
    async def alerts_stage(stream: faust.StreamT[Any]) -> None:
        async for events in batches_of(stream):
            batch = Batch()
            async for event in in_turns(events):
                with acting_for(event):
                    _safely(batch, event.key, event.value, event.message.topic)
            await batch.commit()  # deliveries and pages, then the books (agents.batches)

    def _safely(batch: Batch, key: str, value: dict[str, Any], topic: str) -> None:
        try:
            _handle(batch, key, value, topic)
        except Exception as exc:  # the stream must never die on one record
            log.exception("alerts.internal_error", topic=topic)
            batch.emit(topics.deadletter, *letter_for(
                "alerts", value, code="internal_error",
                message=f"{type(exc).__name__} in the alerts stage", source=topic, key=key))

    def _handle(batch: Batch, key: str, value: dict[str, Any], topic: str) -> None:
        now = clock.now()
        book = batch.get(table, key)
        step: Step
        if topic == ALERTS:
            step = on_alert(book, key, value, routing, now)
        elif topic == ALERT_ACTIONS:
            try:
                step = acknowledge(book, value["alert_id"], value["by"], routing, now)
            except AlertRefusal as refusal:  # checked by the API; changed since (cleared)
                log.info("alerts.ack_refused", alert_id=value.get("alert_id"), code=refusal.code)
                return
        elif topic == ALERT_RESULTS:
            step = on_result(book, value, routing, now)
        elif topic == FEEDS_SEEN:
            step = feed.on_seen(book, value["facility"], datetime.fromisoformat(value["at"]),
                                routing, now)
        else:
            step = feed.tick(book, routing, now)
        if step.book != (book or empty_book()):
            batch.put(table, key, step.book)
        at = next_due(step.book)
        due.set(key, max(at, now + RETICK) if at is not None and topic == ALERT_TICKS else at)
        for delivery in step.deliveries:
            if delivery["channel"] == "sms":
                command = page_command(delivery, now, settings.zone_for(delivery["facility"]).key)
                batch.emit(topics.outreach_commands, command.to, command.to_dict())
            else:
                batch.emit(topics.alert_deliveries, key, delivery)
        for target, record in step.handovers:  # A40: on Kafka before this book (batches)
            batch.emit(topics.alerts, target, record)
        for action in step.actions:  # ids, kinds and staff only: never the patient key
            count_alert_action(action["action"], action["kind"])
            log.info(f"alerts.{action['action']}", alert_id=action["alert_id"],
                     kind=action["kind"], team=action["team"], channel=action.get("channel"),
                     reason=action.get("reason"))

    @app.timer(settings.tick_interval)
    async def alert_ticks() -> None:
        """Timers never write tables: due books get a tick through Kafka."""
        try:
            await due.track(app, table.table, _due_of)
            for key in due.pop_due(clock.now()):
                await topics.alert_ticks.send(key=key, value={"tick": "due"})
        except Exception:  # a timer that raises takes the worker down: log, look again
            log.exception("alerts.timer_error")

    return table.table


def _due_of(book: Any) -> datetime | None:
    at = next_due(book)
    return at.astimezone(UTC) if at is not None else None


Heartbeat = Callable[[Batch, str], None]


def feed_heartbeat(topics: Topics, settings: Settings, clock: Clock,
                   every: timedelta = timedelta(minutes=1)) -> Heartbeat:
    """For normalize: tell the alerts stage a watched facility's feed spoke, at most once per
    ``every`` (and a tenth of its silence limit) per facility and worker. The stage counts
    silence from the last heartbeat, so it may be that much early, never late; and a message
    after a real silence is always passed on (the last one is older than the limit), so the
    alert always clears."""
    last: dict[str, datetime] = {}

    def heard(batch: Batch, facility: str) -> None:
        watch = settings.routing.feed_watch(facility) if facility else None
        if watch is None:
            return
        now = clock.now()
        if facility in last and now - last[facility] < min(every, watch.silence / 10):
            return
        last[facility] = now
        batch.emit(topics.feeds_seen, feed.feed_key(facility),
                   {"facility": facility, "at": now.isoformat()})

    return heard
