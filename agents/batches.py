"""Outputs before the state that records them: how every stage survives a SIGKILL.

A stage takes records in batches (``take_events``: acknowledged only once the batch's body has
finished). For each record it reads state through the ``Batch`` (the table as this batch has
changed it) and queues what it emits and what it writes. ``Batch.commit`` then, in this order:

1. sends every output and waits until the broker has acknowledged each one;
2. writes the state (``episodes``, ``adt-seen``, ``phones``...) and waits until each changelog
   record is acknowledged too;
3. returns; only then are the batch's input offsets acknowledged (and Faust commits offsets
   after a producer flush).

A crash at any point therefore leaves either the input unacknowledged (it is redelivered, the
outputs are sent again with the same deterministic ids and the consumers downstream absorb
them) or every output and the state on Kafka. State can never say "done" for an output that
was lost. Local RocksDB data that may be ahead of the changelog is discarded after an unclean
stop (``hub.adapters.local_state``), so a redelivered record meets the state Kafka has.

A batch never gives up on the broker: a write that fails, or whose acknowledgement does not come
within ``ATTEMPT_TIMEOUT``, is sent again with backoff; the stage waits (nothing is acknowledged
meanwhile) and one line is logged per attempt.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import fields
from typing import Any, cast

import faust
from faust.streams import _current_event, current_event
from faust.types import EventT, TableT

from agents.topics import Topics
from hub.logs import get_logger

log = get_logger("agents.batches")
BATCH_SIZE = 500  # records a stage takes at once
BATCH_WITHIN = 0.02  # seconds a partial batch waits for more (latency added per stage)
RETRY_FIRST, RETRY_MAX = 0.2, 30.0  # seconds between two tries of a failed broker write
ATTEMPT_TIMEOUT = 15.0  # seconds one try may wait for its acknowledgements before it is retried
FORGET_CHUNK = 2_000  # entries a sweep deletes between two turns of the event loop
TURN_SECONDS = 0.005  # work a stage does on a batch before the event loop serves the others
_DELETED = object()


def batches_of(stream: faust.StreamT[Any]) -> AsyncIterator[list[Any]]:
    """The stream in batches; a batch's records are acknowledged once the loop body that
    handled it has finished (Faust's ``take_events``)."""
    return cast(AsyncIterator[list[Any]],
                cast(Any, stream).take_events(BATCH_SIZE, BATCH_WITHIN))


async def in_turns(events: list[Any]) -> AsyncIterator[Any]:
    """A batch's records one by one, handing the event loop back every ``TURN_SECONDS`` of
    work: a batch of hundreds handled without an ``await`` would hold up everything else the
    worker serves meanwhile (an MLLP sender waiting for its ACK, the other stages, the API)."""
    loop = asyncio.get_running_loop()
    turn_ends = loop.time() + TURN_SECONDS
    for event in events:
        yield event
        if loop.time() >= turn_ends:
            await asyncio.sleep(0)  # a turn for the others, not synchronization
            turn_ends = loop.time() + TURN_SECONDS


@contextmanager
def acting_for(event: EventT) -> Iterator[None]:
    """Make ``event`` Faust's current event: a table read or write goes to the partition of
    the record being handled, also inside a batch or a task of its own."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


class Changelogged:
    """A Faust table whose writes hand back the future of their changelog record, so a stage
    can wait until a write is on Kafka (not only in the local store)."""

    def __init__(self, table: TableT[str, Any]):
        self.table = table
        self._sent: list[asyncio.Future[Any]] = []
        send_changelog = table.send_changelog

        def tracked(*args: Any, **kwargs: Any) -> Any:
            future = send_changelog(*args, **kwargs)
            self._sent.append(future)
            return future

        table.send_changelog = tracked  # type: ignore[method-assign]

    def get(self, key: str) -> Any:
        return self.table.get(key)

    def put(self, key: str, value: Any) -> asyncio.Future[Any]:
        """Write (``value`` of ``None``: delete) and return the changelog record's future."""
        self._sent.clear()
        if value is None:
            if key in self.table:
                del self.table[key]
        else:
            self.table[key] = value
        if not self._sent:  # nothing to delete
            done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        return self._sent.pop()

    async def forget(self, stale_shard: Callable[[Any], int | None], *,
                     owned: Callable[[], set[int]]) -> int:
        """Delete every entry for which ``stale_shard`` names a shard this worker owns, with a
        tombstone on that changelog partition; how many. For a timer, outside any stream: the
        partition comes from the entry (a table write inside a stream takes it from the record
        being handled). The keys are listed once, then handled in chunks between which the
        stages run; before each chunk the shards owned are asked again (a rebalance may have
        moved them: none are owned while it runs), and each entry is read again just before it
        goes, so one a stage renewed meanwhile stays."""
        keys, forgotten = list(self.table.keys()), 0
        for start in range(0, len(keys), FORGET_CHUNK):
            futures, ours = [], owned()
            for key in keys[start:start + FORGET_CHUNK]:
                value = self.table.data.get(key)
                shard = None if value is None else stale_shard(value)
                if shard is None or shard not in ours:
                    continue
                self.table.data.pop(key, None)  # the store; the tombstone is the changelog's
                futures.append(self.table.send_changelog(shard, key, None,
                                                         value_serializer="raw"))
            self._sent.clear()
            # a tombstone that fails leaves the entry on the changelog: a restart brings it
            # back and a later sweep forgets it again (the caller logs the error)
            await asyncio.gather(*futures)
            forgotten += len(futures)
            await asyncio.sleep(0)  # let the stages run between chunks
        return forgotten


async def durably(what: str, attempt: Callable[[], Awaitable[Any]]) -> None:
    """Run ``attempt`` until the broker has taken it; a failure waits and tries again."""
    delay = RETRY_FIRST
    while True:
        try:
            # a record whose acknowledgement never comes must not hold the stage for ever
            await asyncio.wait_for(attempt(), ATTEMPT_TIMEOUT)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the broker said no: keep the input, wait, try again
            log.error("batch.write_failed", what=what, error=type(exc).__name__,
                      retry_in_s=round(delay, 1))
            await asyncio.sleep(delay)  # backoff between tries, not synchronization
            delay = min(delay * 2, RETRY_MAX)


async def delivered(topic: faust.TopicT, key: str, value: Any, *, timeout: float) -> bool:
    """Send one record from outside a stage (a web request) and wait until the broker has it;
    False when it did not answer in time (the caller answers so that the sender retries; a
    late write only makes a duplicate the stage absorbs)."""
    try:
        await asyncio.wait_for(_send_all([(topic, key, value)]), timeout)
        return True
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.error("write.not_acknowledged", error=type(exc).__name__)
        return False


class Batch:
    """What one batch of records emits and writes, kept until ``commit``."""

    def __init__(self, fenced: Callable[[], bool] = lambda: False) -> None:
        self._fenced = fenced  # True once the state must not be written (agents.lanes)
        self._outputs: list[tuple[faust.TopicT, str, Any]] = []
        # (table, key) -> (table, key, event it belongs to, value or _DELETED)
        self._writes: dict[tuple[int, str], tuple[Changelogged, str, EventT, Any]] = {}

    def get(self, table: Changelogged, key: str) -> Any:
        pending = self._writes.get((id(table), key))
        if pending is not None:
            return None if pending[3] is _DELETED else pending[3]
        return table.get(key)

    def put(self, table: Changelogged, key: str, value: Any) -> None:
        event = current_event()
        assert event is not None, "a write belongs to the record being handled"
        self._writes[(id(table), key)] = (table, key, event, _DELETED if value is None else value)

    def emit(self, topic: faust.TopicT, key: str, value: Any) -> None:
        self._outputs.append((topic, key, value))

    def view(self, table: Changelogged) -> BatchView:
        return BatchView(self, table)

    def topics(self, topics: Topics) -> Topics:
        """The stage's topics with every send waiting in this batch (same call shape), for
        code written against ``Topics``."""
        return Topics(*(cast(faust.TopicT, _Queued(self, getattr(topics, f.name)))
                        for f in fields(Topics)))

    async def commit(self) -> None:
        """Outputs acknowledged, then the state that records them. Shielded: a worker asked to
        stop finishes writing what the batch owes before the inputs can be acknowledged."""
        task = asyncio.ensure_future(self._commit())
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            await task
            raise

    async def _commit(self) -> None:
        outputs, self._outputs = self._outputs, []
        if outputs:
            await durably("outputs", lambda: _send_all(outputs))
        writes, self._writes = self._writes, {}
        if writes and self._fenced():
            # the worker gave the partition up meanwhile: another may own the key now
            log.warning("batch.state_fenced", writes=len(writes))
        elif writes:
            await durably("state", lambda: _write_all(writes.values()))


async def _send_all(outputs: list[tuple[faust.TopicT, str, Any]]) -> None:
    futures = [await topic.send(key=key, value=value) for topic, key, value in outputs]
    await asyncio.gather(*futures)


async def _write_all(writes: Any) -> None:
    futures = []
    for table, key, event, value in writes:
        with acting_for(event):
            futures.append(table.put(key, None if value is _DELETED else value))
    await asyncio.gather(*futures)


class _Queued:
    def __init__(self, batch: Batch, topic: faust.TopicT):
        self._batch, self._topic = batch, topic

    async def send(self, *, key: str, value: Any) -> None:
        self._batch.emit(self._topic, key, value)


class BatchView(MutableMapping[str, Any]):
    """A table as the batch sees it, for code written against a mapping (the dedupe memory)."""

    def __init__(self, batch: Batch, table: Changelogged):
        self._batch, self._table = batch, table

    def __getitem__(self, key: str) -> Any:
        value = self._batch.get(self._table, key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._batch.put(self._table, key, value)

    def __delitem__(self, key: str) -> None:
        self._batch.put(self._table, key, None)

    def __iter__(self) -> Iterator[str]:
        raise TypeError("a batch view is read by key")

    def __len__(self) -> int:
        raise TypeError("a batch view is read by key")
