"""Stage **normalize**: ``hl7.adt.raw`` -> ``AdtEvent`` on ``adt.events``; failures to
``adt.deadletter`` with the raw bytes, and the stream goes on (no head-of-line blocking)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import faust
from faust.streams import current_event

from agents.alerts import feed_heartbeat
from agents.batches import Batch, Changelogged, acting_for, batches_of, in_turns
from agents.deadletter import letter_for
from agents.offsets import rebalancing
from agents.topics import Topics
from hub.adapters.metrics import NORMALIZED, facility_label
from hub.clock import Clock
from hub.config import Settings
from hub.domain.episode.processing import is_production, set_apart
from hub.errors import Hl7Error
from hub.hl7.extract import normalize as normalize_hl7
from hub.logs import get_logger
from hub.services import dedupe
from hub.services.triage import non_production_error, raw_bytes

log = get_logger("agents.normalize")


def _shard() -> int:
    event = current_event()
    assert event is not None, "remembered while handling a record"
    return int(event.message.partition)


def register(app: faust.App, topics: Topics, settings: Settings, clock: Clock) -> None:
    heard = feed_heartbeat(topics, settings, clock)  # feed silence (hub.domain.alerts.feed)
    table = Changelogged(app.Table("adt-seen", key_type=str, partitions=settings.partitions))

    @app.timer(settings.retention_sweep_interval)
    async def forget_old_control_ids() -> None:
        """ADT-1 memory bounded: control ids received before the retention are forgotten."""
        if rebalancing(app):
            return
        before = clock.now().date() - timedelta(days=settings.retention_days)
        try:
            forgotten = await table.forget(lambda value: dedupe.stale_shard(value, before),
                                           owned=lambda: _owned(app, topics.raw))
            if forgotten:
                log.info("dedupe.forgotten", rows=forgotten,
                         retention_days=settings.retention_days)
        except Exception:  # a timer that raises takes the worker down: log, sweep next time
            log.exception("dedupe.sweep_error")

    @app.agent(topics.raw, name="normalize")
    async def normalize_stage(stream: faust.StreamT[Any]) -> None:
        async for events in batches_of(stream):
            batch = Batch()
            seen = dedupe.SeenMessages(batch.view(table))
            async for event in in_turns(events):
                record = event.value
                with acting_for(event):
                    try:
                        _normalize_one(batch, seen, record)
                    except Exception as exc:  # the stream must never die on one message
                        log.exception("normalize.internal_error",
                                      control_id=record.get("control_id"))
                        dead_letter(batch, record, code="internal_error",
                                    message=f"{type(exc).__name__} while normalizing")
            await batch.commit()  # events, then what dedupe remembers (agents.batches)

    def dead_letter(batch: Batch, record: dict[str, Any], **details: Any) -> None:
        NORMALIZED.labels("dead_letter", facility_label(record.get("sending_facility"))).inc()
        batch.emit(topics.deadletter, *letter_for("normalize", record, **details))

    def _normalize_one(batch: Batch, seen: dedupe.SeenMessages,
                       record: dict[str, Any]) -> None:
        verdict = seen.classify(record)
        if verdict is dedupe.Seen.DUPLICATE:
            log.info("normalize.duplicate", control_id=record.get("control_id"))
            NORMALIZED.labels("duplicate", facility_label(record.get("sending_facility"))).inc()
            return
        try:
            event = normalize_hl7(raw_bytes(record), zone_for=settings.zone_for,
                                  phone_region=settings.phone_region)
        except Hl7Error as error:
            log.info("normalize.rejected", control_id=record.get("control_id"), code=error.code,
                     location=error.location)
            dead_letter(batch, record, code=error.code, message=error.message,
                        location=error.location)
            return  # not remembered: replayed unchanged after a fix, it is processed again
        if not is_production(event["processing_id"]) and settings.non_production == "refuse":
            refusal = non_production_error(event["processing_id"])  # past the door somehow
            dead_letter(batch, record, code=refusal.code, message=refusal.message,
                        location=refusal.location)
            return
        event = set_apart(event)  # MSH-11 T/D: only test records, nobody contacted
        if verdict is dedupe.Seen.CONTROL_ID_REUSED:
            event["warnings"].append("MSH-10 control id reused for different content")
        batch.emit(topics.events, event["patient"]["key"], event)
        heard(batch, event.get("sending_facility") or "")
        log.info("normalize.event", control_id=event["control_id"],
                 event_type=event["event_type"])
        NORMALIZED.labels("event", facility_label(event.get("sending_facility"))).inc()
        seen.remember(record, _shard())


def _owned(app: faust.App, topic: faust.TopicT) -> set[int]:
    """The partitions of ``topic`` this worker holds now (their table shards are ours to
    change); none while the group rebalances."""
    if rebalancing(app):
        return set()
    name = topic.get_topic_name()
    return {tp.partition for tp in app.consumer.assignment() if tp.topic == name}
