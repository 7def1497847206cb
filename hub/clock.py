"""The clock port. The core never reads the clock; the edges get the time from here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

OFFSET_EXAMPLE = "2026-11-23T10:00:00-05:00"


def aware_instant(text: str) -> datetime:
    """An ISO 8601 time that says its offset (``Z`` or ``+hh:mm``): what every setting, input
    file and API query that names a moment takes. ``ValueError`` saying which is wrong, for the
    caller to name where it came from."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 time, e.g. {OFFSET_EXAMPLE}, got {text!r}"
                         ) from None
    if moment.tzinfo is None:
        raise ValueError(f"the time needs an offset (Z or +hh:mm), e.g. {OFFSET_EXAMPLE}")
    return moment


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
