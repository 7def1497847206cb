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
finished. Tails are finished before the worker gives up partitions (``drain`` from the
rebalance, before Faust closes their stores) and before it stops; a tail that cannot finish in
time stays in the ledger as a send in flight, which the worker that owns the phone next looks up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from hub.logs import get_logger

log = get_logger("agents.lanes")
Release = Callable[[], None]


class Lanes:
    """Lanes keyed by phone; at most ``concurrency`` run at once on a worker."""

    def __init__(self, concurrency: int):
        self._gate = asyncio.Semaphore(concurrency)
        self._tails: dict[str, asyncio.Future[None]] = {}

    def start(self, key: str, work: Callable[[Release], Awaitable[None]]) -> asyncio.Future[None]:
        """Run ``work(release)`` after ``key``'s previous lane; the future is done once the lane
        has called ``release`` or finished, whichever comes first."""
        released: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def release() -> None:
            if not released.done():
                released.set_result(None)

        previous = self._tails.get(key)

        async def run() -> None:
            try:
                if previous is not None:
                    await previous  # never raises: a lane's errors end here
                async with self._gate:
                    await work(release)
            except Exception:  # the handler dead-letters a record's errors; this is a bug
                log.exception("lanes.error")
            finally:
                release()
                if self._tails.get(key) is lane:
                    del self._tails[key]

        lane = asyncio.ensure_future(run())
        self._tails[key] = lane
        return released

    @property
    def running(self) -> int:
        return len(self._tails)

    async def drain(self, timeout: float) -> None:
        """Wait until every lane started so far has finished, at most ``timeout`` seconds (a
        lane left over is a send in flight in the ledger)."""
        tails = list(self._tails.values())
        if not tails:
            return
        _, pending = await asyncio.wait(tails, timeout=timeout)
        if pending:
            log.warning("lanes.not_drained", lanes=len(pending), waited_s=timeout)
