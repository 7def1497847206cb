"""``hub bench``: figures against a baseline measured in the same run, with a verdict."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    bench = sub.add_parser("bench", help="benchmarks: figures against a baseline of the same run")
    bench.add_argument("--corpus", type=Path, default=Path("../shared/corpus/hl7"))
    bench.add_argument("--seconds", type=float, default=3.0)
    bench.add_argument("--episodes", type=int, default=1_000_000)
    bench.add_argument("--ingest", action="store_true",
                       help="also measure MLLP ingest into Kafka (needs KAFKA_BOOTSTRAP_SERVERS)")
    bench.add_argument("--messages", type=int, default=4000)
    bench.add_argument("--pipeline", action="store_true",
                       help="also measure discharge to first Twilio request through a worker "
                            "(a broker of its own: the embedded one unless "
                            "KAFKA_BOOTSTRAP_SERVERS is set)")
    bench.add_argument("--discharges", type=int, default=1000,
                       help="discharges of the pipeline's load and capacity phases")
    bench.add_argument("--rate", type=float, default=200.0,
                       help="discharges a second of the pipeline's load phase")
    bench.add_argument("--worklist", type=int, metavar="N", default=0,
                       help="also measure the worklist page of N open episodes (10000: the "
                            "README's target)")
    bench.set_defaults(run=_run)


def _run(args: Any) -> int:
    from hub.cli.bench.normalize import run_bench

    status = run_bench(args.corpus, seconds=args.seconds, episodes=args.episodes, out=sys.stdout)
    if args.ingest:
        from hub.cli.bench.ingest import bench_ingest
        from hub.config import Settings

        settings = Settings.from_env()
        status |= asyncio.run(bench_ingest(
            settings.kafka_bootstrap, messages=args.messages, connections=8, out=sys.stdout,
            zone_for=settings.zone_for, phone_region=settings.phone_region))
    if args.pipeline:
        from hub.cli.bench.pipeline import run_pipeline_bench

        status |= run_pipeline_bench(os.environ.get("KAFKA_BOOTSTRAP_SERVERS"),
                                     discharges=args.discharges, rate=args.rate, out=sys.stdout)
    if args.worklist:
        from hub.cli.bench.worklist import bench_worklist

        status |= bench_worklist(args.worklist, sys.stdout)
    return status
