"""A broker that accepts the connection and never answers (a peer that hangs): the raw sink's
deadline ends each attempt (``reachable`` False, ``write`` BrokerUnavailable), and what it had
started is stopped, not left to the garbage collector ("Unclosed AIOKafkaProducer") once per
probe for as long as the outage lasts."""

from __future__ import annotations

import asyncio
import gc

import pytest

from hub.adapters.kafka_sink import KafkaSink
from hub.errors import BrokerUnavailable


async def test_attempts_against_a_silent_broker_end_and_leave_nothing_behind() -> None:
    loop = asyncio.get_running_loop()
    complaints: list[str] = []
    loop.set_exception_handler(lambda _loop, context: complaints.append(str(context)))
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read()  # says nothing until the client goes
        held.remove(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sink = KafkaSink(f"127.0.0.1:{port}", request_timeout_ms=60_000, write_timeout=0.5)
    try:
        for _ in range(3):
            assert await sink.reachable(timeout=0.3) is False
        with pytest.raises(BrokerUnavailable):
            await sink.write("hl7.adt.raw", "GEN|1", {"control_id": "C1"})
        gc.collect()
        await asyncio.sleep(0)  # let the loop report what the collector found
        assert not [c for c in complaints if "Unclosed" in c], complaints
    finally:
        await sink.stop()
        server.close()
        for writer in held:
            writer.close()
