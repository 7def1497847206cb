"""The real ``RawSink``: an aiokafka producer with ``acks=all`` and idempotence, so a write that
returns is on every in-sync replica and a retried write is not stored twice.

A broker that cannot be reached when the sink starts does not take the listener down with it:
each write tries to connect again, and until one succeeds it raises ``BrokerUnavailable``, which
the sender gets as AR (resend unchanged). Every write has a deadline (``write_timeout``,
``HUB_BROKER_WRITE_TIMEOUT``): a broker that stops answering after start-up (stopped, paused,
cut off) gets the sender an AR within seconds, not after the outage, and the connection stays
usable. The record may still reach the broker later, when it is back: the sender's resend is
then a duplicate, which normalize's dedupe (ADT-1) absorbs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError

from hub.errors import BrokerUnavailable, broker_unreachable
from hub.topic_names import MAX_RECORD_BYTES

MAX_REQUEST_BYTES = MAX_RECORD_BYTES  # the largest request the producer sends


class KafkaSink:
    def __init__(self, bootstrap: str, *, idempotent: bool = True,
                 request_timeout_ms: int = 10_000, write_timeout: float = 5.0):
        # idempotent=False only for brokers without InitProducerId (the demo's embedded Tansu)
        self._bootstrap, self._idempotent = bootstrap, idempotent
        self._request_timeout_ms = request_timeout_ms
        self._write_timeout = write_timeout
        self._producer: AIOKafkaProducer | None = None
        self._connecting = asyncio.Lock()

    async def start(self) -> None:
        """Connect; ``BrokerUnavailable`` when the broker cannot be reached (writes retry)."""
        async with self._connecting:
            if self._producer is not None:
                return
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap, acks="all",
                enable_idempotence=self._idempotent, request_timeout_ms=self._request_timeout_ms,
                linger_ms=0, max_request_size=MAX_REQUEST_BYTES, compression_type=None)
            try:
                await producer.start()
            except KafkaConnectionError as exc:
                await producer.stop()
                raise broker_unreachable(self._bootstrap) from exc
            except KafkaError as exc:  # reached, and it refused: say what it said
                await producer.stop()
                raise BrokerUnavailable(f"Kafka at {self._bootstrap} refused the producer: "
                                        f"{type(exc).__name__} {exc}") from exc
            except asyncio.CancelledError:  # a deadline passed while a silent broker held it
                await asyncio.shield(producer.stop())
                raise
            self._producer = producer

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def reachable(self, timeout: float = 2.0) -> bool:
        """The broker answers a metadata request within ``timeout`` (``/readyz``); a sink that
        could not connect at start tries again here."""
        try:
            await asyncio.wait_for(self.start(), timeout)
            assert self._producer is not None
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout)
        except (TimeoutError, BrokerUnavailable, KafkaError, OSError):
            return False
        return True

    async def write(self, topic: str, key: str, value: dict[str, Any]) -> None:
        try:
            await asyncio.wait_for(self._write(topic, key, value), self._write_timeout)
        except TimeoutError as exc:
            raise BrokerUnavailable(f"Kafka did not acknowledge the write within "
                                    f"{self._write_timeout:g} s") from exc

    async def _write(self, topic: str, key: str, value: dict[str, Any]) -> None:
        if self._producer is None:
            await self.start()
        assert self._producer is not None
        try:
            await self._producer.send_and_wait(
                topic, json.dumps(value, separators=(",", ":")).encode(), key=key.encode())
        except KafkaError as exc:
            raise BrokerUnavailable(f"Kafka did not acknowledge the write: {exc}") from exc
