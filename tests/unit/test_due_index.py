"""The per-worker due-work index behind the timers (architecture: timers never write tables)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from agents.due import CHUNK, DueIndex

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_keys_come_out_once_when_due_in_time_order() -> None:
    """A key is handed out when its time comes, once, and not before."""
    index = DueIndex()
    index.set("b", T0 + timedelta(minutes=2))
    index.set("a", T0 + timedelta(minutes=1))
    assert index.pop_due(T0) == []
    assert index.pop_due(T0 + timedelta(minutes=5)) == ["a", "b"]
    assert index.pop_due(T0 + timedelta(minutes=5)) == []


def test_a_later_set_supersedes_and_none_removes() -> None:
    """Rescheduling moves a key; clearing it means no tick at all."""
    index = DueIndex()
    index.set("a", T0)
    index.set("a", T0 + timedelta(hours=1))
    index.set("b", T0)
    index.set("b", None)
    assert index.pop_due(T0 + timedelta(minutes=1)) == []
    assert index.pop_due(T0 + timedelta(hours=1)) == ["a"]


async def test_rebuild_from_table_items_replaces_everything() -> None:
    """After a restart or rebalance the index is exactly what the table says."""
    index = DueIndex()
    index.set("stale", T0)
    await index.rebuild([("x", 1), ("y", None)], lambda v: T0 if v else None)
    assert len(index) == 1
    assert index.pop_due(T0) == ["x"]


class FakeApp:
    """What ``track`` reads of a Faust app: recovery state and the consumer's assignment."""

    def __init__(self, assignment: set[int], *, in_recovery: bool = False) -> None:
        self.in_recovery, self.rebalancing = in_recovery, False
        self.consumer = self
        self._assignment = assignment

    def assignment(self) -> set[int]:
        return self._assignment


async def test_no_rebuild_from_a_table_still_recovering() -> None:
    """A restart must not lose deadlines: while Faust recovers the table the index waits, and
    it is rebuilt from the whole table once recovery is over."""
    index, app = DueIndex(), FakeApp({0, 1}, in_recovery=True)
    table = {"a": T0.timestamp()}
    await index.track(app, table, lambda s: datetime.fromtimestamp(s, UTC))  # type: ignore[arg-type]
    assert len(index) == 0
    table["b"] = T0.timestamp()  # the rest of the changelog arrived
    app.in_recovery = False
    await index.track(app, table, lambda s: datetime.fromtimestamp(s, UTC))  # type: ignore[arg-type]
    assert sorted(index.pop_due(T0)) == ["a", "b"]


async def test_a_large_rebuild_lets_other_tasks_run() -> None:
    """Scale: rebuilding many keys yields to the event loop instead of stalling the stages."""
    ran: list[int] = []

    async def stage() -> None:
        ran.append(len(index))

    index = DueIndex()
    items = ((f"k{i}", T0) for i in range(3 * CHUNK))
    rebuild = asyncio.ensure_future(index.rebuild(items, lambda at: at))
    await asyncio.gather(rebuild, stage())
    assert ran == [0] and len(index) == 3 * CHUNK


async def test_a_time_set_while_the_index_rebuilds_is_not_lost() -> None:
    """A restart must not lose deadlines: an agent that reschedules a key while the rebuild
    yields wins over the (older) value the rebuild read, and a key it clears stays cleared."""
    index = DueIndex()
    items = [(f"k{i}", T0 + timedelta(days=1)) for i in range(3 * CHUNK)]

    async def agent() -> None:
        index.set("k1", T0 + timedelta(minutes=1))
        index.set("k2", None)

    await asyncio.gather(index.rebuild(iter(items), lambda at: at), agent())
    assert index.pop_due(T0 + timedelta(minutes=2)) == ["k1"]
    assert len(index) == 3 * CHUNK - 2


def test_one_unreadable_record_never_hides_the_other_deadlines() -> None:
    """Timers never crash (issue 9): a record whose due time cannot be read is counted and
    skipped; the others are indexed."""
    from agents.outreach import _as_time, _DeferredSends
    from hub.domain.phone.policy import ContactPolicy

    at = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    phones = {
        "+16175550101": {"ledger": {"E1:welcome_sms": {"status": "deferred",
                                                       "deferred_until": at.isoformat()}}},
        "+16175550102": {"ledger": {"E2:welcome_sms": {"status": "deferred",
                                                       "deferred_until": "not a time"},
                                    "E2:checkin": {"no": "status"}}},
    }
    index = DueIndex()
    asyncio.run(index.rebuild(_DeferredSends(phones, ContactPolicy()).items(), _as_time))
    assert index.pop_due(at) == ["+16175550101\x00E1:welcome_sms"]
    assert index.skipped == 2
