"""The ``hub`` command: ``worker``, ``demo``, ``send``, ``hl7 parse``, ``simulate``, ``tcm``, ...

Each subcommand is a small function; configuration comes from the environment (``hub.config``),
read once here at start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.errors import BrokerUnavailable, ConfigError

if TYPE_CHECKING:
    from hub.config import Settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hub", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    worker = sub.add_parser("worker", help="run a worker: Faust stages, MLLP listener, web server")
    worker.add_argument("--loglevel", default="info", choices=["debug", "info", "warn", "error"])

    demo = sub.add_parser("demo", help="run the whole hub on an embedded broker, sending nothing")
    demo.add_argument("--keep", action="store_true", help="keep the demo's working directory")

    send = sub.add_parser("send", help="send HL7 files over MLLP and print each ACK")
    send.add_argument("files", nargs="+", type=Path)
    send.add_argument("--host", default="127.0.0.1")
    send.add_argument("--port", type=int, default=2575)

    hl7 = sub.add_parser("hl7", help="HL7 tools for integration analysts")
    hl7_sub = hl7.add_subparsers(dest="hl7_command", required=True)
    parse = hl7_sub.add_parser("parse", help="print the AdtEvent (or the refusal) of each message")
    parse.add_argument("files", nargs="+", type=Path)

    simulate = sub.add_parser("simulate", help="dry-run the TCM rules over a feed, no servers")
    simulate.add_argument("feeds", nargs="+", type=Path)
    simulate.add_argument("--replies", type=Path, help="JSON lines: {at, from, text}")
    simulate.add_argument("--days", type=int, default=30)
    simulate.add_argument("--start", type=datetime.fromisoformat)

    tcm = sub.add_parser("tcm", help="TCM tools")
    tcm_sub = tcm.add_subparsers(dest="tcm_command", required=True)
    preview = tcm_sub.add_parser("preview", help="eligibility, deadlines and plan per discharge")
    preview.add_argument("files", nargs="+", type=Path)

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

    texts = sub.add_parser("templates", help="patient texts")
    texts_sub = texts.add_subparsers(dest="templates_command", required=True)
    texts_check = texts_sub.add_parser(
        "check", help="render and measure every patient text; exit 1 on a problem")
    texts_check.add_argument("directory", nargs="?", type=Path,
                             help="a folder of <language>.toml texts (default: those in use)")
    texts_check.add_argument("--practice", help="default: HUB_PRACTICE_NAME")
    texts_check.add_argument("--callback", help="default: HUB_CALLBACK_NUMBER")

    replay = sub.add_parser("replay", help="ingest HL7 files into Kafka (same path as MLLP)")
    replay.add_argument("files", nargs="+", type=Path)
    dead = sub.add_parser("deadletters", help="dead letters")
    dead_sub = dead.add_subparsers(dest="dead_command", required=True)
    export = dead_sub.add_parser("export", help="write each dead letter's bytes and reason")
    export.add_argument("directory", type=Path)
    again = dead_sub.add_parser(
        "replay", help="send exported dead letters of a stage back to the topic they came from")
    again.add_argument("files", nargs="+", type=Path, help="the exported .json files")

    args = parser.parse_args(argv)
    if args.command != "worker":
        from hub import logs
        logs.configure("warning")  # tools print their results; logs only for problems
        logs.quiet_libraries()  # ... and say in one line what failed
    try:
        if args.command == "worker":
            return _worker(args.loglevel)
        if args.command == "demo":
            from hub.cli.demo.run import run_demo
            return run_demo(keep=args.keep)
        if args.command == "hl7":
            from hub.cli.hl7 import parse_files
            from hub.config import Settings
            settings = Settings.from_env()
            return parse_files(args.files, zone_for=settings.zone_for,
                               phone_region=settings.phone_region, out=sys.stdout)
        if args.command in ("replay", "deadletters"):
            return asyncio.run(_replay(args))
        if args.command == "bench":
            from hub.cli.bench.normalize import run_bench
            status = run_bench(args.corpus, seconds=args.seconds, episodes=args.episodes,
                               out=sys.stdout)
            if args.ingest:
                from hub.cli.bench.ingest import bench_ingest
                from hub.config import Settings
                settings = Settings.from_env()
                status |= asyncio.run(bench_ingest(
                    settings.kafka_bootstrap, messages=args.messages, connections=8,
                    out=sys.stdout, zone_for=settings.zone_for,
                    phone_region=settings.phone_region))
            if args.pipeline:
                from hub.cli.bench.pipeline import run_pipeline_bench
                status |= run_pipeline_bench(os.environ.get("KAFKA_BOOTSTRAP_SERVERS"),
                                             discharges=args.discharges, rate=args.rate,
                                             out=sys.stdout)
            return status
        if args.command == "templates":
            return _templates(args)
        if args.command in ("simulate", "tcm"):
            return _dry_run(args)
        if args.command == "send":
            from hub.cli.send import send_files
            return asyncio.run(send_files(args.files, args.host, args.port, out=sys.stdout))
    except ConfigError as exc:
        print(f"hub: configuration error: {exc}", file=sys.stderr)
        return 2
    except BrokerUnavailable as exc:  # a tool's own connection; the worker retries instead
        print(f"hub: {exc.message}", file=sys.stderr)
        return 3
    parser.error(f"unknown command {args.command}")
    return 2


async def _replay(args: argparse.Namespace) -> int:
    from hub.cli.replay import export_dead_letters, replay_dead_letters, replay_files
    from hub.config import Settings

    settings = Settings.from_env()
    if args.command == "replay":
        return await replay_files(args.files, settings.kafka_bootstrap,
                                  idempotent=settings.kafka_idempotence, out=sys.stdout,
                                  zone_for=settings.zone_for, phone_region=settings.phone_region,
                                  refuse_non_production=settings.non_production == "refuse")
    if args.dead_command == "replay":
        return await replay_dead_letters(args.files, settings.kafka_bootstrap,
                                         idempotent=settings.kafka_idempotence, out=sys.stdout)
    return await export_dead_letters(settings.kafka_bootstrap, args.directory, out=sys.stdout)


def _dry_run(args: argparse.Namespace) -> int:
    from hub.cli.simulate import preview, print_json_lines, read_replies, simulate
    from hub.config import Settings
    from hub.domain.episode.rules import rules_for_settings
    from hub.domain.templates import install_from

    settings = Settings.from_env()
    install_from(settings.templates_dir)
    rules_for = rules_for_settings(settings)
    for feed in args.files if args.command == "tcm" else args.feeds:
        if not feed.is_file():
            raise ConfigError(f"{feed}: no such file")
    if args.command == "tcm":
        print_json_lines(preview(args.files, rules_for=rules_for, zone_for=settings.zone_for,
                                 phone_region=settings.phone_region), sys.stdout)
        return 0
    replies = read_replies(args.replies, settings.phone_region) if args.replies else None
    print_json_lines(simulate(args.feeds, rules_for=rules_for, zone_for=settings.zone_for,
                              phone_region=settings.phone_region, days=args.days,
                              start=args.start, replies=replies), sys.stdout)
    return 0


def _templates(args: argparse.Namespace) -> int:
    from hub.cli.templates import templates_check
    from hub.config import Settings
    from hub.domain.templates import install_from

    settings = Settings.from_env()
    directory = args.directory
    if directory is None:
        install_from(settings.templates_dir)  # what the worker would use
    elif not directory.is_dir():
        raise ConfigError(f"{directory}: not a folder of <language>.toml texts")
    practice = settings.practice_name if args.practice is None else args.practice
    callback = settings.callback_number if args.callback is None else args.callback
    return templates_check(directory, practice, callback, out=sys.stdout, err=sys.stderr)


def _worker(loglevel: str) -> int:
    from agents.app import create_app
    from hub import logs
    from hub.adapters.local_state import LocalState
    from hub.config import Settings

    settings = Settings.from_env()
    settings.require_sender()
    logs.configure(loglevel)
    _prepare_topics(settings)
    app = create_app(settings)
    logs.filter_library_logs()  # masked, and one line per repeated error a minute
    local = LocalState(Path(app.conf.tabledir), persistent=not settings.store.startswith("memory"))
    local.open()  # after a crash, the tables are rebuilt from Kafka alone
    worker = faust_worker(app, loglevel)
    try:
        worker.execute_from_commandline()
    except SystemExit as stop:
        if stop.code in (0, None):
            local.stopped_cleanly()
        raise
    return 0


def faust_worker(app: Any, loglevel: str) -> Any:
    """Faust's worker for ``app``, without its terminal spinner: at WARNING and above Faust
    drives the spinner from every log record and sets the root logger to DEBUG for it, so each
    library debug line was built and masked, then dropped (a quarter of a loaded worker's CPU
    in the pipeline bench). ``redirect_stdouts=False``: the hub's own log lines are written to
    stderr; Faust's redirect would turn each into a library log record (and lose them)."""
    import faust

    worker = faust.Worker(app, loglevel=loglevel.upper() if loglevel != "warn" else "WARNING",
                          redirect_stdouts=False)
    worker.spinner = None
    return worker


def _prepare_topics(settings: Settings) -> None:
    from agents.topics import ALL
    from hub.adapters.kafka_topics import prepare_topics
    from hub.topic_names import changelogs

    # A loop of its own, never made current: Faust's worker sets up the loop it runs on.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(prepare_topics(
            settings.kafka_bootstrap, ALL, settings.app_id, partitions=settings.partitions,
            replication=settings.topic_replication, changelogs=changelogs(settings.app_id)))
    finally:
        loop.close()


if __name__ == "__main__":
    raise SystemExit(main())
