"""The real ``RawSink``: an aiokafka producer with ``acks=all`` and idempotence, so a write that
returns is on every in-sync replica and a retried write is not stored twice."""

from __future__ import annotations

import json
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from hub.errors import BrokerUnavailable


class KafkaSink:
    def __init__(self, bootstrap: str, *, idempotent: bool = True, request_timeout_ms: int = 10_000):
        # idempotent=False only for brokers without InitProducerId (the demo's embedded Tansu)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=idempotent,
            request_timeout_ms=request_timeout_ms, linger_ms=0,
            max_request_size=8 << 20, compression_type=None)

    async def start(self) -> None:
        try:
            await self._producer.start()
        except KafkaError as exc:
            raise BrokerUnavailable(f"cannot reach Kafka: {exc}") from exc

    async def stop(self) -> None:
        await self._producer.stop()

    async def write(self, topic: str, key: str, value: dict[str, Any]) -> None:
        try:
            await self._producer.send_and_wait(
                topic, json.dumps(value, separators=(",", ":")).encode(), key=key.encode())
        except KafkaError as exc:
            raise BrokerUnavailable(f"Kafka did not acknowledge the write: {exc}") from exc
