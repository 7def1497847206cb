"""Progress of a long bench step on stderr, at most once a second, so a run of minutes is not
silent (the figures themselves go to stdout). ``clock``: monotonic seconds, a parameter."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    def __init__(self, label: str, total: int, *, out: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic, every: float = 1.0):
        self._label, self._total, self._out = label, total, out or sys.stderr
        self._clock, self._every = clock, every
        self._last = clock()

    def update(self, done: int) -> None:
        now = self._clock()
        if now - self._last >= self._every:
            self._last = now
            print(f"bench: {self._label}: {done:,} of {self._total:,}", file=self._out,
                  flush=True)

    def done(self) -> None:
        print(f"bench: {self._label}: done", file=self._out, flush=True)
