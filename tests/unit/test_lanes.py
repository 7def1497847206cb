"""Issue 9, speed: the outreach stage's lanes release their batch once their records are safe,
and go on behind it in order per phone (``agents.lanes``). Events, not sleeps: each lane's
steps wait on futures the test sets."""

from __future__ import annotations

import asyncio

import pytest

from agents.lanes import Lane, Lanes


class Script:
    """A lane's work whose steps the test lets through: it releases when told, then finishes
    when told, writing down what happened in one shared list."""

    def __init__(self, name: str, seen: list[str]):
        self.name, self.seen = name, seen
        loop = asyncio.get_running_loop()
        self.may_release, self.may_finish = loop.create_future(), loop.create_future()

    def let_through(self) -> None:
        """Release and finish, whenever the lane gets there."""
        for step in (self.may_release, self.may_finish):
            if not step.done():
                step.set_result(None)

    async def __call__(self, lane: Lane) -> None:
        self.lane = lane
        self.seen.append(f"{self.name} start")
        await self.may_release
        lane.release()
        await self.may_finish
        self.seen.append(f"{self.name} end{' (fenced)' if lane.fenced else ''}")


async def in_its_tail(lanes: Lanes, key: str, work: Script) -> None:
    """Start ``work`` on ``key`` and let it release its batch: it now runs behind it."""
    work.may_release.set_result(None)
    await lanes.start(key, work)


async def settle() -> None:
    """Let every task that can run, run (a handful of loop turns, no wall time)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_lane_releases_its_batch_before_it_finishes() -> None:
    seen: list[str] = []
    lanes, work = Lanes(4), Script("a", seen)
    released = lanes.start("+16175550101", work)
    await settle()
    assert not released.done()  # the record is not safe yet
    work.may_release.set_result(None)
    await released  # the batch may be acknowledged ...
    assert seen == ["a start"] and lanes.running == 1  # ... while the tail goes on
    work.may_finish.set_result(None)
    await lanes.drain(timeout=5)
    assert seen == ["a start", "a end"] and lanes.running == 0


async def test_a_lane_that_never_releases_releases_when_it_finishes() -> None:
    seen: list[str] = []
    lanes = Lanes(4)

    async def no_send(lane: Lane) -> None:  # a cancel, a deferral: nothing in flight
        seen.append("done")

    await lanes.start("+16175550101", no_send)
    assert seen == ["done"]


async def test_a_phones_next_lane_waits_for_its_previous_tail() -> None:
    seen: list[str] = []
    lanes = Lanes(4)
    first, second = Script("first", seen), Script("second", seen)
    await in_its_tail(lanes, "+16175550101", first)  # released; its tail still runs
    lanes.start("+16175550101", second)
    await settle()
    assert seen == ["first start"]  # the same phone: not before the tail has finished
    first.may_finish.set_result(None)
    await settle()
    assert seen == ["first start", "first end", "second start"]
    second.let_through()
    await lanes.drain(timeout=5)


async def test_other_phones_go_on_beside_a_tail() -> None:
    seen: list[str] = []
    lanes = Lanes(4)
    slow, other = Script("slow", seen), Script("other", seen)
    await in_its_tail(lanes, "+16175550101", slow)
    other.let_through()
    await lanes.start("+16175550102", other)
    await settle()
    assert seen == ["slow start", "other start", "other end"]
    slow.may_finish.set_result(None)
    await lanes.drain(timeout=5)


async def test_no_more_lanes_run_at_once_than_allowed() -> None:
    seen: list[str] = []
    lanes = Lanes(2)
    works = [Script(f"w{n}", seen) for n in range(3)]
    for n, work in enumerate(works):
        lanes.start(f"+1617555010{n}", work)
    await settle()
    assert seen == ["w0 start", "w1 start"]
    works[0].let_through()
    await settle()
    assert seen[-1] == "w2 start"
    for work in works[1:]:
        work.let_through()
    await lanes.drain(timeout=5)


async def test_a_lane_that_fails_before_it_released_fails_its_batch_not_its_phone() -> None:
    """A bug, not a record's error (those are dead-lettered): the batch is not acknowledged
    (Faust reads it again), and the phone's next lane still runs."""
    seen: list[str] = []
    lanes = Lanes(4)

    async def broken(lane: Lane) -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        await lanes.start("+16175550101", broken)
    after = Script("after", seen)
    after.let_through()
    await lanes.start("+16175550101", after)
    await lanes.drain(timeout=5)
    assert seen == ["after start", "after end"]


async def test_a_lane_that_fails_after_it_released_leaves_its_batch_acknowledged() -> None:
    lanes = Lanes(4)

    async def breaks_late(lane: Lane) -> None:
        lane.release()  # the "sending" entry is on Kafka: the ledger answers from here
        raise RuntimeError("a bug in the tail")

    await lanes.start("+16175550101", breaks_late)  # released, no error for the batch
    assert await lanes.drain(timeout=5)


async def test_drain_waits_for_every_tail_and_gives_up_after_its_time() -> None:
    seen: list[str] = []
    lanes = Lanes(4)
    stuck = Script("stuck", seen)
    await in_its_tail(lanes, "+16175550101", stuck)
    await lanes.drain(timeout=0.05)  # a tail that cannot finish: the ledger holds it in flight
    assert lanes.running == 1 and seen == ["stuck start"]
    stuck.may_finish.set_result(None)
    await lanes.drain(timeout=5)
    assert lanes.running == 0 and seen == ["stuck start", "stuck end"]


async def test_a_drain_waits_for_lanes_started_while_it_waits() -> None:
    seen: list[str] = []
    lanes = Lanes(4)
    first, late = Script("first", seen), Script("late", seen)
    await in_its_tail(lanes, "+16175550101", first)
    draining = asyncio.ensure_future(lanes.drain(timeout=5))
    await settle()
    lanes.start("+16175550102", late)  # a batch taken before the flow stopped
    first.let_through()
    await settle()
    assert not draining.done()  # the late lane still runs
    late.let_through()
    assert await draining
    assert seen == ["first start", "late start", "first end", "late end"]


async def test_a_lane_left_running_after_a_drain_is_fenced() -> None:
    """The worker gave its partitions up with the lane still running: the lane writes no more
    state (agents.batches checks ``fenced`` before it writes); one started later is not."""
    seen: list[str] = []
    lanes = Lanes(4)
    stuck = Script("stuck", seen)
    await in_its_tail(lanes, "+16175550101", stuck)
    assert not await lanes.drain(timeout=0.05)
    lanes.fence()
    stuck.let_through()
    assert await lanes.drain(timeout=5)
    after = Script("after", seen)
    after.let_through()
    await lanes.start("+16175550101", after)
    assert seen == ["stuck start", "stuck end (fenced)", "after start", "after end"]
