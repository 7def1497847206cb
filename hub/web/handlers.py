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
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from hub.clock import Clock
from hub.domain.alerts.routing import Routing
from hub.errors import BrokerUnavailable
from hub.logs import get_logger
from hub.web import accounts, views
from hub.web.accounts import User
from hub.web.directory import Directory, ended
from hub.web.sessions import COOKIE, PRE_COOKIE, Session, SessionKeys

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
SIGN_IN_WAIT = 2.0  # seconds a sign-in waits for a name not yet read from hub.users
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
                 routing: Routing, audit: Audit, one_time_sign_in: bool = False,
                 zone_for: Callable[[str], ZoneInfo] | None = None):
        self.api, self.directory, self.keys, self.clock = api, directory, keys, clock
        self.routing, self.audit = routing, audit
        self.one_time_sign_in = one_time_sign_in
        self.zone_for = zone_for  # the facility's zone: times as its staff read them

    # --- the session around every page -------------------------------------------------

    async def signed_in(self, request: PageRequest, handler: SignedIn, *,
                        renew: bool = True) -> PageResponse:
        """``renew=False`` for what a page fetches by itself (the alerts' refresh): only what a
        person does keeps the session alive, so an unattended page still logs off."""
        now = self.clock.now()
        session = self.keys.read(request.cookies.get(COOKIE), now)
        user = self.directory.get(session.username) if session else None
        if session is None or user is None or ended(
                session, user, self.directory.signouts(session.username)):
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
        if renew and COOKIE not in response.expired:
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
        loop = asyncio.get_running_loop()
        started = loop.time()
        user = await self.directory.wait_for(username, SIGN_IN_WAIT) if username else None
        ok = await loop.run_in_executor(
            None, accounts.verify, user, request.form.get("password", ""))
        if not ok or user is None:
            # an unknown name waits for the directory; a wrong password must take as long,
            # or the time tells which names exist (and guessing is slowed down too)
            await asyncio.sleep(max(0.0, SIGN_IN_WAIT - (loop.time() - started)))
            log.info("pages.sign_in_refused")
            return self.login_form(request, username=username, status=401, error=(
                "Wrong user name or password, or the account is disabled."))
        _session, value = self.keys.issue(user.username, user.version, self.clock.now(),
                                          self.directory.signouts(user.username))
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
        try:
            taken = read is not None and user is not None and user.enabled and \
                await self.directory.take_link(read[1])
        except BrokerUnavailable:
            taken = False  # a use that cannot be recorded could be used again elsewhere
        if not taken or user is None:
            return page(views.render("error.html", title="Link not valid", message=(
                "This sign-in link was used, has expired or is not this hub's.")), 403)
        _session, value = self.keys.issue(user.username, user.version, self.clock.now(),
                                          self.directory.signouts(user.username))
        response = redirect("/app/worklist")
        response.cookies[COOKIE] = value
        return response

    async def logout(self, request: PageRequest, user: User, session: Session
                     ) -> PageResponse:
        """Ends every session of the person issued until now, on every worker: a copied
        cookie is worth nothing after sign-out (the account itself is not rewritten). Without
        the broker, this worker's sessions of the person still end and this browser's cookie
        is deleted; the person is told the other workers' are not ended."""
        try:
            await self.directory.sign_out(user.username)
        except BrokerUnavailable:
            log.warning("pages.sign_out_not_stored", role=user.role)
            response = page(views.render("error.html", title="Signed out here", message=(
                "This browser is signed out, but the hub could not end your other sessions: "
                "sign in and out again, or ask an admin to reset the account.")), 503)
        else:
            response = redirect("/app/login")
            log.info("pages.signed_out", role=user.role)
        response.expired.append(COOKIE)
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
        code, view = await self._patient_view(user, key)
        if code != 200:
            return self._error(user, session, "patient", "No such patient",
                               view.get("error", ""), code)
        if not await self.audit(user, "patient_viewed", key):
            return self._error(user, session, "patient", "Not now", "The view could not be "
                               "recorded in the access log: try again.", 503)
        found_status, found = await self.api("GET", "/alerts?" + urlencode(
            {"patient": key, "severity": "info,warning,urgent",
             "state": "open,acknowledged,cleared", "limit": "1000"}))
        if found_status != 200:
            return self._error(user, session, "patient", "Not now", "The patient's alerts "
                               "could not be read: try again.", 503)
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
        code, view = await self._patient_view(user, key)
        if code != 200:
            return self._error(user, session, "patient", "No such patient",
                               view.get("error", ""), code)
        action = views.action_from_form(request.form, user, self._zone(view, request.form),
                                        self.clock.now())
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

    async def _patient_view(self, user: User, key: str) -> tuple[int, dict[str, Any]]:
        """The API's view of the patient, when the patient is the person's (another team's
        patient is "no such patient": a key typed into the address bar opens nothing)."""
        code, view = await self.api("GET", f"/episodes/{quote(key, safe='')}")
        if code == 200 and not views.may_see(user, self.routing, view):
            log.warning("pages.not_my_patient", role=user.role)
            return 404, {"error": f"no patient {key!r} in your teams", "code": "no_patient"}
        return code, view

    def _zone(self, view: dict[str, Any], form: Mapping[str, str]) -> ZoneInfo:
        """The zone of the episode the form names (its facility's), for the times typed."""
        episodes = view.get("episodes") or []
        named = [e for e in episodes if e.get("episode_id") == form.get("episode_id")]
        for episode in named or episodes[-1:]:
            if episode.get("zone"):
                return ZoneInfo(episode["zone"])
        return self.zone_for(view.get("facility", "")) if self.zone_for else ZoneInfo("UTC")

    async def my_alerts(self, user: User) -> list[dict[str, Any]] | None:
        """The open alerts of the person's teams (asked side by side); None when the hub did
        not answer for one of them: "no open alerts" must never stand for "could not ask"."""
        answers = await asyncio.gather(*(
            self.api("GET", "/alerts?" + urlencode({"team": team, "limit": "1000"}))
            for team in views.my_teams(user, self.routing)))
        if any(status != 200 for status, _ in answers):
            return None
        rows = {r["alert_id"]: r for _, body in answers for r in body["alerts"]}
        return views.alert_rows(sorted(rows.values(), key=lambda r: (
            {"urgent": 0, "warning": 1}.get(r["severity"], 2), r["raised_at"])), self.zone_for)

    async def alerts(self, request: PageRequest, user: User, session: Session
                     ) -> PageResponse:
        rows = await self.my_alerts(user)
        if rows is None:
            return self._error(user, session, "alerts", "Not now", "The alerts could not be "
                               "read: the hub did not answer. Try again.", 503)
        return page(views.render("alerts.html", **self.context(
            user, session, "alerts", alerts=rows, focus=request.query.get("alert"))))

    async def alerts_json(self, request: PageRequest, user: User, session: Session
                          ) -> PageResponse:
        rows = await self.my_alerts(user)
        if rows is None:  # the page keeps its rows and says they are not fresh
            return PageResponse(503, json.dumps({"error": "the hub did not answer"}),
                                "application/json")
        return PageResponse(200, json.dumps({"alerts": rows}), "application/json")

    async def acknowledge(self, request: PageRequest, user: User, session: Session, key: str,
                          alert_id: str) -> PageResponse:
        path = f"/alerts/{quote(key, safe='')}/{quote(alert_id, safe='')}"
        found, alert = await self.api("GET", path)
        if found == 200 and alert.get("team") not in views.my_teams(user, self.routing):
            found, alert = 404, {"error": "no such alert in your teams"}
        if found != 200:
            return self._error(user, session, "alerts", "Not acknowledged",
                               alert.get("error", ""), found)
        if not await self.audit(user, "alert_acknowledged", key, alert_id=alert_id):
            return self._error(user, session, "alerts", "Not now", "The acknowledgement could "
                               "not be recorded in the access log: try again.", 503)
        status, body = await self.api("POST", f"{path}/acknowledge", {"by": user.name})
        if status != 202:
            return self._error(user, session, "alerts", "Not acknowledged",
                               body.get("error", ""), status)
        return redirect("/app/alerts")

    def _bad_month(self, user: User, session: Session) -> PageResponse:
        return self._error(user, session, "report", "Not a month",
                           "The month is written YYYY-MM, e.g. 2026-11.", 400)

    async def _report(self, user: User, month: str) -> list[dict[str, Any]] | None:
        """The month's rows of the person's teams; None when the hub did not answer (an
        empty report would say there were none)."""
        status, body = await self.api("GET", "/episodes?" + urlencode({"status": "any",
                                                                      "limit": "10000"}))
        if status != 200:
            return None
        rows = views.worklist_rows(body.get("episodes", []), user=user, routing=self.routing,
                                   team=None, now=self.clock.now())
        return views.report_rows(rows, month)

    def _month(self, request: PageRequest) -> str | None:
        """``YYYY-MM`` (this month by default); anything else is None, refused before any
        work (it goes into a header and a filter)."""
        month = request.query.get("month") or views.this_month(self.clock.now())
        return month if MONTH.fullmatch(month) else None

    async def report(self, request: PageRequest, user: User, session: Session
                     ) -> PageResponse:
        month = self._month(request)
        if month is None:
            return self._bad_month(user, session)
        rows = await self._report(user, month)
        if rows is None:
            return self._error(user, session, "report", "Not now", "The hub did not answer: "
                               "try again.", 503)
        return page(views.render("report.html", **self.context(
            user, session, "report", month=month, rows=rows)))

    async def report_csv(self, request: PageRequest, user: User, session: Session
                         ) -> PageResponse:
        month = self._month(request)
        if month is None:
            return self._bad_month(user, session)
        rows = await self._report(user, month)
        if rows is None:
            return page("the hub did not answer: try again", 503)
        if not await self.audit(user, "report_exported", "*", month=month):
            return page("the export could not be recorded in the access log: try again", 503)
        response = PageResponse(200, views.report_csv(rows), "text/csv")
        response.headers["Content-Disposition"] = \
            f'attachment; filename="tcm-report-{month}.csv"'
        return response
