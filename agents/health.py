"""The operators' doors: ``/healthz`` (the process serves), ``/readyz`` (it can do its work)
and ``/metrics`` (Prometheus, behind ``HUB_METRICS_TOKEN``).

The two probes carry no data (no patient, no count of anything), so an orchestrator asks them
without a credential; ``/readyz`` says which check failed, for the person reading a probe log.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.web import Request, Response, View

from agents.ingest import Running
from hub.adapters import metrics
from hub.api.refusals import ApiRefusal, check_bearer, error_body
from hub.config import Settings

METRICS_OFF = ("metrics are off: set HUB_METRICS_TOKEN (Prometheus sends it as a bearer token)",
               "metrics_off")
PROBE_SECONDS = 2.0


def readiness(app: faust.App) -> dict[str, bool]:
    """The group has given this worker its partitions and its tables are recovered."""
    consumer: Any = getattr(app, "_consumer", None)
    assigned = bool(consumer is not None and consumer.assignment())
    tables: Any = app.tables
    recovery: Any = getattr(tables, "recovery", None)
    recovered = bool(recovery is not None and recovery.completed.is_set()
                     and not getattr(app, "in_recovery", False))
    settled = not getattr(app, "rebalancing", False)
    return {"partitions_assigned": assigned and settled, "tables_recovered": recovered}


def register(app: faust.App, settings: Settings, ingest: Running) -> None:

    @app.page("/healthz")
    class Healthz(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page("/readyz")
    class Readyz(View):
        """200 when the broker answers, the listener listens, the partitions are assigned and
        the tables recovered; else 503 with the checks that failed."""

        async def get(self, request: Request) -> Response:
            checks = readiness(app)
            sink = ingest.sink
            checks["broker_reachable"] = bool(
                sink is not None and await sink.reachable(timeout=PROBE_SECONDS))
            checks["listening"] = ingest.ingestor is not None
            ready = all(checks.values())
            return self.json({"status": "ready" if ready else "not_ready", "checks": checks},
                             status=200 if ready else 503)

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Response:
            try:
                check_bearer(request.headers.get("Authorization"), settings.metrics_token,
                             off=METRICS_OFF)
            except ApiRefusal as refusal:
                return self.json(error_body(refusal), status=refusal.status)
            return self.bytes(metrics.exposition(), content_type=metrics.CONTENT_TYPE.split(";")[0])
