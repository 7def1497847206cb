"""Stage **episodes**: per patient key, the TCM state machine over ADT events, outreach results
and due-work ticks. Decode -> ``hub.domain`` -> write the table -> emit commands and alerts.

Beside ``episodes`` the agent keeps ``episodes-due``: per patient key, when the record next
needs a tick (POSIX seconds), written with every record. It is what the due-work index is
rebuilt from after a restart or a rebalance: a float per key instead of a whole record to
decode, so a worker with a million open episodes has its deadlines back in seconds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
from faust.types import TableT

from agents.batches import Batch, Changelogged, acting_for, batches_of, in_turns
from agents.deadletter import letter_for
from agents.due import DueIndex
from agents.topics import EPISODE_ACTIONS, EPISODE_TICKS, EVENTS, OUTREACH_EVENTS, Topics
from hub.adapters.metrics import count_episode_change
from hub.clock import Clock
from hub.config import Settings
from hub.domain.episode import merge
from hub.domain.episode import transitions as engine
from hub.domain.episode.actions import action_key, apply_action
from hub.domain.episode.lifecycle import adt_key
from hub.domain.episode.outreach_results import outreach_key
from hub.domain.episode.record import PatientRecord
from hub.domain.episode.rules import TcmRules
from hub.errors import HubError
from hub.logs import get_logger

log = get_logger("agents.episodes")
RETICK = timedelta(seconds=30)
FOLLOWS_MERGE = frozenset({EVENTS, OUTREACH_EVENTS, EPISODE_ACTIONS})


def register(app: faust.App, topics: Topics, settings: Settings, clock: Clock,
             rules: Callable[[str], TcmRules]) -> TableT[str, Any]:
    table = Changelogged(app.Table("episodes", key_type=str, partitions=settings.partitions))
    due_at = Changelogged(app.Table("episodes-due", key_type=str,
                                    partitions=settings.partitions))
    source = app.topic(EVENTS, OUTREACH_EVENTS, EPISODE_TICKS, EPISODE_ACTIONS, key_type=str,
                       value_serializer="json", partitions=settings.partitions, internal=True)
    due = DueIndex()

    @app.agent(source, name="episodes")
    async def episodes_stage(stream: faust.StreamT[Any]) -> None:
        async for events in batches_of(stream):
            batch = Batch()
            async for event in in_turns(events):
                with acting_for(event):
                    _handle_safely(batch, event.key, event.value, event.message.topic)
            await batch.commit()  # commands and alerts, then the records (agents.batches)

    def _handle_safely(batch: Batch, key: str, value: dict[str, Any], topic: str) -> None:
        try:
            _handle(batch, key, value, topic)
        except HubError as exc:
            log.warning("episodes.refused", code=exc.code, topic=topic)
            batch.emit(topics.deadletter, *letter_for(
                "episodes", value, code=exc.code, message=exc.message, source=topic, key=key))
        except Exception as exc:  # the stream must never die on one record
            log.exception("episodes.internal_error", topic=topic)
            batch.emit(topics.deadletter, *letter_for(
                "episodes", value, code="internal_error",
                message=f"{type(exc).__name__} in the episodes stage", source=topic, key=key))

    def _handle(batch: Batch, key: str, value: dict[str, Any], topic: str,
                hops: int = 0) -> None:
        now = clock.now()
        stored = batch.get(table, key)
        record = PatientRecord.from_dict(stored) if stored is not None else None
        if topic == EPISODE_TICKS and "follow" in value:
            followed = value["follow"]
            _handle(batch, key, followed["value"], followed["topic"], followed["hops"])
            return
        if topic == EPISODE_TICKS and ("merge_out" in value or "merge_in" in value):
            _merge_step(batch, key, record, value, now)
            return
        survivor = merge.survivor_for(
            record, about_the_patient=topic in FOLLOWS_MERGE,
            is_a_merge=topic == EVENTS and bool(value.get("merge")), hops=hops,
            applied_id=_applied_id(topic, value))
        if survivor is not None:  # §2 A40: this key was merged away
            batch.emit(topics.episode_ticks, survivor, merge.forwarded(topic, value, hops))
            return
        if topic == EVENTS:
            outcome = engine.apply_adt(record, value, now=now,
                                       rules=rules(value["sending_facility"]))
            if (request := merge.merge_out_request(value)) is not None:
                batch.emit(topics.episode_ticks, request[0], request[1])
        elif record is None:
            log.warning("episodes.no_record", topic=topic)
            return
        elif topic == OUTREACH_EVENTS:
            outcome = engine.apply_outreach_event(record, value, now=now,
                                                  rules=rules(record.facility))
        elif topic == EPISODE_ACTIONS:
            outcome = apply_action(record, value, now=now, rules=rules(record.facility))
        else:
            outcome = engine.apply_tick(record, now=now, rules=rules(record.facility))
        _store_and_emit(batch, key, outcome, now)

    def store(batch: Batch, key: str, record: PatientRecord, now: datetime) -> None:
        batch.put(table, key, record.to_dict())
        at = engine.next_due(record)
        batch.put(due_at, key, at.timestamp() if at is not None else None)
        # a tick that changed nothing must not fire again at once
        due.set(key, max(at, now + RETICK) if at is not None else None)

    def _store_and_emit(batch: Batch, key: str, outcome: engine.Outcome,
                        now: datetime) -> None:
        store(batch, key, outcome.record, now)
        for command in outcome.commands:
            batch.emit(topics.outreach_commands, command.to, command.to_dict())
        for alert in outcome.alerts:
            batch.emit(topics.alerts, alert.patient_key, alert.to_dict())
            count_episode_change(alert.kind, alert.event, alert.facility)

    def _merge_step(batch: Batch, key: str, record: PatientRecord | None,
                    value: dict[str, Any], now: datetime) -> None:
        """§2 A40 across partitions: hand the prior record over, or fold it in
        (hub.domain.episode.merge); folding in can void a duplicate episode, whose pending texts
        must be cancelled (TCM-8)."""
        if "merge_out" in value:
            emptied, handed = merge.hand_over(record, value["merge_out"], now)
            if emptied is not None:
                store(batch, key, emptied, now)  # its episodes moved to the survivor
            if handed is not None:
                batch.emit(topics.episode_ticks, value["merge_out"], handed)
        else:
            _store_and_emit(batch, key, merge.fold_in(record, value["merge_in"], key, now=now,
                                                     rules_for=rules), now)

    @app.timer(settings.tick_interval)
    async def episode_ticks() -> None:
        """Timers never write tables: find due patients in this worker's partitions and send a
        tick through Kafka to the agent that owns them."""
        try:
            await due.track(app, due_at.table,
                            lambda seconds: datetime.fromtimestamp(seconds, UTC))
            for key in due.pop_due(clock.now()):
                await topics.episode_ticks.send(key=key, value={"tick": "due"})
        except Exception:  # a timer that raises takes the worker down: log, look again
            log.exception("episodes.timer_error")

    return table.table


def _applied_id(topic: str, value: dict[str, Any]) -> str | None:
    """What a record remembers once ``value`` is applied (ticks: nothing)."""
    if topic == EVENTS:
        return adt_key(value)
    if topic == OUTREACH_EVENTS:
        return outreach_key(value)
    return action_key(value) if topic == EPISODE_ACTIONS else None
