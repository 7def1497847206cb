"""Issue 9: a committed offset means every record before it was handled. A stage partition whose
commit stops while records wait behind it and none of its records is being handled is read again
from its commit; dropped records are never acknowledged; records reach the stages in log order.
The consumers are fakes exposing what these rules read of Faust's."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from faust.transport.consumer import Consumer, ThreadDelegateConsumer
from faust.types import TP

from agents import offsets
from agents.offsets import (
    BUSY_LOOKS,
    GAP_PATIENCE,
    MAX_REWINDS,
    QUIET_SECONDS,
    Unstick,
    admit,
    commit_only_handled,
    handled_through,
)

RAW = TP("hl7.adt.raw", 0)
CHANGELOG = TP("tcm-hub-episodes-changelog", 0)


@dataclass
class FakeConsumer:
    committed: int | None
    highwater_at: int
    unacked: list[Any] = field(default_factory=list)
    seeks: list[tuple[TP, int]] = field(default_factory=list)
    log_start: int = 0
    _paused_partitions: set[TP] = field(default_factory=set)
    active: set[TP] = field(default_factory=lambda: {RAW, CHANGELOG})

    def assignment(self) -> set[TP]:
        return {RAW, CHANGELOG}

    def _get_active_partitions(self) -> set[TP]:
        return self.active

    def resume_partitions(self, tps: list[TP]) -> None:
        self._paused_partitions.difference_update(tps)
        self.active.update(tps)

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return {tp: self.log_start for tp in tps}

    @property
    def _committed_offset(self) -> dict[TP, int | None]:
        return {RAW: self.committed, CHANGELOG: None}

    @property
    def _unacked_messages(self) -> list[Any]:
        return self.unacked

    async def highwaters(self, *tps: TP) -> dict[TP, int]:
        return {tp: self.highwater_at for tp in tps}

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))


async def look(watch: Unstick, consumer: FakeConsumer) -> list[TP]:
    return await watch.look(consumer, frozenset({"hl7.adt.raw"}))  # type: ignore[arg-type]


async def test_a_commit_stuck_behind_skipped_records_is_read_again_from_the_commit() -> None:
    consumer, watch = FakeConsumer(committed=6, highwater_at=35), Unstick()
    assert await look(watch, consumer) == []  # one look is not yet "stuck"
    assert await look(watch, consumer) == [RAW]
    assert consumer.seeks == [(RAW, 6)]


async def test_a_partition_never_committed_with_records_waiting_is_read_from_the_start() -> None:
    """A partition taken over from a killed worker that had never committed it, and then never
    read by its new owner: read from the first record the log still has."""
    consumer, watch = FakeConsumer(committed=None, highwater_at=12, log_start=3), Unstick()
    assert await look(watch, consumer) == []
    assert await look(watch, consumer) == [RAW]
    assert consumer.seeks == [(RAW, 3)]
    assert consumer.__dict__["_hub_start"][RAW] == 3  # where its first commit must start
    empty, watch = FakeConsumer(committed=None, highwater_at=0), Unstick()
    await look(watch, empty)
    assert await look(watch, empty) == [] and empty.seeks == []


async def test_a_stuck_partition_left_paused_or_out_of_the_fetches_is_put_back() -> None:
    """Faust pauses partitions during recovery and takes one out of its fetches when a stream's
    buffer is full; one left so after a rebalance never moves again: resumed, then re-read."""
    paused = FakeConsumer(committed=6, highwater_at=35, _paused_partitions={RAW},
                          active={CHANGELOG})
    watch = Unstick()
    await look(watch, paused)
    assert await look(watch, paused) == [RAW]
    assert RAW not in paused._paused_partitions and RAW in paused.active
    assert paused.seeks == [(RAW, 6)]


async def test_a_partition_that_moves_or_has_records_in_flight_is_left_alone_a_while() -> None:
    """Progress, or a record in a stage, excuses a partition for BUSY_LOOKS looks, not for ever."""
    consumer, watch = FakeConsumer(committed=6, highwater_at=35), Unstick()
    await look(watch, consumer)
    consumer.committed = 7  # progress since the last look
    assert await look(watch, consumer) == []
    consumer.unacked = [type("M", (), {"tp": RAW})()]  # a stage is still working on one
    assert [await look(watch, consumer) for _ in range(BUSY_LOOKS)] == [[]] * BUSY_LOOKS
    # ... or a stream dropped it without acknowledging it: the patience has an end
    assert await look(watch, consumer) == [RAW] and consumer.seeks == [(RAW, 7)]
    consumer.seeks.clear()
    caught_up = FakeConsumer(committed=35, highwater_at=35)
    await look(watch, caught_up)
    assert await look(watch, caught_up) == [] and consumer.seeks == []


async def test_a_partition_whose_records_reach_the_stages_waits_for_its_commit() -> None:
    """A record that went to a stage less than QUIET_SECONDS ago: its commit is on its way
    (Faust commits every 2.8 s), the partition is not read again; once quiet, it is."""
    consumer, watch = FakeConsumer(committed=6, highwater_at=35), Unstick()
    consumer.__dict__["_hub_admitted_at"] = {RAW: 100.0}
    topics = frozenset({"hl7.adt.raw"})
    assert await watch.look(consumer, topics, now=101.0) == []  # type: ignore[arg-type]
    assert await watch.look(consumer, topics, now=103.0) == []  # type: ignore[arg-type]
    assert await watch.look(  # type: ignore[arg-type]
        consumer, topics, now=100.0 + QUIET_SECONDS) == [RAW]
    assert consumer.seeks == [(RAW, 6)]


# The two rules on Faust's consumer: only handled records are committed, and records are
# handed to the stages in log order (agents/offsets.py).

def test_records_in_log_order_go_through_and_a_forward_jump_is_held_back() -> None:
    """A record past the one that must come next is stale (fetched before a seek): it is held
    back and the partition rewound to the missing one; the missing one, and a record read
    again below it, go through without moving the position backwards."""
    following: dict[TP, int] = {}
    tries: dict[TP, int] = {}
    since: dict[TP, float] = {}
    assert admit(following, tries, since, RAW, 10, 0.0) is None  # fixes the position
    assert admit(following, tries, since, RAW, 11, 0.0) is None and following[RAW] == 12
    assert admit(following, tries, since, RAW, 15, 0.0) == 12  # 12..14 skipped: rewind to 12
    assert following[RAW] == 12
    tries[RAW] = 1  # one fetch held it
    assert admit(following, tries, since, RAW, 12, 1.0) is None and following[RAW] == 13
    assert RAW not in tries and RAW not in since  # back in order: the count starts again
    assert admit(following, tries, since, RAW, 9, 1.0) is None and following[RAW] == 13


def test_a_jump_is_a_real_gap_only_after_many_fetches_and_some_time() -> None:
    """Records gone by retention never come back: after MAX_REWINDS fetches that jumped, over
    GAP_PATIENCE seconds, the jump is accepted and the stage goes on from it. Many fetches in a
    moment (a buffer full of stale records) are not enough: the records below would be read
    after the jump and Faust drops those as already read."""
    following, tries, since = {RAW: 12}, {RAW: MAX_REWINDS}, {}
    assert admit(following, tries, since, RAW, 40, 100.0) == 12  # first held at t=100
    assert admit(following, tries, since, RAW, 40, 100.0 + GAP_PATIENCE / 2) == 12
    tries[RAW] = MAX_REWINDS - 1
    assert admit(following, tries, since, RAW, 40, 100.0 + GAP_PATIENCE) == 12  # too few
    tries[RAW] = MAX_REWINDS
    assert admit(following, tries, since, RAW, 40, 100.0 + GAP_PATIENCE) is None
    assert following[RAW] == 41


@dataclass
class RewindingConsumer:
    assigned: set[TP]
    committed: dict[TP, int | None]
    seeks: list[tuple[TP, int]] = field(default_factory=list)
    fail: bool = False

    def assignment(self) -> set[TP]:
        return self.assigned

    @property
    def _committed_offset(self) -> dict[TP, int | None]:
        return self.committed

    async def seek(self, tp: TP, offset: int) -> None:
        if self.fail:
            raise RuntimeError("partition revoked")
        self.seeks.append((tp, offset))


class Dropped:
    """A record the stream dropped before any stage saw it (never tracked)."""

    def __init__(self, tp: TP, offset: int):
        self.tp, self.offset, self.tracked = tp, offset, False


async def rewinds_done() -> None:
    await asyncio.gather(*list(offsets._TASKS))


async def test_a_dropped_record_is_not_acknowledged_and_its_partition_is_read_again() -> None:
    """Rule 1: Faust acknowledges records it drops around a rebalance; the hub refuses the
    acknowledgement and rewinds, once per partition, to the lowest dropped offset."""
    commit_only_handled()
    other = TP("adt.events", 1)
    consumer = RewindingConsumer({RAW, other}, {RAW: 5, other: 0})
    fake = cast(Consumer, consumer)
    assert Consumer.ack(fake, Dropped(RAW, 9)) is False
    assert Consumer.ack(fake, Dropped(RAW, 7)) is False
    assert Consumer.ack(fake, Dropped(other, 3)) is False
    await rewinds_done()
    assert sorted(consumer.seeks) == [(other, 3), (RAW, 7)]


async def test_a_rewind_leaves_alone_what_is_no_longer_this_workers_or_already_committed() -> None:
    """A partition revoked meanwhile is the next owner's (it reads from the commit); an offset
    below the commit was handled already; a seek that fails is logged, never raised."""
    commit_only_handled()
    gone = TP("adt.events", 3)
    consumer = RewindingConsumer({RAW}, {RAW: 20})
    Consumer.ack(cast(Consumer, consumer), Dropped(RAW, 8))  # below the commit of 20
    Consumer.ack(cast(Consumer, consumer), Dropped(gone, 2))  # not assigned any more
    await rewinds_done()
    assert consumer.seeks == []
    failing = RewindingConsumer({RAW}, {RAW: 5}, fail=True)
    Consumer.ack(cast(Consumer, failing), Dropped(RAW, 9))
    await rewinds_done()
    assert failing.seeks == []


class Acked:
    """What Faust's commit reads of its consumer: acknowledged offsets and the last commit."""

    def __init__(self, committed: int | None, acked: list[int], start: int | None = None):
        self._acked = {RAW: list(acked)}
        self._acked_index = {RAW: set(acked)}
        self._committed_offset = {RAW: committed}
        if start is not None:
            self.__dict__["_hub_start"] = {RAW: start}


