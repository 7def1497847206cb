"""Stage **api**: the care team's worklist over the ``episodes`` table (bearer-token auth).

A request about one patient is answered by the worker that owns the key; any other worker
forwards it there, body included (``agents.api_routing``). Lists gather every worker's share.
Writes are checked against the rules by the owner, with its clock (so the caller gets its
409/422 at once), and then go through Kafka to the episodes agent: only agents change tables.
Every refusal is ``{"error": reason, "code": id}``; ``/openapi.json`` describes it all.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import wraps
from importlib import resources
from typing import Any

import faust
from faust.types import TableT
from faust.web import Request, Response, View

from agents.api_routing import ROUTED, Placement, not_ready
from agents.batches import delivered
from agents.http import aiohttp_request
from agents.topics import Topics
from hub.api import alerts, worklist
from hub.api.care_team import checked_action, parse_action, patient_view
from hub.api.gather import gather
from hub.api.refusals import ApiRefusal, check_bearer, error_body
from hub.clock import Clock
from hub.config import Settings
from hub.domain.alerts.lifecycle import AlertRefusal, acknowledge
from hub.domain.episode.actions import RuleViolation
from hub.domain.episode.rules import TcmRules
from hub.logs import get_logger
from hub.web.sessions import SessionKeys

MAX_BODY = 64 * 1024
Handler = Callable[..., Awaitable[Response]]


log = get_logger("agents.api")


def openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        resources.files("hub.api").joinpath("openapi.json").read_text())
    return document


def register(app: faust.App, topics: Topics, settings: Settings, table: TableT[str, Any],
             clock: Clock, rules: Callable[[str], TcmRules],
             alerts_table: TableT[str, Any]) -> None:
    """``rules``: the per-facility rules the episodes agent uses, built once by create_app."""
    placement = Placement(app, table)
    alert_books = Placement(app, alerts_table)
    internal = SessionKeys(settings.session_secret).internal_token() \
        if settings.session_secret else ""
    routing = settings.routing
    document = openapi_document()

    def answering(handler: Handler) -> Handler:
        """Bearer token first; every refusal as JSON with its status."""
        @wraps(handler)
        async def method(view: View, request: Request, **match: Any) -> Response:
            try:
                check_bearer(request.headers.get("Authorization"), settings.api_token, internal)
                return await handler(view, request, **match)
            except (ApiRefusal, RuleViolation, AlertRefusal) as refusal:
                return view.json(error_body(refusal), status=refusal.status)
        return method

    async def at_owner(view: View, request: Request, key: str, body: bytes | None,
                       answer: Callable[[], Awaitable[Response]],
                       where: Placement = placement) -> Response:
        owner = where.owner(key)
        if owner is None:
            return await answer()
        if request.headers.get(ROUTED):
            raise not_ready()  # the sender thinks we own it and we do not: ownership is moving
        status, reply = await where.call(owner, request, "owner", body)
        return view.json(reply, status=status)

    async def everywhere(request: Request, field: str, local: list[Any],
                         where: Placement = placement) -> list[Any]:
        if request.headers.get(ROUTED) == "local":
            return local
        peers = where.peers()
        rows = await gather(local, peers, lambda peer: where.rows_from(peer, request, field))
        log.info("api.gathered", field=field, workers=len(peers) + 1, local=len(local),
                 rows=len(rows))
        return rows

    @app.page("/episodes")
    class WorklistView(View):
        @answering
        async def get(self, request: Request) -> Response:
            filters = worklist.WorklistFilters.from_query(request.query)
            mine = worklist.collect(placement.local_records(listing=True), filters,
                                    now=clock.now(),
                                    rules=rules)
            rows = worklist.ordered(await everywhere(request, "episodes", mine), filters.limit)
            return self.json({"episodes": rows, "limit": filters.limit})

    @app.page("/alerts")
    class AlertsView(View):
        @answering
        async def get(self, request: Request) -> Response:
            filters = alerts.AlertFilters.from_query(request.query, routing)
            mine = alerts.collect(alert_books.local_values(), filters, routing)
            rows = alerts.ordered(await everywhere(request, "alerts", mine, alert_books),
                                  filters.limit)
            return self.json({"alerts": rows, "limit": filters.limit})

    @app.page("/alerts/{key}/{alert_id}")
    class AlertView(View):
        @answering
        async def get(self, request: Request, key: str, alert_id: str) -> Response:
            async def answer() -> Response:
                return self.json(alerts.history(alerts_table.get(key), alert_id, routing))
            return await at_owner(self, request, key, None, answer, alert_books)

    @app.page("/alerts/{key}/{alert_id}/acknowledge")
    class AcknowledgeView(View):
        @answering
        async def post(self, request: Request, key: str, alert_id: str) -> Response:
            if (aiohttp_request(request).content_length or 0) > MAX_BODY:
                raise ApiRefusal("the body is too large", code="too_large", status=413)
            body = await request.read()
            by = alerts.parse_acknowledgement(body)

            async def answer() -> Response:
                acknowledge(alerts_table.get(key), alert_id, by, routing, clock.now())
                if not await delivered(topics.alert_actions, key,
                                       {"alert_id": alert_id, "by": by},
                                       timeout=settings.broker_write_timeout):
                    raise ApiRefusal("the acknowledgement could not be stored: try again",
                                     code="not_stored", status=503)
                return self.json({"acknowledged": alert_id, "by": by}, status=202)
            return await at_owner(self, request, key, body, answer, alert_books)

    @app.page("/episodes/{key}")
    class EpisodeView(View):
        @answering
        async def get(self, request: Request, key: str) -> Response:
            async def answer() -> Response:
                return self.json(patient_view(key, table.get(key), rules, clock.now()))
            return await at_owner(self, request, key, None, answer)

    @app.page("/episodes/{key}/actions")
    class ActionView(View):
        @answering
        async def post(self, request: Request, key: str) -> Response:
            if (aiohttp_request(request).content_length or 0) > MAX_BODY:
                raise ApiRefusal("the body is too large", code="too_large", status=413)
            body = await request.read()
            action = parse_action(body)

            async def answer() -> Response:
                accepted = checked_action(key, table.get(key), action, now=clock.now())
                if not await delivered(topics.episode_actions, key, accepted,
                                       timeout=settings.broker_write_timeout):
                    raise ApiRefusal("the action could not be stored: try again",
                                     code="not_stored", status=503)
                return self.json({"accepted": accepted["action_id"]}, status=202)
            return await at_owner(self, request, key, body, answer)

    @app.page("/openapi.json")
    class OpenApiView(View):
        async def get(self, request: Request) -> Response:
            return self.json(document)
