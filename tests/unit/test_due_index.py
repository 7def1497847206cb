"""The per-worker due-work index behind the timers (architecture: timers never write tables)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.due import DueIndex

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


def test_rebuild_from_table_items_replaces_everything() -> None:
    """After a restart or rebalance the index is exactly what the table says."""
    index = DueIndex()
    index.set("stale", T0)
    index.rebuild([("x", 1), ("y", None)], lambda v: T0 if v else None)
    assert len(index) == 1
    assert index.pop_due(T0) == ["x"]
