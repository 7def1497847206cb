"""A committed offset means "every record before it was handled": two fixes to Faust's consumer.

Faust (faust-streaming) can commit past records no stage ever handled, and it did in the crash
tests: commands at the head of a partition vanished when workers joined or left a group, with
no error and no log line (issue 9). Three mechanisms:

0. **The commit itself.** Faust commits the first run of acknowledged offsets, but its check that
   the run starts where the last commit ended lets one unhandled record at the head through
   (``min(acked) - committed > 1``: faust-streaming issue #606, open) and is skipped entirely
   on a partition never committed or committed at 0 (``if committed:``). With records
   redelivered out of order after a rebalance, the records at a partition's head were committed
   unhandled. Here the run must start exactly at the committed offset, or at the first offset
   the log holds for a partition never committed.

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

Every seek runs in the consumer's own thread (Faust's ran in the stages' thread). A partition
whose commit stops moving while records wait behind it (a record that never came back after all)
is read again from its commit by ``Unstick``, which the worker runs on a timer.

At-least-once, as the stages expect: a record read again is absorbed downstream.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from faust.transport.consumer import Consumer, ThreadDelegateConsumer
from faust.types import TP
from faust.utils.functional import consecutive_numbers

from hub.logs import get_logger

log = get_logger("agents.offsets")
_PATCHED = "_hub_offsets_handled_only"
_TASKS: set[asyncio.Future[None]] = set()
MAX_REWINDS = 20  # fetches that jump over one offset: the log may really have a gap there
GAP_PATIENCE = 30.0  # seconds, as well, before a jump is taken for a gap
# looks a stuck partition is excused because one of its records is in a stage: a record a
# stream dropped after a rebalance without acknowledging it would otherwise hold it for ever
BUSY_LOOKS = 15
# seconds without a record of a partition reaching the stages before the watchdog may read it
# again: longer than Faust's commit interval (2.8 s), so a partition whose records are all
# handled and whose commit is on its way is left alone
QUIET_SECONDS = 5.0


def rebalancing(app: Any) -> bool:
    """True while the group rebalances or the tables recover: the assignment and the tables
    are not to be read or swept then (the timers wait for the next tick)."""
    return bool(getattr(app, "rebalancing", False) or getattr(app, "in_recovery", False))


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
        admitted_at = _admitted_at(self)
        since: dict[TP, float] = self.__dict__.setdefault("_hub_held_since", {})
        held_now: set[TP] = set()  # one try per partition per fetch, however many it held
        async for tp, message in getmany(self, timeout):
            held_for = admit(following, tries, since, tp, message.offset, time.monotonic())
            if held_for is not None:  # stale: hold back, read again in order
                if tp not in held_now:
                    held_now.add(tp)
                    tries[tp] = tries.get(tp, 0) + 1
                _rewind_later(self, tp, held_for, "jump", seen=message.offset)
                continue
            admitted_at[tp] = time.monotonic()
            yield tp, message

    async def tracked_seek(self: Consumer, partition: TP, offset: int) -> None:
        await seek(self, partition, offset)
        _following(self)[partition] = offset

    async def tracked_perform_seek(self: Consumer) -> None:
        await perform_seek(self)
        # the stages' inputs only: changelogs are read by recovery from offsets of its own
        acking = self.app.topics.acks_enabled_for
        assigned = [tp for tp in self.assignment() if acking(tp.topic)]
        _state(self, "_hub_tries").clear()  # a new assignment: no jump is held any more
        self.__dict__.setdefault("_hub_held_since", {}).clear()
        starts = _state(self, "_hub_start")
        starts.clear()
        try:
            starts.update(await self.earliest_offsets(*assigned) if assigned else {})
        except Exception as exc:  # the watchdog fills them in; until then nothing is committed
            log.warning("offsets.starts_unknown", error=type(exc).__name__)
        following = _following(self)
        following.clear()  # from the committed offsets, else from the start of the log
        assigned_at = time.monotonic()
        for tp in assigned:
            _admitted_at(self)[tp] = assigned_at  # the watchdog's patience starts now
            offset = self._committed_offset.get(tp)
            if offset is None and (offset := starts.get(tp)) is not None:
                # Faust seeks only the partitions with a commit. A never-committed one keeps
                # the position of records fetched and then dropped (a getmany cut short by
                # the new generation): with nothing more written to it, it stood still
                # until the watchdog (issue 9, a killed worker's partitions)
                await self.seek(tp, offset)
            if offset is not None:
                following[tp] = offset

    async def no_gap(self: Consumer, tp: TP, offset_from: int, offset_to: int) -> None:
        # never mark records as done because the fetch jumped over them: read them again
        _rewind_later(self, tp, offset_from, "gap")

    async def seek_in_its_thread(self: ThreadDelegateConsumer, partition: TP,
                                 offset: int) -> None:
        # Faust moves aiokafka's fetch position from the stages' thread, under the consumer
        # thread's feet, and wakes that thread's loop from the wrong thread: a rewound
        # partition's records then waited many seconds for another event to wake it (a
        # killed worker's partitions stood still until the watchdog, issue 9). Every seek goes
        # through the consumer thread's own queue instead, as Faust's other calls do.
        async def there() -> None:
            self._thread.seek(partition, offset)

        await self._thread.call_thread(there)

    ThreadDelegateConsumer._seek = seek_in_its_thread  # type: ignore[method-assign]
    Consumer._new_offset = handled_through  # type: ignore[method-assign,assignment]
    Consumer._add_gap = no_gap  # type: ignore[method-assign]
    Consumer.ack = checked_ack  # type: ignore[method-assign]
    Consumer.getmany = in_order  # type: ignore[method-assign]
    Consumer.seek = tracked_seek  # type: ignore[method-assign]
    Consumer.perform_seek = tracked_perform_seek  # type: ignore[method-assign]
    setattr(Consumer, _PATCHED, True)


def handled_through(consumer: Consumer, tp: TP) -> int | None:
    """The offset to commit for ``tp``: one past the run of acknowledged records that starts
    exactly at the committed offset (at the log's first offset if the partition was never
    committed); None while the record there is not handled yet, or the start is unknown."""
    acked: list[int] = consumer._acked[tp]
    if not acked:
        return None
    acked.sort()
    index = consumer._acked_index[tp]
    start = _state(consumer, "_hub_start").get(tp)
    floor = consumer._committed_offset.get(tp)
    if floor is None or (start is not None and start > floor):
        floor = start  # never committed, or the records below the log's start are gone
    if floor is None:
        return None
    done = 0
    while done < len(acked) and acked[done] < floor:
        done += 1  # acknowledged again after a rewind: committed already
    index.difference_update(acked[:done])
    del acked[:done]
    if not acked or acked[0] != floor:
        return None
    run = next(consecutive_numbers(acked))
    del acked[:len(run)]
    index.difference_update(run)
    return int(run[-1]) + 1


def admit(following: dict[TP, int], tries: dict[TP, int], since: dict[TP, float], tp: TP,
          offset: int, now: float) -> int | None:
    """Whether the record at ``offset`` of ``tp`` may go to the stage: None if it may (and it
    becomes the last one read), else the offset of the record that must come first, to rewind
    to. A forward jump is held back until the partition has been fetched again ``MAX_REWINDS``
    times over at least ``GAP_PATIENCE`` seconds without the records in between ever coming:
    then they are gone (retention) and it goes on. (Counting rewinds alone, a fetch full of
    stale records used every try up in milliseconds, and the records then read below the
    accepted jump were dropped by Faust as already read.)"""
    expected = following.get(tp)
    if expected is not None and offset > expected:
        first = since.setdefault(tp, now)
        if tries.get(tp, 0) < MAX_REWINDS or now - first < GAP_PATIENCE:
            return expected
        log.warning("offsets.gap_accepted", topic=tp.topic, partition=tp.partition,
                    offset=expected)
    tries.pop(tp, None)
    since.pop(tp, None)
    if expected is None or offset >= expected:
        following[tp] = offset + 1
    return None


def _state(consumer: Consumer, name: str) -> dict[TP, int]:
    state: dict[TP, int] = consumer.__dict__.setdefault(name, {})
    return state


def _admitted_at(consumer: Consumer) -> dict[TP, float]:
    """Per partition, when (monotonic seconds) a record of it last went to a stage, or it was
    assigned."""
    admitted: dict[TP, float] = consumer.__dict__.setdefault("_hub_admitted_at", {})
    return admitted


def _following(consumer: Consumer) -> dict[TP, int]:
    """Per partition, the offset of the record that must come next."""
    return _state(consumer, "_hub_following")


def _rewind_later(consumer: Consumer, tp: TP, offset: int, why: str,
                  seen: int | None = None) -> None:
    pending = _state(consumer, "_hub_rewinds")
    if tp in pending and pending[tp] <= offset:
        return
    first = not pending
    pending[tp] = offset
    if first:
        _TASKS.add(task := asyncio.ensure_future(_rewind(consumer, why, seen)))
        task.add_done_callback(_TASKS.discard)


async def _rewind(consumer: Consumer, why: str, seen: int | None) -> None:
    await asyncio.sleep(0)  # gather every record dropped in this pass
    pending: dict[TP, int] = consumer.__dict__.pop("_hub_rewinds", {})
    assigned = consumer.assignment()
    for tp, offset in pending.items():
        committed = consumer._committed_offset.get(tp)
        if tp not in assigned:
            continue  # another worker's now: it reads from the commit
        if committed is not None and offset < committed:
            if _following(consumer).get(tp, committed) >= committed:
                continue  # handled and committed already
            # held back while waiting for records below a commit made since the assignment
            # (the previous owner's, or this worker's own): they are done; read on from the
            # commit, or the partition waits for the watchdog with its position past it
            offset = committed
        try:
            await consumer.seek(tp, offset)
            log.info("offsets.rewound", topic=tp.topic, partition=tp.partition, offset=offset,
                     reason=why, seen=seen)
        except Exception as exc:  # revoked meanwhile: the next owner reads from the commit
            log.info("offsets.rewind_skipped", topic=tp.topic, partition=tp.partition,
                     error=type(exc).__name__)


class Unstick:
    """Per partition: the committed offset seen at the last look. A stage partition whose commit
    has not moved for two looks while the log is ahead of it, none of whose records went to a
    stage for ``QUIET_SECONDS`` and none of whose records is being handled is read again from
    its commit (a record held back or dropped that never came back:
    without this the partition would wait for the next rebalance). A partition that has never
    been committed counts too (read from the start of the log), and one that Faust left paused
    or took out of its fetches after a rebalance is put back first: either stalls a partition
    without a word, as the three-worker crash test showed."""

    def __init__(self) -> None:
        self._last: dict[TP, int | None] = {}
        self._waited: dict[TP, int] = {}  # looks a stuck partition was excused as busy
        self.lag: dict[tuple[str, int], int] = {}  # records behind the commit, at the last look

    async def look(self, consumer: Consumer, topics: frozenset[str],
                   now: float | None = None) -> list[TP]:
        """The partitions read again at this look; ``now`` in monotonic seconds."""
        now = time.monotonic() if now is None else now
        admitted_at = _admitted_at(consumer)
        assigned = [tp for tp in consumer.assignment() if tp.topic in topics]
        ends = await consumer.highwaters(*assigned) if assigned else {}
        starts = await consumer.earliest_offsets(*assigned) if assigned else {}
        known = _state(consumer, "_hub_start")  # where a never-committed partition's run starts
        for tp, offset in starts.items():
            known.setdefault(tp, offset)
        busy = {m.tp for m in consumer._unacked_messages}
        stuck = []
        self.lag = {}
        for tp in assigned:
            committed = consumer._committed_offset.get(tp)
            position = committed if committed is not None else starts.get(tp)
            end = ends.get(tp)
            behind = position is not None and end is not None and end > position
            if position is not None and end is not None:
                self.lag[(tp.topic, tp.partition)] = end - position
            quiet = now - admitted_at.get(tp, float("-inf")) >= QUIET_SECONDS
            unmoved = behind and quiet and self._last.get(tp, -1) == committed
            if unmoved and tp in busy and self._waited.get(tp, 0) < BUSY_LOOKS:
                self._waited[tp] = self._waited.get(tp, 0) + 1  # a stage may be working on it
            elif unmoved:
                stuck.append(tp)
                self._waited.pop(tp, None)  # patience again after this re-read
            if not unmoved:
                self._waited.pop(tp, None)
            self._last[tp] = committed
        for tp in stuck:
            committed = consumer._committed_offset.get(tp)
            offset = committed if committed is not None else starts[tp]
            paused = _put_back(consumer, tp)
            try:
                await consumer.seek(tp, offset)
                log.warning("offsets.unstuck", topic=tp.topic, partition=tp.partition,
                            offset=offset, reason=paused or "commit stopped")
            except Exception as exc:  # revoked meanwhile
                log.info("offsets.rewind_skipped", topic=tp.topic, partition=tp.partition,
                         error=type(exc).__name__)
        return stuck


def _put_back(consumer: Consumer, tp: TP) -> str | None:
    """Fetch ``tp`` again if Faust left it paused or out of its active set; what it was."""
    why = None
    if tp in getattr(consumer, "_paused_partitions", ()):
        why = "paused"
    elif tp in getattr(consumer, "_buffered_partitions", ()):
        why = "buffer full"
    elif tp not in consumer._get_active_partitions():
        why = "not fetched"
    if why is not None:
        getattr(consumer, "_buffered_partitions", set()).discard(tp)
        consumer.resume_partitions([tp])
    return why
