"""The per-worker index of due work (architecture: timers never write tables).

It maps a table key to the next moment it needs attention, only for the partitions this worker
owns. It is rebuilt from a table whenever the assignment changes (restart, rebalance), so it
holds no state of its own that Kafka does not also hold. Two rules keep a restart from losing
a deadline: the rebuild waits until Faust has finished recovering the tables (an index built
from a half-restored table would miss patients until their next event), and it yields to the
event loop every few thousand keys, so a million episodes do not stall the worker's stages.

Times are kept as POSIX seconds: a float per key instead of a datetime object, which matters at
a million keys.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import faust

from agents.offsets import rebalancing
from hub.logs import get_logger

log = get_logger("agents.due")
CHUNK = 5_000  # keys between two yields to the event loop during a rebuild


class DueIndex:
    def __init__(self) -> None:
        self._due: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._assignment: frozenset[Any] | None = None
        # set() calls made while a rebuild yields: newer than what the rebuild read, they win
        self._during_rebuild: dict[str, float | None] | None = None
        self.skipped = 0  # records whose due time could not be read (logged, counted)

    def __len__(self) -> int:
        return len(self._due)

    def set(self, key: str, at: datetime | None) -> None:
        if self._during_rebuild is not None:
            self._during_rebuild[key] = at.timestamp() if at is not None else None
        if at is None:
            self._due.pop(key, None)
            return
        when = at.timestamp()
        if self._due.get(key) != when:
            self._due[key] = when
            heapq.heappush(self._heap, (when, key))

    def pop_due(self, now: datetime) -> list[str]:
        """Keys due at ``now``; each is handed out once until ``set`` gives it a new time."""
        ready, limit = [], now.timestamp()
        while self._heap and self._heap[0][0] <= limit:
            when, key = heapq.heappop(self._heap)
            if self._due.get(key) == when:  # skip entries superseded by a later set()
                del self._due[key]
                ready.append(key)
        return ready

    async def rebuild(self, items: Iterable[tuple[str, Any]],
                      next_due: Callable[[Any], datetime | None]) -> None:
        due: dict[str, float] = {}
        self._during_rebuild = {}
        try:
            for count, (key, stored) in enumerate(items, start=1):
                try:
                    at = next_due(stored)
                except Exception as exc:  # one bad record must not stop every deadline
                    self.skipped += 1
                    log.warning("due.unreadable_record", error=type(exc).__name__,
                                count=self.skipped)
                    continue
                if at is not None:
                    due[key] = at.timestamp()
                if count % CHUNK == 0:
                    await asyncio.sleep(0)  # let the stages run: this is not synchronization
            for key, when in self._during_rebuild.items():
                if when is None:
                    due.pop(key, None)
                else:
                    due[key] = when
        finally:
            self._during_rebuild = None
        self._due = due
        self._heap = [(when, key) for key, when in due.items()]
        heapq.heapify(self._heap)

    async def track(self, app: faust.App, table: Any,
                    next_due: Callable[[Any], datetime | None]) -> None:
        """Rebuild from the table when this worker's partitions changed since the last look,
        once the tables are recovered; until then the next timer tick looks again."""
        if rebalancing(app):
            return
        assignment = frozenset(app.consumer.assignment()) if app.consumer else frozenset()
        if assignment != self._assignment:
            await self.rebuild(table.items(), next_due)
            self._assignment = assignment
