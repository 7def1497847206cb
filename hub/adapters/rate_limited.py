"""At most N provider requests a second from one worker, whatever the stage's concurrency.

Twilio limits concurrent API requests per account and answers 429 past them; a hub that sends
a burst of discharges must pace itself instead of collecting 429s. Requests are spaced evenly,
``(1 + LATENESS)/rate`` seconds apart, so no second *as the provider sees it* holds more than
``rate`` (+1 at its edge), even when requests held up by a busy event loop leave together with
the ones due after them, or arrive that much late. Spaced exactly ``1/rate`` apart, a saturated
stage put 604 requests into one second at the bench's stand-in under a 600/s limit (``hub bench
--pipeline``), and 606 with 20 ms of room; with 50 ms, 576-579 in four runs. The price: at most
``rate / 1.05`` requests a second. Time comes from the event loop's monotonic clock, which is an
adapter's business.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from hub.adapters.outbound import CallScript, Outbound, Receipt

LATENESS = 0.05  # seconds a request may leave (or arrive) late and still fit the provider's second


class Pacer:
    """Hands out start times ``(1 + LATENESS)/rate`` apart (at most ``rate`` a second, evenly
    spaced, with room for late starts); ``wait`` sleeps until the caller's turn."""

    def __init__(self, rate: float):
        if rate <= 0:
            raise ValueError("a pacer needs a positive rate")
        self._interval = (1.0 + LATENESS) / rate
        self._next = float("-inf")

    def turn(self, now: float) -> float:
        """The moment the next request may start, reserving it (monotonic seconds)."""
        start = max(now, self._next)
        self._next = start + self._interval
        return start

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        start = self.turn(loop.time())
        delay = start - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing requests, not synchronization


class RateLimited:
    """An ``Outbound`` that paces creates and look-ups through one ``Pacer``."""

    def __init__(self, outbound: Outbound, rate: float):
        self._outbound = outbound
        self._pacer = Pacer(rate)

    async def send_sms(self, to: str, body: str, *, status_callback: str | None) -> Receipt:
        await self._pacer.wait()
        return await self._outbound.send_sms(to, body, status_callback=status_callback)

    async def place_call(self, to: str, script: CallScript, *, status_callback: str | None
                         ) -> Receipt:
        await self._pacer.wait()
        return await self._outbound.place_call(to, script, status_callback=status_callback)

    async def find_sent(self, to: str, channel: str, body: str | None, since: datetime
                        ) -> Receipt | None:
        await self._pacer.wait()
        return await self._outbound.find_sent(to, channel, body, since)

    async def close(self) -> None:
        await self._outbound.close()
