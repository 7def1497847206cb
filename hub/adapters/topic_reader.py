"""Read what the hub wrote: a consumer of the hub's output topics from the beginning, used by
``hub demo`` and by the integration tests to wait for results on the broker itself (no sleeps)."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from hub.errors import broker_unreachable


async def until(check: Callable[[], bool | Awaitable[bool]], timeout: float,
                interval: float = 0.1) -> bool:
    """Poll ``check`` (a count another task updates, or a coroutine asking a server for a
    state) until it holds; False after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await _holds(check):
        if loop.time() > deadline:
            return False
        await asyncio.sleep(interval)  # polling a condition, re-checked
    return True


async def _holds(check: Callable[[], bool | Awaitable[bool]]) -> bool:
    answer = check()
    return bool(await answer) if inspect.isawaitable(answer) else bool(answer)


class TopicReader:
    def __init__(self, bootstrap: str, topics: list[str], *, stamped: bool = False):
        """``stamped``: each record gets ``_written_at``, the broker's timestamp of it (ISO,
        UTC), for the records that carry no time of their own, and ``_key``, its key."""
        self._bootstrap, self._stamped = bootstrap, stamped
        self._consumer = AIOKafkaConsumer(
            *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
            enable_auto_commit=False, group_id=None, metadata_max_age_ms=1000)
        self.records: dict[str, list[dict[str, Any]]] = {topic: [] for topic in topics}
        self._from_ms: int | None = None  # records stamped earlier are passed over (``since``)

    async def start(self) -> None:
        """``BrokerUnavailable`` naming the address when the broker cannot be reached."""
        try:
            await self._consumer.start()
        except KafkaError as exc:
            await self._consumer.stop()
            raise broker_unreachable(self._bootstrap) from exc

    async def stop(self) -> None:
        await self._consumer.stop()

    async def wait_until(self, done: Callable[[dict[str, list[dict[str, Any]]]], bool],
                         timeout: float) -> bool:
        """Consume until ``done(records)`` holds; False if ``timeout`` seconds pass first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not done(self.records):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            batches = await self._consumer.getmany(timeout_ms=int(min(remaining, 1.0) * 1000))
            self._keep(batches)
        return True

    async def read_to_end(self, timeout: float = 30.0, since: datetime | None = None
                          ) -> dict[str, list[dict[str, Any]]]:
        """Everything on the topics up to their end offsets as of now; ``since``: only what
        was written from then on (each partition sought to that time first)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._consumer.assignment():
            if loop.time() > deadline:
                raise TimeoutError(f"Kafka at {self._bootstrap}: no partitions were assigned "
                                   f"in {timeout:.0f} s")
            await self._drain(0.2)
        if since is not None:
            await self._seek_to(since)
        ends = await self._consumer.end_offsets(list(self._consumer.assignment()))
        while True:
            positions = [await self._consumer.position(tp) for tp in ends]
            if all(pos >= ends[tp] for pos, tp in zip(positions, ends, strict=True)):
                return self.records
            if loop.time() > deadline:
                raise TimeoutError(f"Kafka at {self._bootstrap}: the topics were not read to "
                                   f"their end in {timeout:.0f} s")
            await self._drain(0.5)

    async def _seek_to(self, since: datetime) -> None:
        """Each partition sought to its first record stamped at or after ``since``; the
        records read are held to that time too, as a broker may answer a time index loosely
        (the embedded one gives the first offset, not "none", for a time past the last)."""
        partitions = list(self._consumer.assignment())
        self._from_ms = int(since.timestamp() * 1000)
        found = await self._consumer.offsets_for_times(
            {tp: self._from_ms for tp in partitions})
        ends = await self._consumer.end_offsets(partitions)
        for tp in partitions:
            at = found.get(tp)
            self._consumer.seek(tp, at.offset if at is not None else ends[tp])
        for records in self.records.values():
            records.clear()  # what the wait for the assignment read before the seek

    async def _drain(self, seconds: float) -> None:
        self._keep(await self._consumer.getmany(timeout_ms=int(seconds * 1000)))

    def _keep(self, batches: dict[Any, list[Any]]) -> None:
        for partition, messages in batches.items():
            for message in messages:
                if message.value is not None and (
                        self._from_ms is None or message.timestamp >= self._from_ms):
                    self.records[partition.topic].append(self._decoded(message))

    def _decoded(self, message: Any) -> dict[str, Any]:
        record: dict[str, Any] = json.loads(message.value)
        if self._stamped and isinstance(record, dict):
            record["_written_at"] = datetime.fromtimestamp(message.timestamp / 1000,
                                                           UTC).isoformat()
            if message.key is not None:
                record["_key"] = message.key.decode("utf-8", "replace")
        return record
