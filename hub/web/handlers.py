"""The worklist's page handlers, free of any web framework: a ``PageRequest`` in, a
``PageResponse`` out, over ports (the care-team API, the account directory, the access log),
so they are unit-tested over in-memory fakes; ``agents/pages.py`` adapts them to the worker's
web server.

Every page needs a signed-in person (``hub.web.sessions``): the session ends after the idle
time, at sign-out (every session of the person) and when the account is disabled or reset.
Every POST carries a CSRF token. Every view of a patient, every action, acknowledgement and
export is written to the access log before it is shown or done: no audit record, no page and
no action (an action the rules then refuse stays in the log as asked).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from hub.clock import Clock
from hub.domain.alerts.routing import Routing
from hub.logs import get_logger
from hub.web import accounts, views
from hub.web.accounts import User
from hub.web.sessions import COOKIE, PRE_COOKIE, Session, SessionKeys

log = get_logger("hub.web.handlers")
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'; object-src 'none'",
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class Api(Protocol):
    async def __call__(self, method: str, path: str, body: dict[str, Any] | None = None
                       ) -> tuple[int, Any]: ...


class Directory(Protocol):
    def get(self, username: str) -> User | None: ...

    async def wait_for(self, username: str, timeout: float) -> User | None: ...


Audit = Callable[..., Awaitable[bool]]  # (user, what, patient_key, **facts) -> recorded


@dataclass(frozen=True)
class PageRequest:
    method: str
    path_qs: str
    query: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)


@dataclass
class PageResponse:
    status: int
    body: str = ""
    content_type: str = "text/html"
    headers: dict[str, str] = field(default_factory=lambda: dict(HEADERS))
    cookies: dict[str, str] = field(default_factory=dict)  # set (HttpOnly, Strict, /app)
    expired: list[str] = field(default_factory=list)  # cookies deleted


def page(body: str, status: int = 200) -> PageResponse:
    return PageResponse(status, body)


def redirect(to: str) -> PageResponse:
    response = PageResponse(303)
    response.headers["Location"] = to
    return response


def safe_next(target: str | None) -> str:
    """Only a page of this site after sign-in (no open redirect)."""
    if target and target.startswith("/app/") and not target.startswith("//") and \
            "\\" not in target:
        return target
    return "/app/worklist"


SignedIn = Callable[[PageRequest, User, Session], Awaitable[PageResponse]]


class Pages:
    def __init__(self, *, api: Api, directory: Directory, keys: SessionKeys, clock: Clock,
                 routing: Routing, audit: Audit, sign_out: Callable[[User], Awaitable[None]],
                 one_time_sign_in: bool = False,
                 zone_for: Callable[[str], ZoneInfo] | None = None):
        self.api, self.directory, self.keys, self.clock = api, directory, keys, clock
        self.routing, self.audit, self.sign_out = routing, audit, sign_out
        self.one_time_sign_in = one_time_sign_in
        self.zone_for = zone_for  # the facility's zone: times as its staff read them
        self._used: set[str] = set()  # one-time sign-in nonces taken by this worker

    # --- the session around every page -------------------------------------------------

    async def signed_in(self, request: PageRequest, handler: SignedIn) -> PageResponse:
        now = self.clock.now()
        session = self.keys.read(request.cookies.get(COOKIE), now)
        user = self.directory.get(session.username) if session else None
        if session is None or user is None or not user.enabled or \
                user.version != session.version:
            if request.method == "GET":
                return redirect("/app/login?" + urlencode({"next": request.path_qs}))
            return page(views.render("error.html", title="Signed out",
                                     message="Your session ended: sign in again."), 401)
        if request.method == "POST" and not self.keys.csrf_ok(
                session.session_id, request.form.get("csrf")):
            log.warning("pages.csrf_refused")
            return page(views.render("error.html", title="Refused", message=(
                "The form was not sent from this site's page (CSRF).")), 403)
        response = await handler(request, user, session)
        if COOKIE not in response.expired:
            response.cookies[COOKIE] = self.keys.renewed(session, now)
        return response

    def context(self, user: User, session: Session, name: str, **more: Any) -> dict[str, Any]:
        return {"user": user, "csrf": self.keys.csrf(session.session_id), "page": name,
                **more}

    def _error(self, user: User, session: Session, name: str, title: str, message: str,
               status: int) -> PageResponse:
        return page(views.render("error.html", **self.context(
            user, session, name, title=title, message=message)), status)

    # --- signing in and out -----------------------------------------------------------

    def login_form(self, request: PageRequest, *, error: str | None = None,
                   username: str = "", status: int = 200) -> PageResponse:
        nonce = secrets.token_urlsafe(18)
        response = page(views.render(
            "login.html", csrf=self.keys.csrf(nonce), error=error, username=username,
            next=safe_next(request.query.get("next") or request.form.get("next"))), status)
        response.cookies[PRE_COOKIE] = nonce
        return response

    async def login(self, request: PageRequest) -> PageResponse:
        if not self.keys.csrf_ok(request.cookies.get(PRE_COOKIE), request.form.get("csrf")):
            return page(views.render("error.html", title="Refused", message=(
                "The sign-in form expired or was not this site's: open it again.")), 403)
        username = request.form.get("username", "").strip().lower()
        user = await self.directory.wait_for(username, 2.0) if username else None
        ok = await asyncio.get_running_loop().run_in_executor(
            None, accounts.verify, user, request.form.get("password", ""))
        if not ok or user is None:
            log.info("pages.sign_in_refused")
            return self.login_form(request, username=username, status=401, error=(
                "Wrong user name or password, or the account is disabled."))
        _session, value = self.keys.issue(user.username, user.version, self.clock.now())
        response = redirect(safe_next(request.form.get("next")))
        response.cookies[COOKIE] = value
        response.expired.append(PRE_COOKIE)
        log.info("pages.signed_in", role=user.role)
        return response

    async def one_time(self, request: PageRequest) -> PageResponse:
        """``hub demo --serve``'s link (HUB_ONE_TIME_SIGN_IN): signed in once, then gone."""
        read = self.keys.read_one_time(request.query.get("token", ""), self.clock.now()) \
            if self.one_time_sign_in else None
        user = await self.directory.wait_for(read[0], 5.0) if read else None
        if read is None or read[1] in self._used or user is None or not user.enabled:
            return page(views.render("error.html", title="Link not valid", message=(
                "This sign-in link was used, has expired or is not this hub's.")), 403)
        self._used.add(read[1])
        _session, value = self.keys.issue(user.username, user.version, self.clock.now())
        response = redirect("/app/worklist")
        response.cookies[COOKIE] = value
        return response

    async def logout(self, request: PageRequest, user: User, session: Session
                     ) -> PageResponse:
        """Ends every session of the person (the account's version moves on), on every
        worker: a copied cookie is worth nothing after sign-out."""
        await self.sign_out(user)
        response = redirect("/app/login")
        response.expired.append(COOKIE)
        log.info("pages.signed_out", role=user.role)
        return response

    # --- the pages --------------------------------------------------------------------

    async def worklist(self, request: PageRequest, user: User, session: Session
                       ) -> PageResponse:
        query = dict(request.query)
        wanted = {k: v for k, v in query.items()
                  if k in ("q", "facility", "status", "due_before") and v}
        status, body = await self.api("GET", "/episodes?" + urlencode(
            {**wanted, "limit": "10000"}))
        if status != 200:
            return self._error(user, session, "worklist", "Not now",
                               body.get("error", "try again"), status)
        rows = views.worklist_rows(body["episodes"], user=user, routing=self.routing,
                                   team=query.get("team") or None, now=self.clock.now())
        return page(views.render("worklist.html", **self.context(
            user, session, "worklist", rows=rows, rows_html=views.rows_html(rows),
            query=query, teams=views.my_teams(user, self.routing))))

    async def patient(self, request: PageRequest, user: User, session: Session, key: str,
                      *, error: dict[str, Any] | None = None, status: int = 200
                      ) -> PageResponse:
        done = request.query.get("done") if request.method == "GET" else None
        code, view = await self.api("GET", f"/episodes/{quote(key, safe='')}")
        if code != 200:
            return self._error(user, session, "patient", "No such patient",
                               view.get("error", ""), code)
        if not await self.audit(user, "patient_viewed", key):
            return self._error(user, session, "patient", "Not now", "The view could not be "
                               "recorded in the access log: try again.", 503)
        _, found = await self.api("GET", "/alerts?" + urlencode(
            {"patient": key, "severity": "info,warning,urgent",
             "state": "open,acknowledged,cleared", "limit": "1000"}))
        alerts = views.alert_rows(found.get("alerts", []), self.zone_for)
        return page(views.render("patient.html", **self.context(
            user, session, "patient", flash=f"Recorded: {done}." if done else None,
            error=error, can_record=views.can_record(user),
            **views.patient_context(view, alerts))), status)

    async def action(self, request: PageRequest, user: User, session: Session, key: str
                     ) -> PageResponse:
        if not views.can_record(user):
            return self._error(user, session, "patient", "Not for this role", (
                "The integration role reads the worklist; care-team actions are recorded "
                "by coordinators, nurses and admins."), 403)
        path = f"/episodes/{quote(key, safe='')}"
        code, view = await self.api("GET", path)
        zone = ZoneInfo(view["episodes"][-1]["zone"]) if code == 200 and \
            view.get("episodes") else ZoneInfo("UTC")
        action = views.action_from_form(request.form, user, zone, self.clock.now())
        if not await self.audit(user, "action_recorded", key, kind=action.get("kind")):
            return self._error(user, session, "patient", "Not now", "The action could not be "
                               "recorded in the access log: nothing was recorded, try again.",
                               503)
        status, body = await self.api("POST", f"{path}/actions", action)
        if status == 202:
            return redirect(f"/app/patients/{quote(key, safe='')}?"
                            + urlencode({"done": action.get("kind", "")}))
        return await self.patient(request, user, session, key, status=status, error={
            "kind": action.get("kind"), "message": body.get("error", ""),
            "code": body.get("code", "")})

    async def my_alerts(self, user: User) -> list[dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for team in views.my_teams(user, self.routing):
            status, body = await self.api("GET", "/alerts?" + urlencode(
                {"team": team, "limit": "1000"}))
            if status == 200:
                rows.update({r["alert_id"]: r for r in body["alerts"]})
        return views.alert_rows(sorted(rows.values(), key=lambda r: (
            {"urgent": 0, "warning": 1}.get(r["severity"], 2), r["raised_at"])), self.zone_for)

    async def alerts(self, request: PageRequest, user: User, session: Session
                     ) -> PageResponse:
        return page(views.render("alerts.html", **self.context(
            user, session, "alerts", alerts=await self.my_alerts(user),
            focus=request.query.get("alert"))))

    async def alerts_json(self, request: PageRequest, user: User, session: Session
                          ) -> PageResponse:
        return PageResponse(200, json.dumps({"alerts": await self.my_alerts(user)}),
                            "application/json")

    async def acknowledge(self, request: PageRequest, user: User, session: Session, key: str,
                          alert_id: str) -> PageResponse:
        if not await self.audit(user, "alert_acknowledged", key, alert_id=alert_id):
            return self._error(user, session, "alerts", "Not now", "The acknowledgement could "
                               "not be recorded in the access log: try again.", 503)
        status, body = await self.api(
            "POST", f"/alerts/{quote(key, safe='')}/{quote(alert_id, safe='')}/acknowledge",
            {"by": user.name})
        if status != 202:
            return self._error(user, session, "alerts", "Not acknowledged",
                               body.get("error", ""), status)
        return redirect("/app/alerts")

    async def _report(self, user: User, month: str) -> list[dict[str, Any]]:
        _, body = await self.api("GET", "/episodes?" + urlencode({"status": "any",
                                                                  "limit": "10000"}))
        rows = views.worklist_rows(body.get("episodes", []), user=user, routing=self.routing,
                                   team=None, now=self.clock.now())
        return views.report_rows(rows, month)

    def _month(self, request: PageRequest) -> str:
        return request.query.get("month") or views.this_month(self.clock.now())

    async def report(self, request: PageRequest, user: User, session: Session
                     ) -> PageResponse:
        month = self._month(request)
        return page(views.render("report.html", **self.context(
            user, session, "report", month=month, rows=await self._report(user, month))))

    async def report_csv(self, request: PageRequest, user: User, session: Session
                         ) -> PageResponse:
        month = self._month(request)
        if not await self.audit(user, "report_exported", "*", month=month):
            return page("the export could not be recorded in the access log: try again", 503)
        response = PageResponse(200, views.report_csv(await self._report(user, month)),
                                "text/csv")
        response.headers["Content-Disposition"] = \
            f'attachment; filename="tcm-report-{month[:7]}.csv"'
        return response
