"""``hub bench --ingest`` runs against the real broker and reports figures (no timing asserted)."""

from __future__ import annotations

import io

from hub.bench_ingest import BENCH_RAW, bench_ingest
from hub.topic_reader import TopicReader
from tests.integration import servers


async def test_ingest_bench_reports_throughput_baseline_and_p99(kafka: servers.Kafka) -> None:
    """ADT-9 speed: ACKed throughput, the bare-producer baseline of the same run, and p99; the
    benchmark's messages are on its own topic, never on the live hl7.adt.raw."""
    out = io.StringIO()
    assert await bench_ingest(kafka.bootstrap, messages=160, connections=8, out=out) == 0
    text = out.getvalue()
    for label in ("ACKed throughput", "bare producer baseline", "ratio", "p99 ACK latency"):
        assert label in text
    reader = TopicReader(kafka.bootstrap, [BENCH_RAW])
    await reader.start()
    try:
        records = (await reader.read_to_end())[BENCH_RAW]
    finally:
        await reader.stop()
    assert len({r["control_id"] for r in records if r["sending_application"] == "BENCH"}) >= 160
