"""Stage **pages**: the worklist a care coordinator signs in to (issue 12), served by every
worker under ``/app/``: ``hub.web.handlers`` does the work, this module adapts it to the
worker's web server and gives it its ports. The pages are a client of the care-team API on
their own worker (an internal token derived from ``HUB_SESSION_SECRET``), so they get its
gathering across workers, its forwarding to the patient's owner and its refusals; accounts
come from ``hub.users``, the audit trail goes to ``access.log``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from importlib import resources
from typing import Any

import aiohttp
import faust
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from faust.web import Request, View
from mode import Service

from agents.batches import delivered
from agents.http import aiohttp_request
from agents.topics import Topics
from hub.adapters.user_directory import UserDirectory
from hub.clock import Clock
from hub.config import Settings
from hub.logs import get_logger
from hub.web.accounts import User
from hub.web.handlers import HEADERS, PageRequest, PageResponse, Pages, redirect
from hub.web.sessions import SessionKeys

log = get_logger("agents.pages")
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript"}
MAX_FORM = 16 * 1024
API_TIMEOUT = aiohttp.ClientTimeout(total=15)


def register(app: faust.App, topics: Topics, settings: Settings, clock: Clock) -> None:
    if not settings.session_secret:
        log.info("pages.off", reason="HUB_SESSION_SECRET is not set")
        return
    keys = SessionKeys(settings.session_secret,
                       idle=timedelta(minutes=settings.session_idle_minutes))
    internal = {"Authorization": f"Bearer {keys.internal_token()}"}
    secure = (settings.twilio.public_url or "").startswith("https://")
    directory = UserDirectory(settings.kafka_bootstrap, settings.broker_write_timeout)

    class Directory(Service):
        async def on_start(self) -> None:
            await directory.start()

        async def on_stop(self) -> None:
            await directory.stop()

    app.service(Directory)

    async def api(method: str, path: str, body: dict[str, Any] | None = None
                  ) -> tuple[int, Any]:
        """The care-team API of this worker (which gathers and forwards)."""
        url = str(app.conf.canonical_url).rstrip("/") + path
        try:
            async with app.http_client.request(method, url, json=body, headers=internal,
                                               timeout=API_TIMEOUT) as response:
                return response.status, await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return 503, {"error": "the hub did not answer: try again", "code": "unavailable"}

    async def audit(user: User, what: str, patient_key: str, **facts: Any) -> bool:
        record = {"at": clock.now().isoformat(), "who": user.username, "role": user.role,
                  "what": what, "patient_key": patient_key, **facts}
        return await delivered(topics.access_log, user.username, record,
                               timeout=settings.broker_write_timeout)

    pages = Pages(api=api, directory=directory, keys=keys, clock=clock,
                  routing=settings.routing, audit=audit,
                  one_time_sign_in=settings.one_time_sign_in, zone_for=settings.zone_for)

    async def request_of(request: Request) -> PageRequest | None:
        raw = aiohttp_request(request)
        form: dict[str, str] = {}
        if raw.method == "POST":
            if (raw.content_length or 0) > MAX_FORM:
                return None
            try:
                form = {k: str(v) for k, v in (await raw.post()).items()}
            except (ValueError, HttpProcessingError):  # not a form: a broken multipart, ...
                return None
        return PageRequest(raw.method, raw.path_qs, dict(raw.query), form, dict(raw.cookies))

    def response_of(answer: PageResponse) -> web.Response:
        response = web.Response(text=answer.body, status=answer.status,
                                content_type=answer.content_type, headers=answer.headers)
        for name, value in answer.cookies.items():
            response.set_cookie(name, value, httponly=True, samesite="Strict", secure=secure,
                                path="/app")
        for name in answer.expired:
            response.del_cookie(name, path="/app")
        return response

    Handler = Callable[..., Awaitable[PageResponse]]

    def serve(handler: Handler, *, session: bool = True, renew: bool = True
              ) -> Callable[..., Any]:
        async def method(view: View, request: Request, **match: Any) -> web.Response:
            page_request = await request_of(request)
            if page_request is None:
                return web.Response(status=400, text="the form is too large or malformed")
            if not session:
                return response_of(await handler(page_request, **match))

            async def inner(req: PageRequest, user: User, sess: Any) -> PageResponse:
                return await handler(req, user, sess, **match)
            return response_of(await pages.signed_in(page_request, inner, renew=renew))
        return method

    def route(path: str, **methods: Callable[..., Any]) -> None:
        name = "Page" + "".join(c if c.isalnum() else "_" for c in path)
        app.page(path)(type(name, (View,), methods))

    route("/app/login", get=serve(lambda r: _sync(pages.login_form(r)), session=False),
          post=serve(pages.login, session=False))
    route("/app/login/once", get=serve(pages.one_time, session=False))
    route("/app/logout", post=serve(pages.logout))
    route("/app/worklist", get=serve(pages.worklist))
    route("/app/patients/{key}", get=serve(pages.patient))
    route("/app/patients/{key}/actions", post=serve(pages.action))
    route("/app/alerts", get=serve(pages.alerts))
    route("/app/alerts.json", get=serve(pages.alerts_json, renew=False))  # the page's own poll
    route("/app/alerts/{key}/{alert_id}/acknowledge", post=serve(pages.acknowledge))
    route("/app/report", get=serve(pages.report))
    route("/app/report.csv", get=serve(pages.report_csv))

    assets = {item.name: item.read_text() for item in
              resources.files("hub.web").joinpath("static").iterdir()
              if item.name[item.name.rfind("."):] in STATIC_TYPES}  # read once, at start-up

    async def static(view: View, request: Request, name: str) -> web.Response:
        if name not in assets:
            return web.Response(status=404, text="no such file")
        return web.Response(text=assets[name], content_type=STATIC_TYPES[name[name.rfind("."):]],
                            headers={**HEADERS, "Cache-Control": "max-age=3600"})

    async def home(view: View, request: Request) -> web.Response:
        return response_of(redirect("/app/worklist"))

    route("/app/static/{name}", get=static)
    route("/app", get=home)
    route("/app/", get=home)  # as people type it


async def _sync(answer: PageResponse) -> PageResponse:
    return answer