def commit_for(consumer: Acked) -> int | None:
    return handled_through(cast(Consumer, consumer), RAW)


def test_the_commit_never_passes_the_record_at_its_head() -> None:
    """faust-streaming #606: committed 2585 and 2586..2589 acknowledged; 2585 is still being
    handled (or was dropped). Faust commits 2590; the hub waits for 2585."""
    consumer = Acked(2585, [2586, 2587, 2588, 2589])
    assert commit_for(consumer) is None and consumer._acked[RAW] == [2586, 2587, 2588, 2589]
    consumer._acked[RAW].append(2585)
    consumer._acked_index[RAW].add(2585)
    assert commit_for(consumer) == 2590
    assert consumer._acked[RAW] == [] and consumer._acked_index[RAW] == set()


def test_a_partition_never_committed_or_committed_at_zero_is_checked_too() -> None:
    """Faust skips its check when the commit is None or 0: a partition taken over before its
    first commit had its head committed unhandled. The run must start at the log's start."""
    assert commit_for(Acked(None, [3, 4], start=0)) is None
    assert commit_for(Acked(None, [0, 1, 2, 5], start=0)) == 3
    assert commit_for(Acked(0, [1, 2])) is None
    assert commit_for(Acked(None, [7, 8], start=7)) == 9  # records before 7 gone (retention)
    assert commit_for(Acked(None, [0, 1])) is None  # where the log starts is not known yet


