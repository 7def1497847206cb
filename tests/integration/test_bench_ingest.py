"""``hub bench --ingest`` runs against the real broker and reports figures (no timing asserted)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from hub.adapters.mllp_server import MllpServer
from hub.adapters.topic_reader import TopicReader
from hub.cli.bench.ingest import BENCH_RAW, Replies, bench_ingest, send_timed
from hub.clock import FixedClock
from hub.services.ingest import Ingestor, MemorySink
from tests.integration import servers


async def test_ingest_bench_reports_throughput_baseline_and_p99(kafka: servers.Kafka) -> None:
    """ADT-9 speed: ACKed throughput, the bare-producer baseline of the same run, and p99; the
    benchmark's messages are on its own topic, never on the live hl7.adt.raw."""
    out = io.StringIO()
    status = await bench_ingest(kafka.bootstrap, messages=160, connections=8, out=out)
    text = out.getvalue()
    assert ("every message AA: met" in text) == (status == 0)  # the verdict, and the status
    for label in ("ACKed throughput", "bare producer baseline", "ratio", "p99 ACK latency"):
        assert label in text
    assert [line.split()[3] for line in text.splitlines() if "not AA" in line] == ["0"]
    reader = TopicReader(kafka.bootstrap, [BENCH_RAW])
    await reader.start()
    try:
        records = (await reader.read_to_end())[BENCH_RAW]
    finally:
        await reader.stop()
    assert len({r["control_id"] for r in records if r["sending_application"] == "BENCH"}) >= 160


async def test_ar_replies_are_counted_apart_not_as_throughput() -> None:
    """ADT-9 speed: a reply that is not AA (here AR, the broker down) is counted as not AA and
    never timed as an ACKed message."""
    sink = MemorySink([], down=True)
    server = MllpServer(Ingestor(sink, FixedClock(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))))
    await server.start("127.0.0.1", 0)
    assert server.port is not None
    replies = Replies()
    try:
        await send_timed(server.port, 5, 0, replies, None)
    finally:
        await server.stop()
    assert (replies.not_aa, replies.latencies) == (5, [])
