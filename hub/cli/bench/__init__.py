"""``hub bench``: figures against a baseline measured in the same run, with a verdict."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from hub.cli.inputs import positive_int, positive_rate, positive_seconds, whole_in


def register(sub: Any) -> None:
    bench = sub.add_parser("bench", help="benchmarks: figures against a baseline of the same run")
    bench.add_argument("--corpus", type=Path, default=None, metavar="DIR",
                       help="HL7 files to normalize (default ../shared/corpus/hl7 when there, "
                            "else a synthetic feed)")
    bench.add_argument("--seconds", type=positive_seconds, default=3.0,
                       help="how long to time each normalization path (default 3)")
    bench.add_argument("--episodes", type=whole_in(0, 50_000_000), default=1_000_000,
                       help="open episodes for the due-index restart figures (0: skip)")
    bench.add_argument("--ingest", action="store_true",
                       help="also measure MLLP ingest into Kafka (needs KAFKA_BOOTSTRAP_SERVERS)")
    bench.add_argument("--messages", type=whole_in(1, 10_000_000), default=4000,
                       help="messages of the ingest step (default 4,000)")
    bench.add_argument("--pipeline", action="store_true",
                       help="also measure discharge to first Twilio request through a worker "
                            "(a broker of its own: the embedded one unless "
                            "KAFKA_BOOTSTRAP_SERVERS is set)")
    bench.add_argument("--discharges", type=positive_int, default=1000,
                       help="discharges of the pipeline's load and capacity phases")
    bench.add_argument("--rate", type=positive_rate, default=200.0,
                       help="discharges a second of the pipeline's load phase")
    bench.add_argument("--worklist", type=whole_in(0, 10_000_000), metavar="N", default=0,
                       help="also measure the worklist page of N open episodes (10000: the "
                            "README's target)")
    bench.add_argument("--simulate", type=whole_in(0, 10_000_000), metavar="N", default=0,
                       help="also time hub simulate over N discharges against N/4 (20000: the "
                            "README's target)")
    bench.set_defaults(run=_run)


def _run(args: Any) -> int:
    from hub.cli.bench.normalize import run_bench
    from hub.errors import InputError

    corpus = args.corpus
    if corpus is None:
        corpus = DEFAULT_CORPUS if DEFAULT_CORPUS.is_dir() else None
    elif not corpus.is_dir():
        raise InputError(f"--corpus {corpus}: not a folder of HL7 files")
    verdicts: list[tuple[str, int]] = []
    verdicts.append(("HL7 normalization", run_bench(corpus, seconds=args.seconds,
                                                    episodes=args.episodes, out=sys.stdout)))
    if args.ingest:
        from hub.cli.bench.ingest import bench_ingest
        from hub.config import Settings

        settings = Settings.from_env()
        verdicts.append(("MLLP ingest", asyncio.run(bench_ingest(
            settings.kafka_bootstrap, messages=args.messages, connections=8, out=sys.stdout,
            zone_for=settings.zone_for, phone_region=settings.phone_region))))
    if args.pipeline:
        from hub.cli.bench.pipeline import run_pipeline_bench

        verdicts.append(("pipeline", run_pipeline_bench(
            os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), discharges=args.discharges,
            rate=args.rate, out=sys.stdout)))
    if args.worklist:
        from hub.cli.bench.worklist import bench_worklist

        verdicts.append(("worklist page", bench_worklist(args.worklist, sys.stdout)))
    if args.simulate:
        from hub.cli.bench.simulate import bench_simulate

        verdicts.append(("dry run", bench_simulate(args.simulate, sys.stdout)))
    missed = [name for name, status in verdicts if status]
    print("Verdict: " + ("every target measured here met" if not missed else
                         "NOT MET: " + ", ".join(missed)), file=sys.stdout)
    return 1 if missed else 0


DEFAULT_CORPUS = Path("../shared/corpus/hl7")
