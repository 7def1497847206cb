"""The worklist's page handlers over in-memory fakes of their ports (the care-team API, the
account directory, the access log): sessions, CSRF, roles, refusals shown at the form, the
audit trail before every patient view (issue 12). The real browser test drives the same
handlers through the worker."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.clock import FixedClock
from hub.domain.alerts.routing import Route, Routing, Team
from hub.web import accounts
from hub.web.accounts import User
from hub.web.directory import MemoryDirectory
from hub.web.handlers import PageRequest, PageResponse, Pages
from hub.web.sessions import COOKIE, PRE_COOKIE, SessionKeys

NY = ZoneInfo("America/New_York")
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=NY)
PASSWORD = "a long passphrase here"
NURSE = accounts.new_user("rn.lee", "Rita Lee", "nurse", ("cardiac",), PASSWORD, T0)
ROUTING = Routing(teams={"general": Team("general"), "cardiac": Team("cardiac")},
                  routes=(Route("GEN", "CAR", "cardiac"),), default_team="general")
KEY = "GEN|1"


def row(key: str, program: str) -> dict[str, Any]:
    return {"patient_key": key, "facility": "GEN", "program": program, "patient_name": key,
            "mrn": key.split("|")[1], "contact_due": "2026-11-25T23:59:59-05:00",
            "next_due": "2026-11-25T23:59:59-05:00", "overdue": False, "zone": "America/New_York",
            "missing": [], "open_alerts": [], "discharge_date": "2026-11-23", "status": "open",
            "supportable": [], "contact_recorded": False, "visit_due_99496": "2026-11-30",
            "visit_due_99495": "2026-12-07", "next_due_for": "contact", "age": 70, "phone": None}


EPISODE = {"episode_id": "ep-1", "status": "open", "discharge_date": "2026-11-23",
           "facility": "GEN", "program": "CAR", "zone": "America/New_York",
           "contact_due": "2026-11-25T23:59:59-05:00", "contact": None, "visit": None,
           "med_rec": None, "visit_due_99496": "2026-11-30", "visit_due_99495": "2026-12-07",
           "window_end": "2026-12-22", "billing": {"supportable": [], "missing": []},
           "timeline": [], "attempts": []}


@dataclass
class FakeApi:
    """The care-team API as the pages see it; ``refuse`` makes the action POST a refusal."""

    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    refuse: tuple[int, dict[str, str]] | None = None
    down: bool = False  # the hub does not answer (503 for every call)

    async def __call__(self, method: str, path: str, body: dict[str, Any] | None = None
                       ) -> tuple[int, Any]:
        self.calls.append((method, path, body))
        if self.down:
            return 503, {"error": "the hub did not answer: try again", "code": "unavailable"}
        if path.startswith("/episodes?"):
            return 200, {"episodes": [row("GEN|1", "CAR"), row("GEN|2", "MED")]}
        if path.startswith("/episodes/GEN%7C2") and method == "GET":  # the general team's
            return 200, {"patient_key": "GEN|2", "facility": "GEN",
                         "episodes": [{**EPISODE, "episode_id": "ep-2", "program": "MED"}],
                         "person": {"patient_name": "John Roe", "mrn": "2", "age": 60,
                                    "phone": None}}
        if path.startswith("/episodes/") and method == "GET":
            return 200, {"patient_key": KEY, "facility": "GEN", "episodes": [EPISODE],
                         "person": {"patient_name": "Jane Doe", "mrn": "1", "age": 70,
                                    "phone": None}}
        if path.endswith("/actions"):
            return self.refuse or (202, {"accepted": "a1"})
        if path.startswith("/alerts?"):
            return 200, {"alerts": []}
        if path.startswith("/alerts/") and method == "GET":  # one alert: its team decides
            return 200, {"alert_id": path.rsplit("/", 1)[1],
                         "team": "general" if "GEN%7C2" in path else "cardiac"}
        if path.endswith("/acknowledge"):
            return 202, {"acknowledged": "x"}
        return 404, {"error": "no route"}


@dataclass
class Harness:
    api: FakeApi = field(default_factory=FakeApi)
    directory: MemoryDirectory = field(
        default_factory=lambda: MemoryDirectory({NURSE.username: NURSE}))
    clock: FixedClock = field(default_factory=lambda: FixedClock(T0))
    audited: list[tuple[str, str, str]] = field(default_factory=list)
    audit_works: bool = True
    keys: SessionKeys = field(default_factory=lambda: SessionKeys("k" * 40))

    def pages(self) -> Pages:
        async def audit(user: User, what: str, key: str, **facts: Any) -> bool:
            if self.audit_works:
                self.audited.append((user.username, what, key))
            return self.audit_works

        return Pages(api=self.api, directory=self.directory, keys=self.keys, clock=self.clock,
                     routing=ROUTING, audit=audit, one_time_sign_in=True)

    def cookie(self, user: User = NURSE) -> dict[str, str]:
        return {COOKIE: self.keys.issue(user.username, user.version, T0)[1]}

    def csrf(self, cookies: dict[str, str]) -> str:
        session = self.keys.read(cookies[COOKIE], self.clock.now())
        assert session is not None
        return self.keys.csrf(session.session_id)


async def get(pages: Pages, handler: Any, cookies: dict[str, str], path: str = "/app/x",
              **match: str) -> PageResponse:
    async def inner(request: PageRequest, user: User, session: Any) -> PageResponse:
        return await handler(request, user, session, **match)
    return await pages.signed_in(PageRequest("GET", path, {}, {}, cookies), inner)


async def post(pages: Pages, handler: Any, cookies: dict[str, str], form: dict[str, str],
               **match: str) -> PageResponse:
    async def inner(request: PageRequest, user: User, session: Any) -> PageResponse:
        return await handler(request, user, session, **match)
    return await pages.signed_in(PageRequest("POST", "/app/x", {}, form, cookies), inner)


async def test_sign_in_needs_the_forms_token_and_the_password() -> None:
    h = Harness()
    pages = h.pages()
    form = pages.login_form(PageRequest("GET", "/app/login", {"next": "/app/alerts"}))
    nonce = form.cookies[PRE_COOKIE]
    token = re.search(r'name="csrf" value="([^"]+)"', form.body).group(1)  # type: ignore[union-attr]
    fields = {"username": "RN.LEE", "password": PASSWORD, "next": "/app/alerts"}
    forged = await pages.login(PageRequest("POST", "/app/login", {}, {**fields, "csrf": "x"},
                                           {PRE_COOKIE: nonce}))
    assert forged.status == 403 and COOKIE not in forged.cookies
    wrong = await pages.login(PageRequest("POST", "/app/login", {}, {
        **fields, "password": "not it at all", "csrf": token}, {PRE_COOKIE: nonce}))
    assert wrong.status == 401 and "Wrong user name or password" in wrong.body
    ok = await pages.login(PageRequest("POST", "/app/login", {}, {**fields, "csrf": token},
                                       {PRE_COOKIE: nonce}))
    assert ok.status == 303 and ok.headers["Location"] == "/app/alerts"
    assert h.keys.read(ok.cookies[COOKIE], T0) is not None and PRE_COOKIE in ok.expired


async def test_no_session_no_page_and_an_idle_one_is_over() -> None:
    h = Harness()
    pages = h.pages()
    anonymous = await get(pages, pages.worklist, {}, "/app/worklist?q=doe")
    assert anonymous.status == 303
    assert anonymous.headers["Location"] == "/app/login?next=%2Fapp%2Fworklist%3Fq%3Ddoe"
    cookies = h.cookie()
    h.clock.at = T0 + timedelta(minutes=16)
    assert (await get(pages, pages.worklist, cookies)).status == 303
    assert h.api.calls == []  # nothing was asked of the API for them


async def test_the_worklist_shows_my_teams_rows_and_renews_the_session() -> None:
    h = Harness()
    pages = h.pages()
    h.clock.at = T0 + timedelta(minutes=10)
    answer = await get(pages, pages.worklist, h.cookie())
    assert answer.status == 200 and "GEN|1" in answer.body and "GEN|2" not in answer.body
    renewed = h.keys.read(answer.cookies[COOKIE], T0 + timedelta(minutes=24))
    assert renewed is not None  # 10 + 14 minutes: alive because it was used at 10
    assert answer.headers["X-Frame-Options"] == "DENY"


async def test_every_post_needs_its_csrf_token() -> None:
    h = Harness()
    pages = h.pages()
    cookies = h.cookie()
    refused = await post(pages, pages.action, cookies, {"kind": "contact"}, key=KEY)
    assert refused.status == 403 and h.api.calls == []
    other = h.keys.csrf("another-session")
    assert (await post(pages, pages.action, cookies, {"kind": "contact", "csrf": other},
                       key=KEY)).status == 403


async def test_an_action_is_recorded_by_the_signed_in_person_and_audited() -> None:
    h = Harness()
    pages = h.pages()
    cookies = h.cookie()
    done = await post(pages, pages.action, cookies, {
        "kind": "contact", "channel": "phone", "at": "2026-11-25T08:30",
        "csrf": h.csrf(cookies)}, key=KEY)
    assert done.status == 303 and done.headers["Location"] == "/app/patients/GEN%7C1?done=contact"
    [(_, _, body)] = [c for c in h.api.calls if c[0] == "POST"]
    assert body == {"kind": "contact", "channel": "phone", "by": "rn.lee",
                    "at": "2026-11-25T08:30:00-05:00"}
    assert ("rn.lee", "action_recorded", KEY) in h.audited


async def test_a_refusal_is_shown_next_to_its_form() -> None:
    h = Harness()
    h.api.refuse = (422, {"error": "the action is dated in the future", "code": "in_the_future"})
    pages = h.pages()
    cookies = h.cookie()
    answer = await post(pages, pages.action, cookies, {
        "kind": "contact", "channel": "phone", "at": "2026-12-25T08:30",
        "csrf": h.csrf(cookies)}, key=KEY)
    assert answer.status == 422
    assert re.search(r'id="err-contact">the action is dated in the future', answer.body)
    assert 'aria-describedby="err-contact"' in answer.body


async def test_no_access_log_record_no_patient_page() -> None:
    h = Harness()
    h.audit_works = False
    pages = h.pages()
    answer = await get(pages, pages.patient, h.cookie(), key=KEY)
    assert answer.status == 503 and "Jane Doe" not in answer.body
    h.audit_works = True
    shown = await get(pages, pages.patient, h.cookie(), key=KEY)
    assert shown.status == 200 and "Jane Doe" in shown.body
    assert h.audited == [("rn.lee", "patient_viewed", KEY)]


async def test_the_integration_role_records_no_care_team_action() -> None:
    h = Harness()
    ops = accounts.new_user("it.ops", "Ops", "integration", ("general",), PASSWORD, T0)
    h.directory.users[ops.username] = ops
    pages = h.pages()
    cookies = h.cookie(ops)
    refused = await post(pages, pages.action, cookies, {"kind": "contact",
                                                        "csrf": h.csrf(cookies)}, key=KEY)
    assert refused.status == 403 and not [c for c in h.api.calls if c[0] == "POST"]


@pytest.mark.parametrize("change", ["sign_out", "disable", "reset"])
async def test_sign_out_disable_or_reset_ends_every_session(change: str) -> None:
    h = Harness()
    pages = h.pages()
    cookies = h.cookie()
    if change == "sign_out":
        out = await post(pages, pages.logout, cookies, {"csrf": h.csrf(cookies)})
        assert out.status == 303 and COOKIE in out.expired and COOKIE not in out.cookies
    elif change == "disable":
        h.directory.users[NURSE.username] = accounts.disable(NURSE, T0)
    else:
        h.directory.users[NURSE.username] = accounts.reset(NURSE, "a new long password", T0)
    assert (await get(pages, pages.worklist, cookies)).status == 303


async def test_a_one_time_link_signs_in_once() -> None:
    h = Harness()
    pages = h.pages()
    token = h.keys.one_time(NURSE.username, T0)
    first = await pages.one_time(PageRequest("GET", "/app/login/once", {"token": token}))
    assert first.status == 303 and COOKIE in first.cookies
    again = await pages.one_time(PageRequest("GET", "/app/login/once", {"token": token}))
    assert again.status == 403 and COOKIE not in again.cookies
    h.directory.down = True  # a use that cannot be recorded is refused (another worker...)
    fresh = h.keys.one_time(NURSE.username, T0)
    gone = await pages.one_time(PageRequest("GET", "/app/login/once", {"token": fresh}))
    assert gone.status == 403 and COOKIE not in gone.cookies


async def test_no_access_log_record_no_action() -> None:
    h = Harness()
    h.audit_works = False
    pages = h.pages()
    cookies = h.cookie()
    answer = await post(pages, pages.action, cookies, {
        "kind": "contact", "channel": "phone", "csrf": h.csrf(cookies)}, key=KEY)
    assert answer.status == 503 and not [c for c in h.api.calls if c[0] == "POST"]


async def test_another_teams_patient_is_no_such_patient_for_page_action_and_alert() -> None:
    """Minimum necessary: a key typed into the address bar opens only the person's teams'
    patients (the same routing as the worklist); nothing is shown, recorded or acknowledged,
    and no patient view is written to the access log."""
    h = Harness()
    pages, cookies = h.pages(), h.cookie()
    other = "GEN|2"  # the general team's (program MED); the nurse is cardiac's
    assert (await get(pages, pages.patient, cookies, key=other)).status == 404
    answer = await post(pages, pages.action, cookies, {
        "kind": "contact", "channel": "phone", "csrf": h.csrf(cookies)}, key=other)
    assert answer.status == 404
    acked = await post(pages, pages.acknowledge, cookies, {"csrf": h.csrf(cookies)},
                       key=other, alert_id="ep-2:urgent_reply")
    assert acked.status == 404
    assert h.audited == [] and not [c for c in h.api.calls if c[0] == "POST"]
    # the person's own patient and alert still open
    assert (await get(pages, pages.patient, cookies, key=KEY)).status == 200
    mine = await post(pages, pages.acknowledge, cookies, {"csrf": h.csrf(cookies)},
                      key=KEY, alert_id="ep-1:urgent_reply")
    assert mine.status == 303 and [c[1] for c in h.api.calls if c[0] == "POST"] == [
        "/alerts/GEN%7C1/ep-1%3Aurgent_reply/acknowledge"]


async def test_the_alerts_poll_does_not_keep_a_session_alive_and_says_when_it_cannot_ask(
        ) -> None:
    """HIPAA automatic log-off: the page's own refresh renews nothing (a person's clicks do);
    a hub that does not answer is a 503 (the page keeps its rows, marked stale) and an error
    page, never an empty "no open alerts"."""
    h = Harness()
    pages, cookies = h.pages(), h.cookie()

    async def poll() -> PageResponse:
        async def inner(request: PageRequest, user: User, session: Any) -> PageResponse:
            return await pages.alerts_json(request, user, session)
        return await pages.signed_in(PageRequest("GET", "/app/alerts.json", {}, {}, cookies),
                                     inner, renew=False)

    polled = await poll()
    assert polled.status == 200 and COOKIE not in polled.cookies
    h.api.down = True
    assert (await poll()).status == 503
    assert (await get(pages, pages.alerts, cookies)).status == 503


async def test_a_report_month_is_checked_before_anything_and_every_csv_cell_is_safe() -> None:
    """Bad input: a month that is not YYYY-MM (a header injection, a prefix) is a 400 before
    the export is audited; a formula from the feed (the facility) is quoted in the CSV."""
    from hub.web.views import report_csv

    h = Harness()
    pages, cookies = h.pages(), h.cookie()
    for month in ("2026-1", "2026-13", "2026-11\r\nSet-Cookie: x=1", '2026-11"'):
        request = PageRequest("GET", "/app/report.csv", {"month": month}, {}, cookies)

        async def inner(req: PageRequest, user: User, session: Any) -> PageResponse:
            return await pages.report_csv(req, user, session)
        answer = await pages.signed_in(request, inner)
        assert answer.status == 400, month
    assert not [a for a in h.audited if a[1] == "report_exported"]
    csv_text = report_csv([{**row("GEN|3", "CAR"), "facility": "=HYPERLINK(1)", "mrn": "3"}])
    assert "'=HYPERLINK(1)" in csv_text


async def test_sign_out_without_the_broker_still_ends_this_worker_s_sessions() -> None:
    h = Harness()
    pages, cookies = h.pages(), h.cookie()
    h.directory.down = True
    h.clock.at = T0 + timedelta(minutes=1)
    answer = await post(pages, pages.logout, cookies, {"csrf": h.csrf(cookies)})
    assert answer.status == 503 and COOKIE in answer.expired
    assert "other sessions" in answer.body
    assert (await get(pages, pages.worklist, cookies)).status == 303  # a copy: refused here


async def test_sign_out_ends_the_sessions_before_it_never_the_account_nor_a_later_one(
        ) -> None:
    """Sign-out is its own record: it does not rewrite the account (a rewrite from this
    worker's copy could undo a disable or reset written a moment before by ``hub users`` and
    not yet read here). A sign-in after it starts a session that lives."""
    h = Harness()
    pages, before = h.pages(), h.cookie()
    h.clock.at = T0 + timedelta(minutes=1)
    assert (await post(pages, pages.logout, before, {"csrf": h.csrf(before)})).status == 303
    assert h.directory.users[NURSE.username] == NURSE  # the account untouched
    assert (await get(pages, pages.worklist, before)).status == 303
    after = {COOKIE: h.keys.issue(NURSE.username, NURSE.version, h.clock.now(),
                                  h.directory.signouts(NURSE.username))[1]}
    assert (await get(pages, pages.worklist, after)).status == 200  # in the same millisecond
    again = await pages.one_time(PageRequest("GET", "/app/login/once", {
        "token": h.keys.one_time(NURSE.username, h.clock.now())}))
    assert (await get(pages, pages.worklist, {COOKIE: again.cookies[COOKIE]})).status == 200
