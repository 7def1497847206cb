"""The per-worker index of due work (architecture: timers never write tables).

It maps a table key to the next moment it needs attention, only for the partitions this worker
owns. It is rebuilt from the table whenever the assignment changes (restart, rebalance), so it
holds no state of its own that Kafka does not also hold.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import datetime
from typing import Any

import faust


class DueIndex:
    def __init__(self) -> None:
        self._due: dict[str, datetime] = {}
        self._heap: list[tuple[datetime, str]] = []
        self._assignment: frozenset[Any] | None = None

    def __len__(self) -> int:
        return len(self._due)

    def set(self, key: str, at: datetime | None) -> None:
        if at is None:
            self._due.pop(key, None)
            return
        if self._due.get(key) != at:
            self._due[key] = at
            heapq.heappush(self._heap, (at, key))

    def pop_due(self, now: datetime) -> list[str]:
        """Keys due at ``now``; each is handed out once until ``set`` gives it a new time."""
        ready = []
        while self._heap and self._heap[0][0] <= now:
            at, key = heapq.heappop(self._heap)
            if self._due.get(key) == at:  # skip entries superseded by a later set()
                del self._due[key]
                ready.append(key)
        return ready

    def rebuild(self, items: Any, next_due: Callable[[Any], datetime | None]) -> None:
        self._due.clear()
        self._heap = []
        for key, stored in items:
            at = next_due(stored)
            if at is not None:
                self._due[key] = at
        self._heap = [(at, key) for key, at in self._due.items()]
        heapq.heapify(self._heap)

    def track(self, app: faust.App, table: Any, next_due: Callable[[Any], datetime | None]
              ) -> None:
        """Rebuild from the table when this worker's partitions changed since the last look."""
        assignment = frozenset(app.consumer.assignment()) if app.consumer else frozenset()
        if assignment != self._assignment:
            self.rebuild(table.items(), next_due)
            self._assignment = assignment
