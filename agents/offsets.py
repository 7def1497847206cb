"""A committed offset means "every record before it was handled": two fixes to Faust's consumer.

Faust (faust-streaming) can commit past records no stage ever handled, and it did in the crash
tests: commands at the head of a partition vanished when workers joined or left a group, with
no error and no log line (issue 9). Two mechanisms, both around a rebalance:

1. **Dropped records acknowledged.** While partitions are being revoked, or when a record
   fetched for an older assignment comes out of the queue, the stream drops it and *acknowledges*
   it "so that the lag does not grow"; the commit made before giving the partitions up then
   skips it. A record a stream hands to a stage is first *tracked*; a dropped one never is. Here
   an acknowledgement of an untracked record is refused (its offset is not committed) and, if the
   partition is still this worker's, the consumer is rewound to it.
2. **Stale records after a seek read as a gap.** After a rebalance Faust seeks back to the
   committed offset, but records fetched before the seek can still arrive first; Faust takes the
   jump for a gap in the log (as after compaction), marks the records in between as done, and
   then drops them when they arrive. The hub's stage topics are never compacted and never
   transactional: a jump forward is a stale record. It is held back and the partition rewound to
   the record that should come next; a jump Faust sees itself is never marked done either (the
   partition is rewound to the first record it skipped). (A jump that stays after many rewinds
   is real, records gone by retention: it is let through, with a warning.)

A partition whose commit stops moving while records wait behind it (a record that never came
back after all) is read again from its commit by ``Unstick``, which the worker runs on a timer.

At-least-once, as the stages expect: a record read again is absorbed downstream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from faust.transport.consumer import Consumer
from faust.types import TP

from hub.logs import get_logger

log = get_logger("agents.offsets")
_PATCHED = "_hub_offsets_handled_only"
_TASKS: set[asyncio.Future[None]] = set()
MAX_REWINDS = 20  # rewinds to one offset without reading it: the log really has a gap there


def commit_only_handled() -> None:
    """Install both rules on Faust's consumer class (once per process)."""
    if getattr(Consumer, _PATCHED, False):
        return
    ack, getmany = Consumer.ack, Consumer.getmany
    seek, perform_seek = Consumer.seek, Consumer.perform_seek

    def checked_ack(self: Consumer, message: Any) -> bool:
        if not getattr(message, "tracked", False):
            # dropped before any stage saw it: not done, read it again
            _rewind_later(self, message.tp, message.offset, "dropped")
            return False
        return bool(ack(self, message))

    async def in_order(self: Consumer, timeout: float) -> AsyncIterator[tuple[TP, Any]]:
        following, tries = _following(self), _state(self, "_hub_tries")
        async for tp, message in getmany(self, timeout):
            held_for = admit(following, tries, tp, message.offset)
            if held_for is not None:  # stale: hold back, read again in order
                _rewind_later(self, tp, held_for, "jump")
                continue
            yield tp, message

    async def tracked_seek(self: Consumer, partition: TP, offset: int) -> None:
        await seek(self, partition, offset)
        _following(self)[partition] = offset

    async def tracked_perform_seek(self: Consumer) -> None:
        await perform_seek(self)
        following = _following(self)
        following.clear()  # from the committed offsets; unknown ones are taken as they come
        for tp, offset in self._committed_offset.items():
            if offset is not None:
                following[tp] = offset

    async def no_gap(self: Consumer, tp: TP, offset_from: int, offset_to: int) -> None:
        # never mark records as done because the fetch jumped over them: read them again
        _rewind_later(self, tp, offset_from, "gap")

    Consumer._add_gap = no_gap  # type: ignore[method-assign]
    Consumer.ack = checked_ack  # type: ignore[method-assign]
    Consumer.getmany = in_order  # type: ignore[method-assign]
    Consumer.seek = tracked_seek  # type: ignore[method-assign]
    Consumer.perform_seek = tracked_perform_seek  # type: ignore[method-assign]
    setattr(Consumer, _PATCHED, True)


