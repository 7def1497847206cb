"""Stage **pages**: the worklist a care coordinator signs in to (issue 12), served by every
worker under ``/app/``. The pages are a client of the care-team API on their own worker (an
internal token derived from ``HUB_SESSION_SECRET``), so they get its gathering across workers,
its forwarding to the patient's owner and its rules and refusals, shown next to the field.

Every page needs a signed-in person (``hub.web.sessions``): a signed, HttpOnly, SameSite=Strict
cookie that ends after ``HUB_SESSION_IDLE_MINUTES`` without a request, and at once when the
account is disabled or its password reset. Every form carries a CSRF token. Every response
has a Content-Security-Policy without inline script, frame denial and no caching. Every view
of a patient and every action is written to ``access.log`` (who, what, when) before the page
is shown: no audit record, no page.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import wraps
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import aiohttp
import faust
from aiohttp import web
from faust.web import Request, View
from mode import Service

from agents.batches import delivered
from agents.http import aiohttp_request
from agents.topics import Topics
from hub.adapters.user_directory import UserDirectory, publish
from hub.clock import Clock
from hub.config import Settings
from hub.logs import get_logger
from hub.web import accounts, views
from hub.web.accounts import User
from hub.web.sessions import COOKIE, PRE_COOKIE, Session, SessionKeys

log = get_logger("agents.pages")
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'; object-src 'none'",
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript"}
MAX_FORM = 16 * 1024
API_TIMEOUT = aiohttp.ClientTimeout(total=15)
Page = Callable[..., Awaitable[web.StreamResponse]]


def register(app: faust.App, topics: Topics, settings: Settings, clock: Clock) -> None:
    if not settings.session_secret:
        log.info("pages.off", reason="HUB_SESSION_SECRET is not set")
        return
    keys = SessionKeys(settings.session_secret,
                       idle=timedelta(minutes=settings.session_idle_minutes))
    internal = {"Authorization": f"Bearer {keys.internal_token()}"}
    secure = (settings.twilio.public_url or "").startswith("https://")
    directory = UserDirectory(settings.kafka_bootstrap)
    routing = settings.routing

    class Directory(Service):
        async def on_start(self) -> None:
            await directory.start()

        async def on_stop(self) -> None:
            await directory.stop()

    app.service(Directory)

    def respond(body: str, status: int = 200, **extra: str) -> web.Response:
        return web.Response(text=body, status=status, content_type="text/html",
                            headers={**HEADERS, **extra})

    def redirect(to: str) -> web.Response:
        return web.Response(status=303, headers={**HEADERS, "Location": to})

    def cookie(response: web.StreamResponse, name: str, value: str) -> None:
        response.set_cookie(name, value, httponly=True, samesite="Strict", secure=secure,
                            path="/app")

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

    def signed_in(page: Page) -> Page:
        """The person behind the session, or the sign-in page; the session renewed."""
        @wraps(page)
        async def method(view: View, request: Request, **match: Any) -> web.StreamResponse:
            raw = aiohttp_request(request)
            now = clock.now()
            session = keys.read(raw.cookies.get(COOKIE), now)
            user = directory.get(session.username) if session else None
            if session is None or user is None or not user.enabled or \
                    user.version != session.version:
                if raw.method == "GET":
                    return redirect("/app/login?" + urlencode({"next": raw.path_qs}))
                return respond(views.render("error.html", title="Signed out",
                                            message="Your session ended: sign in again."),
                               status=401)
            if raw.method == "POST":
                form = await raw.post()
                if not keys.csrf_ok(session.session_id, str(form.get("csrf", ""))):
                    log.warning("pages.csrf_refused", what=type(view).__name__)
                    return respond(views.render("error.html", title="Refused",
                                                message="The form was not sent from this "
                                                        "site's page (CSRF)."), status=403)
            response = await page(view, request, user=user, session=session, **match)
            if response.get("signed_out"):
                response.del_cookie(COOKIE, path="/app")
            else:
                cookie(response, COOKIE, keys.renewed(session, now))
            return response
        return method

    def context(user: User, session: Session, page: str, **more: Any) -> dict[str, Any]:
        return {"user": user, "csrf": keys.csrf(session.session_id), "page": page, **more}

    @app.page("/app/login")
    class Login(View):
        async def get(self, request: Request) -> web.StreamResponse:
            raw = aiohttp_request(request)
            nonce = secrets.token_urlsafe(18)
            response = respond(views.render("login.html", csrf=keys.csrf(nonce), error=None,
                                            next=_safe_next(raw.query.get("next")),
                                            username=""))
            cookie(response, PRE_COOKIE, nonce)
            return response

        async def post(self, request: Request) -> web.StreamResponse:
            raw = aiohttp_request(request)
            if (raw.content_length or 0) > MAX_FORM:
                return respond("too large", status=413)
            form = await raw.post()
            username = str(form.get("username", "")).strip().lower()
            target = _safe_next(str(form.get("next", "")))
            if not keys.csrf_ok(raw.cookies.get(PRE_COOKIE), str(form.get("csrf", ""))):
                return respond(views.render("error.html", title="Refused", message=(
                    "The sign-in form expired or was not this site's: open it again.")),
                    status=403)
            user = await directory.wait_for(username, 2.0) if username else None
            ok = await asyncio.get_running_loop().run_in_executor(
                None, accounts.verify, user, str(form.get("password", "")))
            if not ok or user is None:
                log.info("pages.sign_in_refused")
                nonce = secrets.token_urlsafe(18)
                response = respond(views.render(
                    "login.html", csrf=keys.csrf(nonce), next=target, username=username,
                    error="Wrong user name or password, or the account is disabled."),
                    status=401)
                cookie(response, PRE_COOKIE, nonce)
                return response
            _session, value = keys.issue(user.username, user.version, clock.now())
            response = redirect(target)
            cookie(response, COOKIE, value)
            response.del_cookie(PRE_COOKIE, path="/app")
            log.info("pages.signed_in", role=user.role)
            return response

    used: set[str] = set()  # one-time sign-in nonces this worker took (the demo has one)

    @app.page("/app/login/once")
    class OneTime(View):
        async def get(self, request: Request) -> web.StreamResponse:
            """``hub demo --serve``'s link (HUB_ONE_TIME_SIGN_IN): signed in once, then gone."""
            read = keys.read_one_time(aiohttp_request(request).query.get("token", ""),
                                      clock.now()) if settings.one_time_sign_in else None
            user = await directory.wait_for(read[0], 5.0) if read else None
            if read is None or read[1] in used or user is None or not user.enabled:
                return respond(views.render("error.html", title="Link not valid", message=(
                    "This sign-in link was used, has expired or is not this hub's.")),
                    status=403)
            used.add(read[1])
            _session, value = keys.issue(user.username, user.version, clock.now())
            response = redirect("/app/worklist")
            cookie(response, COOKIE, value)
            return response

    @app.page("/app/logout")
    class Logout(View):
        @signed_in
        async def post(self, request: Request, *, user: User, session: Session
                       ) -> web.StreamResponse:
            """Ends every session of the person (the account's version moves on), on every
            worker: a copied cookie is worth nothing after sign-out."""
            await publish(settings.kafka_bootstrap, accounts.signed_out(user, clock.now()))
            response = redirect("/app/login")
            response["signed_out"] = True
            log.info("pages.signed_out", role=user.role)
            return response

    @app.page("/app/worklist")
    class Worklist(View):
        @signed_in
        async def get(self, request: Request, *, user: User, session: Session
                      ) -> web.StreamResponse:
            query = dict(aiohttp_request(request).query)
            api_query = {k: v for k, v in query.items()
                         if k in ("q", "facility", "status", "due_before") and v}
            api_query["limit"] = "10000"
            status, body = await api("GET", "/episodes?" + urlencode(api_query))
            if status != 200:
                return respond(views.render("error.html", **context(
                    user, session, "worklist", title="Not now",
                    message=body.get("error", "try again"))), status=status)
            rows = views.worklist_rows(body["episodes"], user=user, routing=routing,
                                       team=query.get("team") or None, now=clock.now())
            return respond(views.render("worklist.html", **context(
                user, session, "worklist", rows=rows, rows_html=views.rows_html(rows),
                query=query,
                teams=views.my_teams(user, routing))))

    @app.page("/app/patients/{key}")
    class Patient(View):
        @signed_in
        async def get(self, request: Request, key: str, *, user: User, session: Session
                      ) -> web.StreamResponse:
            flash = aiohttp_request(request).query.get("done")
            return await patient_page(user, session, key,
                                      flash=f"Recorded: {flash}." if flash else None)

    async def patient_page(user: User, session: Session, key: str, *, flash: str | None = None,
                           error: dict[str, Any] | None = None,
                           status: int = 200) -> web.StreamResponse:
        code, view = await api("GET", f"/episodes/{quote(key, safe='')}")
        if code != 200:
            return respond(views.render("error.html", **context(
                user, session, "patient", title="No such patient",
                message=view.get("error", ""))), status=code)
        if not await audit(user, "patient_viewed", key):
            return respond(views.render("error.html", **context(
                user, session, "patient", title="Not now",
                message="The view could not be recorded in the access log: try again.")),
                status=503)
        _, alerts_body = await api("GET", "/alerts?" + urlencode(
            {"patient": key, "severity": "info,warning,urgent",
             "state": "open,acknowledged,cleared", "limit": "1000"}))
        alert_list = views.alert_rows(alerts_body.get("alerts", []))
        return respond(views.render("patient.html", **context(
            user, session, "patient", flash=flash, error=error,
            can_record=views.can_record(user),
            **views.patient_context(view, alert_list))), status=status)

    @app.page("/app/patients/{key}/actions")
    class PatientAction(View):
        @signed_in
        async def post(self, request: Request, key: str, *, user: User, session: Session
                       ) -> web.StreamResponse:
            if not views.can_record(user):
                return respond(views.render("error.html", **context(
                    user, session, "patient", title="Not for this role",
                    message="The integration role reads the worklist; care-team actions are "
                            "recorded by coordinators, nurses and admins.")), status=403)
            form = {k: str(v) for k, v in (await aiohttp_request(request).post()).items()}
            code, view = await api("GET", f"/episodes/{quote(key, safe='')}")
            zone = ZoneInfo(view["episodes"][-1]["zone"]) if code == 200 and \
                view.get("episodes") else ZoneInfo("UTC")
            action = views.action_from_form(form, user, zone, clock.now())
            status, body = await api("POST", f"/episodes/{quote(key, safe='')}/actions",
                                     action)
            if status == 202:
                await audit(user, "action_recorded", key, kind=action.get("kind"))
                return redirect(f"/app/patients/{quote(key, safe='')}?"
                                + urlencode({"done": action.get("kind", "")}))
            return await patient_page(user, session, key, status=status, error={
                "kind": action.get("kind"), "message": body.get("error", ""),
                "code": body.get("code", "")})

    async def my_alerts(user: User) -> list[dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for team in views.my_teams(user, routing):
            status, body = await api("GET", "/alerts?" + urlencode({"team": team,
                                                                     "limit": "1000"}))
            if status == 200:
                rows.update({r["alert_id"]: r for r in body["alerts"]})
        ordered = sorted(rows.values(), key=lambda r: (
            {"urgent": 0, "warning": 1}.get(r["severity"], 2), r["raised_at"]))
        return views.alert_rows(ordered)

    @app.page("/app/alerts")
    class Alerts(View):
        @signed_in
        async def get(self, request: Request, *, user: User, session: Session
                      ) -> web.StreamResponse:
            return respond(views.render("alerts.html", **context(
                user, session, "alerts", alerts=await my_alerts(user),
                focus=aiohttp_request(request).query.get("alert"))))

    @app.page("/app/alerts.json")
    class AlertsJson(View):
        @signed_in
        async def get(self, request: Request, *, user: User, session: Session
                      ) -> web.StreamResponse:
            return web.Response(text=json.dumps({"alerts": await my_alerts(user)}),
                                content_type="application/json", headers=HEADERS)

    @app.page("/app/alerts/{key}/{alert_id}/acknowledge")
    class Acknowledge(View):
        @signed_in
        async def post(self, request: Request, key: str, alert_id: str, *, user: User,
                       session: Session) -> web.StreamResponse:
            status, body = await api(
                "POST", f"/alerts/{quote(key, safe='')}/{quote(alert_id, safe='')}/acknowledge",
                {"by": user.name})
            if status != 202:
                return respond(views.render("error.html", **context(
                    user, session, "alerts", title="Not acknowledged",
                    message=body.get("error", ""))), status=status)
            await audit(user, "alert_acknowledged", key, alert_id=alert_id)
            return redirect("/app/alerts")

    @app.page("/app/report")
    class Report(View):
        @signed_in
        async def get(self, request: Request, *, user: User, session: Session
                      ) -> web.StreamResponse:
            month = aiohttp_request(request).query.get("month") or views.this_month(
                clock.now())
            return respond(views.render("report.html", **context(
                user, session, "report", month=month, rows=await report(user, month))))

    async def report(user: User, month: str) -> list[dict[str, Any]]:
        _, body = await api("GET", "/episodes?" + urlencode({"status": "any",
                                                             "limit": "10000"}))
        rows = views.worklist_rows(body.get("episodes", []), user=user, routing=routing,
                                   team=None, now=clock.now())
        return views.report_rows(rows, month)

    @app.page("/app/report.csv")
    class ReportCsv(View):
        @signed_in
        async def get(self, request: Request, *, user: User, session: Session
                      ) -> web.StreamResponse:
            month = aiohttp_request(request).query.get("month") or views.this_month(
                clock.now())
            if not await audit(user, "report_exported", "*", month=month):
                return respond("the export could not be recorded in the access log: try again",
                               status=503)
            return web.Response(
                text=views.report_csv(await report(user, month)), content_type="text/csv",
                headers={**HEADERS, "Content-Disposition":
                         f'attachment; filename="tcm-report-{month[:7]}.csv"'})

    @app.page("/app/static/{name}")
    class Static(View):
        async def get(self, request: Request, name: str) -> web.StreamResponse:
            suffix = name[name.rfind("."):] if "." in name else ""
            asset = resources.files("hub.web").joinpath("static", name)
            if suffix not in STATIC_TYPES or "/" in name or not asset.is_file():
                return web.Response(status=404, text="no such file")
            return web.Response(text=asset.read_text(), content_type=STATIC_TYPES[suffix],
                                headers={**HEADERS, "Cache-Control": "max-age=3600"})

    @app.page("/app")
    class Home(View):
        async def get(self, request: Request) -> web.StreamResponse:
            return redirect("/app/worklist")


def _safe_next(target: str | None) -> str:
    """Only a page of this site after sign-in (no open redirect)."""
    if target and target.startswith("/app/") and not target.startswith("//") and \
            "\\" not in target:
        return target
    return "/app/worklist"
