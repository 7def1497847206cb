"""Per-key lanes that outlive their batch once their records are safe: the outreach stage's
pipelining (issue 9: a discharge's first Twilio request within a second at 200 a second).

A batch of the outreach stage holds records for many phones. Each phone's records form a lane,
handled in arrival order; lanes of different phones run side by side. A lane's last step is a
provider call followed by two broker acknowledgements (its result, then its ledger entry); when
the batch waited for every lane to finish, the next batch waited for the slowest call of the
whole batch, and every command behind it too.

A lane instead **releases** its batch as soon as what remains of it is safe without the input
record: when its last record's "sending" entry is on Kafka (the send path's ``save``), or when it
has finished. From that moment a crash is covered by the ledger, not by reading the command
again: the entry in flight is looked up at the provider once the policy's in-doubt time has
passed (``hub.services.delivery``), exactly as after a crash mid-call. The batch's records are
acknowledged once every lane has released it; the rest of a lane (the call, its result, the
entry as sent) goes on in the background as the lane's **tail**.

Order per phone holds across batches: a phone's next lane starts only when its previous tail has
finished. Before the worker gives up partitions (a rebalance) or stops, the stage takes no new
batch and every lane is drained, before Faust closes the tables' stores; the drain is bounded
(under the group's rebalance timeout, so the worker is not dropped from the group meanwhile). A
lane still running then is **fenced**: it writes no more state, since another worker may own
its phone by now and a stale copy of the phone's ledger must not overwrite what that worker
wrote. Its send stays in flight in the ledger, and whoever owns the phone next looks it up. A
lane that fails before it released its batch fails the batch (it is read again), as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from hub.logs import get_logger

log = get_logger("agents.lanes")


class Lane:
    """One phone's turn in a batch: ``release`` hands the batch back; ``fenced`` is set when the
    worker gave up partitions while the lane still ran (its state is not written any more)."""

    def __init__(self, released: asyncio.Future[None]):
        self._released = released
        self.fenced = False

    def release(self) -> None:
        if not self._released.done():
            self._released.set_result(None)


class Lanes:
    """Lanes keyed by phone; at most ``concurrency`` run at once on a worker."""

    def __init__(self, concurrency: int):
        self._gate = asyncio.Semaphore(concurrency)
        self._tails: dict[str, asyncio.Future[None]] = {}
        self._open: set[Lane] = set()

    def start(self, key: str, work: Callable[[Lane], Awaitable[None]]) -> asyncio.Future[None]:
        """Run ``work(lane)`` after ``key``'s previous lane; the future is done once the lane
        has called ``release`` or finished, whichever comes first, and fails if the lane fails
        before it released."""
        released: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        lane = Lane(released)
        previous = self._tails.get(key)

        async def run() -> None:
            self._open.add(lane)
            try:
                if previous is not None:
                    await previous  # never raises: a lane's errors end here
                async with self._gate:
                    await work(lane)
            except Exception as exc:  # the handler dead-letters a record's errors; this is a bug
                log.exception("lanes.error", released=released.done())
                if not released.done():
                    released.set_exception(exc)  # the batch is not acknowledged: read again
            finally:
                lane.release()
                self._open.discard(lane)
                if self._tails.get(key) is task:
                    del self._tails[key]

        task = asyncio.ensure_future(run())
        self._tails[key] = task
        return released

    @property
    def running(self) -> int:
        return len(self._tails)

    async def drain(self, timeout: float) -> bool:
        """Wait until no lane runs, also the ones started meanwhile, for at most ``timeout``
        seconds; whether they all finished."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tails and (left := deadline - loop.time()) > 0:
            await asyncio.wait(list(self._tails.values()), timeout=left)
        if self._tails:
            log.warning("lanes.not_drained", lanes=len(self._tails), waited_s=timeout)
        return not self._tails

    def fence(self) -> None:
        """Every lane running now writes no more state (see the module's docstring)."""
        for lane in self._open:
            lane.fenced = True
