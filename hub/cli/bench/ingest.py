"""``hub bench ingest``: MLLP ingest into Kafka with acks=all, as the sender sees it (message sent
to ACK received), against a baseline of the same run: the bare producer writing the same records.
Needs a Kafka broker (``KAFKA_BOOTSTRAP_SERVERS``). Everything it writes goes to ``hl7.adt.bench*``
topics, never to ``hl7.adt.raw``: benchmark patients must not enter a live pipeline."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from hub.adapters.kafka_sink import KafkaSink
from hub.adapters.mllp_client import MllpClient
from hub.adapters.mllp_server import MllpServer
from hub.clock import SystemClock
from hub.hl7.ack import ack_summary
from hub.services.ingest import Ingestor
from hub.services.triage import Received, default_zone_for, raw_record, triage

BENCH_RAW = "hl7.adt.bench.raw"


def _message(n: int) -> bytes:
    return (f"MSH|^~\\&|BENCH|GEN|HUB|HUB|20261123||ADT^A08^ADT_A01|B{n}|P|2.5\r"
            f"PID|1||{n % 5000}^^^GEN^MR||DOE^ANA\r").encode()


@dataclass
class Replies:
    """ACK latencies of the AA replies only (an AR is the hub refusing, not throughput), and how
    many replies were something else."""

    latencies: list[float] = field(default_factory=list)
    not_aa: int = 0


async def send_timed(port: int, count: int, start: int, replies: Replies,
                  interval: float | None) -> None:
    client = await MllpClient.connect("127.0.0.1", port)
    try:
        for i in range(count):
            began = time.perf_counter()
            ack = await client.send(_message(start + i))
            if ack_summary(ack).startswith("AA "):
                replies.latencies.append(time.perf_counter() - began)
            else:
                replies.not_aa += 1
            if interval is not None:
                await asyncio.sleep(max(interval - (time.perf_counter() - began), 0))  # pacing
    finally:
        await client.close()


TARGET_ACKED = 2000  # AA'd messages a second over 8 connections (README "Speed")
TARGET_P99_MS = 50.0  # ACK latency at 500 messages a second


async def bench_ingest(bootstrap: str, *, messages: int, connections: int, out: TextIO,
                       zone_for: Callable[[str], ZoneInfo] = default_zone_for,
                       phone_region: str = "US") -> int:
    """0 when every message was ACKed AA; 1 when some were not (the figures then say how many)."""
    sink = KafkaSink(bootstrap)
    await sink.start()
    server = MllpServer(Ingestor(sink, SystemClock(), raw_topic=BENCH_RAW,
                                 rejected_topic=BENCH_RAW + ".rejected", zone_for=zone_for,
                                 phone_region=phone_region))
    await server.start("127.0.0.1", 0)
    assert server.port is not None
    try:
        per = messages // connections
        batches = [_records(per, c * per, zone_for, phone_region) for c in range(connections)]
        baseline_start = time.perf_counter()
        await asyncio.gather(*(_producer_only(sink, batch) for batch in batches))
        baseline = per * connections / (time.perf_counter() - baseline_start)

        full = Replies()
        start = time.perf_counter()
        await asyncio.gather(*(send_timed(server.port, per, c * per, full, None)
                               for c in range(connections)))
        throughput = len(full.latencies) / (time.perf_counter() - start)

        paced = Replies()  # 500 msg/s spread over the connections
        await asyncio.gather(*(send_timed(server.port, min(per, 250), 10**6 + c * per, paced,
                                       connections / 500) for c in range(connections)))
        p99 = (statistics.quantiles(paced.latencies, n=100)[98] * 1000
               if len(paced.latencies) > 1 else float("nan"))
    finally:
        await server.stop()
        await sink.stop()
    refused = full.not_aa + paced.not_aa
    sent = len(full.latencies) + len(paced.latencies) + refused
    print(f"MLLP ingest into Kafka (acks=all, {connections} connections, {messages} messages):",
          file=out)
    print(f"  ACKed throughput        {throughput:>9,.0f} msg/s   (AA only)",
          file=out)
    print(f"  bare producer baseline  {baseline:>9,.0f} msg/s   "
          f"(ratio {throughput / baseline:.2f})", file=out)
    print(f"  p99 ACK latency at 500 msg/s {p99:>6.1f} ms", file=out)
    print(f"  not AA (AE/AR)          {refused:>9,}         of {sent:,} sent", file=out)
    met = not refused and throughput >= TARGET_ACKED and p99 <= TARGET_P99_MS
    print(f"  target   >= {TARGET_ACKED:,} AA/s and p99 <= {TARGET_P99_MS:.0f} ms, every message "
          f"AA: {'met' if met else 'NOT MET'}", file=out)
    return 0 if met else 1


def _records(count: int, start: int, zone_for: Callable[[str], ZoneInfo], phone_region: str
             ) -> list[tuple[str, dict[str, Any]]]:
    """The records the ingest path would write for these messages, built before timing."""
    now = SystemClock().now()
    records = []
    for i in range(start, start + count):
        decision = triage(_message(i), zone_for=zone_for, phone_region=phone_region)
        records.append((decision.key, raw_record(Received(_message(i), "mllp", None, now),
                                                 decision)))
    return records


async def _producer_only(sink: KafkaSink, records: list[tuple[str, dict[str, Any]]]) -> None:
    for key, record in records:
        await sink.write(BENCH_RAW + ".baseline", key, record)
