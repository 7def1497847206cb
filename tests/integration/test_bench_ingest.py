"""``hub bench --ingest`` runs against the real broker and reports figures (no timing asserted)."""

from __future__ import annotations

import io

from hub.bench_ingest import bench_ingest
from tests.integration import servers


async def test_ingest_bench_reports_throughput_baseline_and_p99(kafka: servers.Kafka) -> None:
    """ADT-9 speed: ACKed throughput, the bare-producer baseline of the same run, and p99."""
    out = io.StringIO()
    assert await bench_ingest(kafka.bootstrap, messages=160, connections=8, out=out) == 0
    text = out.getvalue()
    for label in ("ACKed throughput", "bare producer baseline", "ratio", "p99 ACK latency"):
        assert label in text
