"""One contract for the raw sink port (issue 10), run against the in-memory fake the unit tests
use (``MemorySink``) and the real adapter on the real broker (``KafkaSink``, ``acks=all``): a
write returns once the record is kept, with its key, in the order written; a broker that
cannot be reached is ``BrokerUnavailable`` (the sender's AR), never another error, and is not
``reachable`` (``/readyz``) while a live one is."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from hub.adapters.kafka_sink import KafkaSink
from hub.errors import BrokerUnavailable
from hub.services.ingest import MemorySink, RawSink
from tests.integration import servers

Records = list[tuple[str, dict[str, Any]]]


@dataclass
class Port:
    sink: RawSink
    read_back: Callable[[str, int], Awaitable[Records]]  # (topic, how many) -> (key, value)s
    unreachable: RawSink  # a sink whose broker is gone


@pytest.fixture(params=["memory", "kafka"])
async def port(request: pytest.FixtureRequest) -> AsyncIterator[Port]:
    if request.param == "memory":
        memory = MemorySink([])

        async def kept(topic: str, count: int) -> Records:
            return [(k, v) for t, k, v in memory.records if t == topic]

        yield Port(memory, kept, MemorySink([], down=True))
        return
    kafka: servers.Kafka = request.getfixturevalue("kafka")
    sink = KafkaSink(kafka.bootstrap)
    await sink.start()
    gone = KafkaSink(f"127.0.0.1:{servers.free_port()}", request_timeout_ms=2000,
                     write_timeout=3.0)

    async def on_the_broker(topic: str, count: int) -> Records:
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka.bootstrap, group_id=None,
                                    auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
        try:
            found: Records = []
            for _ in range(60):  # up to ~30 s of fetches, not a sleep: each waits for data
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found += [(r.key.decode(), json.loads(r.value))
                              for r in records if r.key is not None and r.value is not None]
                if len(found) >= count:
                    break
            return found
        finally:
            await consumer.stop()

    try:
        yield Port(sink, on_the_broker, gone)
    finally:
        await sink.stop()
        await gone.stop()


async def test_a_write_returns_once_the_record_is_kept_in_order_with_its_key(
        port: Port) -> None:
    topic = f"contract.raw.{uuid.uuid4().hex}"
    for n in range(3):
        await port.sink.write(topic, f"GEN|{n}", {"control_id": f"C{n}", "raw_b64": "TVNI"})
    assert await port.read_back(topic, 3) == [
        (f"GEN|{n}", {"control_id": f"C{n}", "raw_b64": "TVNI"}) for n in range(3)]


async def test_a_broker_that_cannot_be_reached_is_broker_unavailable(port: Port) -> None:
    with pytest.raises(BrokerUnavailable):
        await port.unreachable.write("contract.raw.gone", "GEN|1", {"control_id": "C1"})


async def test_reachable_says_whether_the_broker_answers(port: Port) -> None:
    assert await port.sink.reachable(timeout=5.0) is True
    assert await port.unreachable.reachable(timeout=1.0) is False
