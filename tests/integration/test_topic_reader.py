"""What ``hub trace --since`` reads (``TopicReader.read_to_end(since=)``), on both brokers the
hub runs on: Apache Kafka and the embedded one of ``hub demo``. Records stamped before the time
are left out, also where the broker's time index answers loosely (the embedded broker gives the
first offset, not "none", for a time past every record)."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from hub.adapters.embedded_broker import EmbeddedBroker
from hub.adapters.topic_reader import TopicReader
from tests.integration import servers

STAMPED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # the first records' broker time


@pytest.fixture(params=["kafka", "embedded"])
async def bootstrap(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    if request.param == "kafka":
        kafka: servers.Kafka = request.getfixturevalue("kafka")
        yield kafka.bootstrap
        return
    with tempfile.TemporaryDirectory() as home:
        broker = EmbeddedBroker.start(Path(home) / "broker.log")
        try:
            yield broker.bootstrap
        finally:
            broker.stop()


async def _written(bootstrap: str, topic: str) -> None:
    """Records 0-2 stamped at ``STAMPED`` (+ n s), 3-5 two hours later, on one partition."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(6):
            at = STAMPED + timedelta(hours=2 * (n // 3), seconds=n)
            await producer.send_and_wait(topic, json.dumps({"n": n}).encode(), key=b"k",
                                         timestamp_ms=int(at.timestamp() * 1000))
    finally:
        await producer.stop()


async def _read(bootstrap: str, topic: str, since: datetime | None) -> list[int]:
    reader = TopicReader(bootstrap, [topic])
    await reader.start()
    try:
        return [record["n"] for record in (await reader.read_to_end(60, since=since))[topic]]
    finally:
        await reader.stop()


async def test_since_keeps_what_was_written_from_then_on(bootstrap: str) -> None:
    topic = f"reader-{uuid.uuid4().hex[:8]}"
    await _written(bootstrap, topic)
    assert await _read(bootstrap, topic, None) == [0, 1, 2, 3, 4, 5]
    assert await _read(bootstrap, topic, STAMPED + timedelta(hours=1)) == [3, 4, 5]
    assert await _read(bootstrap, topic, STAMPED + timedelta(hours=2, seconds=4)) == [4, 5]
    assert await _read(bootstrap, topic, STAMPED + timedelta(days=1)) == []
