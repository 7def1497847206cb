"""The one Faust app: ``create_app`` wires settings and ports into the stages of architecture.md.

Production (``hub worker``), ``hub demo`` and the integration tests all build the app here; only
the ports differ (the outbound adapter, the clock).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import faust

from agents import (
    alerts,
    api,
    episodes,
    health,
    ingest,
    normalize,
    notify,
    outreach,
    pages,
    webhooks,
)
from agents.fetching import wait_at_most
from agents.offsets import Unstick, commit_only_handled, rebalancing
from agents.topics import Topics
from hub.adapters.alert_channels import AlertChannel
from hub.adapters.kafka_sink import MAX_REQUEST_BYTES
from hub.adapters.metrics import set_lag
from hub.adapters.outbound import Outbound
from hub.clock import Clock, OffsetClock, SystemClock
from hub.config import Settings
from hub.domain.episode.rules import rules_for_settings
from hub.domain.templates import install_from
from hub.logs import get_logger
from hub.topic_names import STAGE_INPUTS

log = get_logger("agents.app")
UNSTICK_SECONDS = 2.0  # a stalled partition moves again within seconds (QUIET_SECONDS)


def advertised_host(web_host: str) -> str:
    """The host in Faust's canonical URL, where the other workers reach this one (routed
    requests, gathered lists). The server binds every interface anyway; a wildcard reaches no
    one, so advertise the host name, as Faust does by default."""
    return socket.gethostname() if web_host in ("", "0.0.0.0", "::") else web_host


def create_app(settings: Settings, *, outbound: Outbound | None = None,
               clock: Clock | None = None,
               channels: dict[str, AlertChannel] | None = None) -> faust.App:
    commit_only_handled()  # a rebalance must not commit past records no stage handled
    wait_at_most(settings.fetch_wait_ms)  # a record never waits behind an idle partition
    if clock is None:
        clock = OffsetClock(settings.clock_start) if settings.clock_start else SystemClock()
    # A short rebalance for a one-worker demo: the group join waits for the session timeout too.
    extra: dict[str, Any] = ({} if settings.rebalance_timeout is None else {
        "broker_rebalance_timeout": settings.rebalance_timeout,
        "broker_session_timeout": max(6.0, 2 * settings.rebalance_timeout),
        "broker_heartbeat_interval": 1.0})
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store=settings.store,
        datadir=str(Path(settings.data_dir)),
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.topic_replication,
        topic_allow_declare=True,
        producer_acks=-1,
        producer_linger=settings.producer_linger_ms / 1000,
        # dead letters and rejected records carry the raw bytes: as large as ingest's own
        producer_max_request_size=MAX_REQUEST_BYTES,
        web_host=advertised_host(settings.web_host),
        web_bind=settings.web_host or "0.0.0.0",
        web_port=settings.web_port,
        web_in_thread=False,
        # Faust's /table pages would show table values (PHI) to anyone, unauthenticated; the
        # statistics and graph pages are for debugging. /router stays: workers use it.
        web_tables_enabled=False, web_stats_enabled=False, web_graph_enabled=False,
        autodiscover=False,
        table_standby_replicas=settings.standby_replicas,
        **extra,
    )
    topics = Topics.declare(app, settings.partitions)
    listener = ingest.register(app, settings, clock)
    health.register(app, settings, listener)
    normalize.register(app, topics, settings, clock)
    install_from(settings.templates_dir)  # edited patient texts, checked with the rules
    rules = rules_for_settings(settings)  # once: the episodes agent and the API share them
    episodes_table = episodes.register(app, topics, settings, clock, rules)
    outreach.register(app, topics, settings, clock, outbound)
    alerts_table = alerts.register(app, topics, settings, clock)
    notify.register(app, topics, settings, clock, channels)
    webhooks.register(app, topics, settings)
    api.register(app, topics, settings, episodes_table, clock, rules, alerts_table)
    pages.register(app, topics, settings, clock)
    unstick = Unstick()

    @app.timer(UNSTICK_SECONDS)
    async def unstick_partitions() -> None:
        """Offsets: a stage partition whose commit stopped while records wait is read again."""
        if rebalancing(app):
            return
        try:
            await unstick.look(app.consumer, STAGE_INPUTS)  # type: ignore[arg-type]
            set_lag(unstick.lag)
        except Exception:  # a timer that raises takes the worker down: log, look again
            log.exception("offsets.watch_error")

    return app
