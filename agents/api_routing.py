"""Where a patient lives: which worker owns a key of the ``episodes`` table, which workers hold
the other partitions, and HTTP between workers (Faust's own router forwards only the method and
the headers, so a routed POST would lose its body; this one forwards the body too).

A forwarded request carries ``X-Hub-Routed``: ``owner`` (answer as the owner, never forward
again, so a rebalance cannot make a loop) or ``local`` (answer for your own partitions only).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aiohttp
import faust
from faust.types import TableT
from faust.web import Request
from yarl import URL

from agents.http import aiohttp_request
from hub.api.refusals import ApiRefusal
from hub.domain.episode.record import PatientRecord

ROUTED = "X-Hub-Routed"
TIMEOUT = aiohttp.ClientTimeout(total=10)
PASSED_ON = ("Authorization", "Content-Type")


def not_ready() -> ApiRefusal:
    return ApiRefusal("the workers are sharing out partitions; try again in a few seconds",
                      code="not_ready", status=503, retriable=True)


def source_key(key: str) -> bytes:
    """A patient key as the stages' topics carry it (raw UTF-8). A table record sits in the
    partition of the record that wrote it, so that is the partition to compute: Faust's own
    router hashes the table's JSON-encoded key (with its quotes) and lands elsewhere."""
    return key.encode("utf-8")


class Placement:
    def __init__(self, app: faust.App, table: TableT[str, Any]):
        self.app, self.table = app, table

    def _same(self, url: str | URL) -> bool:
        theirs, mine = URL(str(url)), self.app.conf.canonical_url
        return (theirs.host, theirs.port) == (mine.host, mine.port)

    def owner(self, key: str) -> str | None:
        """The owner's base URL, or None when this worker owns ``key``."""
        try:
            url = self.app.assignor.key_store(self._changelog, source_key(key))
        except KeyError:
            raise not_ready() from None
        return None if self._same(url) else str(url)

    @property
    def _changelog(self) -> str:
        return str(self.table.changelog_topic.get_topic_name())

    def peers(self) -> list[str]:
        """The other workers that hold partitions of the table."""
        hosts = self.app.router.table_metadata(self.table.name)
        if not any(any(topics.values()) for topics in hosts.values()):
            raise not_ready()
        return [url for url, topics in hosts.items() if any(topics.values())
                and not self._same(url)]

    def local_records(self, *, listing: bool = False) -> Iterator[PatientRecord]:
        """``listing``: decoded without plans and timelines (lists never read them)."""
        for stored in self.local_values():
            yield PatientRecord.from_dict(stored, listing=listing)

    def local_values(self) -> Iterator[Any]:
        """Values of the partitions this worker is active for (a standby copy of another
        worker's partition must not be counted twice)."""
        actives = self.app.assignor.assigned_actives()
        name = self._changelog
        for key, stored in list(self.table.items()):
            if self.app.producer.key_partition(name, source_key(key)) in actives:
                yield stored

    async def call(self, base: str, request: Request, routed: str,
                   body: bytes | None = None) -> tuple[int, Any]:
        """The same method, path and query on another worker: (status, JSON body)."""
        headers = {h: request.headers[h] for h in PASSED_ON if h in request.headers}
        url = URL(base.rstrip("/") + aiohttp_request(request).raw_path, encoded=True)
        try:
            async with self.app.http_client.request(
                    request.method, url, data=body, timeout=TIMEOUT,
                    headers={**headers, ROUTED: routed}) as response:
                return response.status, await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ApiRefusal("the worker that holds this data did not answer; try again",
                             code="worker_unavailable", status=503, retriable=True) from exc

    async def rows_from(self, base: str, request: Request, field: str) -> list[Any]:
        status, body = await self.call(base, request, "local")
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get(field), list):
            raise ApiRefusal(f"a worker answered {status}", code="worker_unavailable",
                             status=503, retriable=True)
        return list(body[field])