def test_offsets_acknowledged_again_below_the_commit_are_dropped() -> None:
    """A record read again after a rewind and acknowledged a second time is below the commit:
    it is cleared, not taken for a gap."""
    consumer = Acked(10, [4, 10, 11])
    assert commit_for(consumer) == 12 and consumer._acked[RAW] == []


async def test_a_jump_held_below_a_commit_made_since_the_assignment_reads_on_from_it() -> None:
    """The stage expected offset 0 at the assignment; the records up to 19 were handled and
    committed meanwhile (by the previous owner or this worker) while the fetch moved past 23:
    the partition is read again from the commit, not left until the watchdog."""
    commit_only_handled()
    consumer = RewindingConsumer({RAW}, {RAW: 20})
    consumer.__dict__["_hub_following"] = {RAW: 0}
    offsets._rewind_later(cast(Consumer, consumer), RAW, 0, "jump", seen=23)
    await rewinds_done()
    assert consumer.seeks == [(RAW, 20)]


class ConsumerThread:
    """What a seek uses of Faust's consumer thread."""

    def __init__(self) -> None:
        self.seeks: list[tuple[TP, int]] = []
        self.queued = 0

    def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))

    async def call_thread(self, fun: Any) -> Any:
        self.queued += 1  # Faust runs ``fun`` in the thread's own event loop
        return await fun()


async def test_every_seek_goes_through_the_consumer_s_own_thread() -> None:
    """Faust seeks from the stages' thread, under the aiokafka consumer's feet; with the hub's
    rules installed, a seek (the hub's rewinds and Faust's own) is queued to the consumer
    thread, and the partition is read again from there."""
    commit_only_handled()
    thread = ConsumerThread()
    consumer = RewindingConsumer({RAW}, {RAW: 5})
    consumer.__dict__.update(_thread=thread, _read_offset={RAW: 30})
    await ThreadDelegateConsumer._seek(cast(ThreadDelegateConsumer, consumer), RAW, 7)
    assert thread.seeks == [(RAW, 7)] and thread.queued == 1


async def test_an_assigned_partition_never_committed_is_read_from_the_start_of_its_log() -> None:
    """Faust seeks only the partitions with a commit at an assignment; one never committed kept
    the position of records fetched and dropped by a getmany cut short by the new generation,
    and stood still until the watchdog. The hub seeks it to the first record the log has."""
    commit_only_handled()
    other = TP("adt.events", 1)
    consumer = RewindingConsumer({RAW, other}, {RAW: 20, other: None})

    async def seek_to_committed() -> dict[TP, int]:
        return {RAW: 20}

    async def earliest_offsets(*tps: TP) -> dict[TP, int]:
        return {tp: 3 for tp in tps}

    consumer.__dict__.update(
        _read_offset={}, seek_to_committed=seek_to_committed, earliest_offsets=earliest_offsets,
        app=SimpleNamespace(topics=SimpleNamespace(acks_enabled_for=lambda _: True)))
    await Consumer.perform_seek(cast(Consumer, consumer))
    assert consumer.seeks == [(other, 3)]  # RAW went to its commit (Faust's own seek)
    assert consumer.__dict__["_hub_following"] == {RAW: 20, other: 3}
