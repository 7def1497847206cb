"""``hub worker``: the Faust stages, the MLLP listener and the web server in one process."""

from __future__ import annotations

import asyncio
import logging
import logging.config
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.config import Settings


def register(sub: Any) -> None:
    worker = sub.add_parser("worker", help="run a worker: Faust stages, MLLP listener, web server")
    worker.add_argument("--loglevel", default="info", choices=["debug", "info", "warn", "error"],
                        help="the least severe log lines written (default info)")
    worker.set_defaults(run=lambda args: run_worker(args.loglevel), logs_of_its_own=True)


def run_worker(loglevel: str) -> int:
    from agents.app import create_app
    from hub import logs
    from hub.adapters.local_state import LocalState
    from hub.config import Settings

    settings = Settings.from_env()
    settings.require_sender()
    json = settings.log_format == "json"
    logs.configure(loglevel, json=json)
    logging.config.dictConfig(logs.library_logging_config(loglevel, json))  # before any library
    _prepare_topics(settings)
    app = create_app(settings)
    local = LocalState(Path(app.conf.tabledir), persistent=not settings.store.startswith("memory"))
    local.open()  # after a crash, the tables are rebuilt from Kafka alone
    worker = faust_worker(app, loglevel, json)
    try:
        worker.execute_from_commandline()
    except SystemExit as stop:
        if stop.code in (0, None):
            local.stopped_cleanly()
        raise
    return 0


def faust_worker(app: Any, loglevel: str, json: bool = False) -> Any:
    """Faust's worker for ``app``, without its terminal spinner: at WARNING and above Faust
    drives the spinner from every log record and sets the root logger to DEBUG for it, so each
    library debug line was built and masked, then dropped (a quarter of a loaded worker's CPU
    in the pipeline bench). ``redirect_stdouts=False``: the hub's own log lines are written to
    stderr; Faust's redirect would turn each into a library log record (and lose them)."""
    import faust

    from hub import logs

    worker = faust.Worker(app, loglevel=loglevel.upper() if loglevel != "warn" else "WARNING",
                          redirect_stdouts=False,
                          logging_config=logs.library_logging_config(loglevel, json))
    worker.spinner = None
    return worker


def _prepare_topics(settings: Settings) -> None:
    """The hub's topics and changelogs, created before any stage runs. A worker started before
    its broker tries again for ``HUB_BROKER_START_WAIT`` seconds, then stops with one line
    naming the address: Faust would otherwise crash at its first connection with a page of
    library errors."""
    from agents.topics import ALL
    from hub.adapters.kafka_topics import prepare_topics
    from hub.errors import BrokerUnavailable
    from hub.logs import get_logger
    from hub.topic_names import USERS, changelogs

    async def prepare() -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.broker_start_wait
        while True:
            try:
                return await prepare_topics(
                    settings.kafka_bootstrap, ALL, settings.app_id,
                    partitions=settings.partitions, replication=settings.topic_replication,
                    changelogs=[*changelogs(settings.app_id), USERS])
            except BrokerUnavailable:
                if loop.time() >= deadline:
                    raise
            get_logger("hub.worker").warning("worker.waiting_for_broker",
                                             host=settings.kafka_bootstrap)
            await asyncio.sleep(2.0)  # a new attempt, not a synchronization

    library = logging.getLogger("aiokafka")
    level = library.level
    library.setLevel(logging.CRITICAL)  # its error per attempt: the waiting line says it once
    loop = asyncio.new_event_loop()  # never made current: Faust's worker sets up its own
    try:
        loop.run_until_complete(prepare())
    finally:
        loop.close()
        library.setLevel(level)
