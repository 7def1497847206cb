"""The clock port. The core never reads the clock; the edges get the time from here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests and simulations: it says what it was told and moves only when told."""

    def __init__(self, at: datetime):
        self.at = at

    def now(self) -> datetime:
        return self.at


class OffsetClock:
    """Real time, shifted so that it read ``start`` when it was made: a worker under test (or a
    rehearsal against a recorded feed) lives at a chosen moment and still moves forward."""

    def __init__(self, start: datetime, base: Clock | None = None):
        self._base = base or SystemClock()
        self._offset = start - self._base.now()

    def now(self) -> datetime:
        return self._base.now() + self._offset