def admit(following: dict[TP, int], tries: dict[TP, int], tp: TP, offset: int) -> int | None:
    """Whether the record at ``offset`` of ``tp`` may go to the stage: None if it may (and it
    becomes the last one read), else the offset of the record that must come first, to rewind
    to. A forward jump is held back until it has been rewound ``MAX_REWINDS`` times without
    the records in between ever coming: then they are gone (retention) and it goes on."""
    expected = following.get(tp)
    if expected is not None and offset > expected:
        if tries.get(tp, 0) < MAX_REWINDS:
            return expected
        log.warning("offsets.gap_accepted", topic=tp.topic, partition=tp.partition,
                    offset=expected)
    tries.pop(tp, None)
    if expected is None or offset >= expected:
        following[tp] = offset + 1
    return None


def _state(consumer: Consumer, name: str) -> dict[TP, int]:
    state: dict[TP, int] = consumer.__dict__.setdefault(name, {})
    return state


def _following(consumer: Consumer) -> dict[TP, int]:
    """Per partition, the offset of the record that must come next."""
    return _state(consumer, "_hub_following")


def _rewind_later(consumer: Consumer, tp: TP, offset: int, why: str) -> None:
    pending = _state(consumer, "_hub_rewinds")
    if tp in pending and pending[tp] <= offset:
        return
    first = not pending
    pending[tp] = offset
    if first:
        _TASKS.add(task := asyncio.ensure_future(_rewind(consumer, why)))
        task.add_done_callback(_TASKS.discard)


async def _rewind(consumer: Consumer, why: str) -> None:
    await asyncio.sleep(0)  # gather every record dropped in this pass
    pending: dict[TP, int] = consumer.__dict__.pop("_hub_rewinds", {})
    assigned = consumer.assignment()
    for tp, offset in pending.items():
        committed = consumer._committed_offset.get(tp)
        if tp not in assigned or (committed is not None and offset < committed):
            continue  # another worker's now, or handled and committed already
        tries = _state(consumer, "_hub_tries")
        tries[tp] = tries.get(tp, 0) + 1
        try:
            await consumer.seek(tp, offset)
            log.info("offsets.rewound", topic=tp.topic, partition=tp.partition, offset=offset,
                     reason=why)
        except Exception as exc:  # revoked meanwhile: the next owner reads from the commit
            log.info("offsets.rewind_skipped", topic=tp.topic, partition=tp.partition,
                     error=type(exc).__name__)


class Unstick:
    """Per partition: the committed offset seen at the last look. A stage partition whose commit
    has not moved for two looks while the log is ahead of it and no record of it is being
    handled is read again from its commit (a record held back or dropped that never came back:
    without this the partition would wait for the next rebalance)."""

    def __init__(self) -> None:
        self._last: dict[TP, int | None] = {}

    async def look(self, consumer: Consumer, topics: frozenset[str]) -> list[TP]:
        assigned = [tp for tp in consumer.assignment() if tp.topic in topics]
        ends = await consumer.highwaters(*assigned) if assigned else {}
        busy = {m.tp for m in consumer._unacked_messages}
        stuck = []
        for tp in assigned:
            committed = consumer._committed_offset.get(tp)
            end = ends.get(tp)
            behind = committed is not None and end is not None and end > committed
            if behind and tp not in busy and self._last.get(tp) == committed:
                stuck.append(tp)
            self._last[tp] = committed
        for tp in stuck:
            offset = consumer._committed_offset[tp]
            assert offset is not None
            try:
                await consumer.seek(tp, offset)
                log.warning("offsets.unstuck", topic=tp.topic, partition=tp.partition,
                            offset=offset)
            except Exception as exc:  # revoked meanwhile
                log.info("offsets.rewind_skipped", topic=tp.topic, partition=tp.partition,
                         error=type(exc).__name__)
        return stuck
