"""The worklist in a real browser (Debian's headless Chromium driven by Selenium) against a
worker on the real broker: sign in, see the patients in deadline order, record a contact
through the form and watch the contact-due alert clear, acknowledge an urgent alert in one
click, sign out; a wrong password, an expired session and a missing CSRF token are refused.
A screenshot of each step is kept in .cache/screenshots/ (not committed)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from hub.adapters.topic_reader import TopicReader
from hub.cli.feed import Person, adt
from hub.web.sessions import COOKIE, Session, SessionKeys
from tests.integration import servers
from tests.integration.worker import Worker, send, start_worker

NY = ZoneInfo("America/New_York")
DISCHARGED = datetime(2026, 11, 23, 9, 30, tzinfo=NY)  # a Monday
START = datetime(2026, 11, 25, 8, 5, tzinfo=NY)  # business day 2: the contact is due today
SECRET = "browser-test-session-secret-0123456789abcdef"
PASSWORD = "a long passphrase for the test"
EARLY = Person("930001", "OKONKWO", "AMARA", "19520304", "F", "(617) 555-0131")
LATER = Person("930002", "LINDQVIST", "ERIK", "19490817", "M", "(617) 555-0132")
SHOTS = servers.REPO / ".cache" / "screenshots"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), \
        "Debian's chromium and chromium-driver: .ci/run installs them"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()  # stops chromedriver and its browser by their own process


async def accepted(port: int, message: bytes) -> None:
    assert (await send(port, message)).startswith("AA")


def users_add(kafka: servers.Kafka, worker: Worker, username: str, teams: str) -> None:
    env = {**worker.env, "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap}
    done = subprocess.run([sys.executable, "-m", "hub", "users", "add", username, "--name",
                           "Rita Lee", "--role", "nurse", "--teams", teams, "--password-stdin"],
                          input=PASSWORD + "\n", text=True, capture_output=True, env=env,
                          cwd=servers.REPO, timeout=120)
    assert done.returncode == 0, done.stderr


def until(driver: WebDriver, check: Callable[[WebDriver], Any], timeout: float = 60,
          reload: bool = False) -> Any:
    """The page shows what is wanted (reloading it when the data comes from the pipeline)."""
    def probe(d: WebDriver) -> Any:
        found = check(d)
        if not found and reload:
            d.refresh()
        return found
    return WebDriverWait(driver, timeout, poll_frequency=0.5, ignored_exceptions=(
        StaleElementReferenceException, NoSuchElementException)).until(probe)


def shot(driver: WebDriver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def zoomed_200(driver: WebDriver, name: str, form_selector: str) -> None:
    """Readable at 200 % zoom (WCAG 1.4.4/1.4.10): a 700-pixel-wide window at twice the
    density; every field of the form is shown, labelled and within the page's width (the
    layout wraps instead of cutting). Data tables may scroll sideways, as WCAG allows."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 700, "height": 1000, "deviceScaleFactor": 2, "mobile": False})
    try:
        form = driver.find_element(By.CSS_SELECTOR, form_selector)
        controls = form.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), select")
        assert controls
        for control in controls:
            label = form.find_element(By.CSS_SELECTOR,
                                      f"label[for='{control.get_attribute('id')}']")
            assert control.is_displayed() and label.is_displayed()
            assert control.rect["x"] + control.rect["width"] <= 700
        shot(driver, name)
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def sign_in(driver: WebDriver, base: str, password: str) -> None:
    """With the keyboard only: type, Tab to the password, Enter."""
    driver.get(f"{base}/app/worklist")
    driver.find_element(By.ID, "username").send_keys("rn.lee", Keys.TAB)
    driver.switch_to.active_element.send_keys(password, Keys.ENTER)


async def test_a_coordinator_works_the_list_in_a_real_browser(
        kafka: servers.Kafka, prism: servers.Prism, browser: WebDriver, tmp_path: Path) -> None:
    worker = start_worker(kafka, prism, tmp_path / "worker", clock_start=START.isoformat(),
                          app_id="tcm-hub-browser",
                          extra_env={"HUB_SESSION_SECRET": SECRET, "HUB_STORE": "rocksdb://"})
    try:
        base = f"http://127.0.0.1:{worker.web_port}"
        users_add(kafka, worker, "rn.lee", "care-team")
        for n, (person, at) in enumerate(((LATER, DISCHARGED + timedelta(hours=4)),
                                          (EARLY, DISCHARGED))):
            await accepted(worker.mllp_port, adt("A03", person, control_id=f"WEB000{n}", at=at,
                                             disposition="01", discharged_to="HOME",
                                             discharge_at=at))

        # a wrong password is refused, with the reason next to the form
        sign_in(browser, base, "not the password at all")
        until(browser, lambda d: "Wrong user name or password" in d.page_source)
        shot(browser, "01-wrong-password")
        sign_in(browser, base, PASSWORD)
        # signed in (the form's POST answered) before any reload: a reload would cancel it
        until(browser, lambda d: d.current_url.startswith(f"{base}/app/worklist"))
        until(browser, lambda d: "/app/worklist" in d.current_url and
              "OKONKWO" in d.page_source.upper() and "LINDQVIST" in d.page_source.upper(),
              reload=True)
        shot(browser, "02-worklist")
        names = [e.text.upper() for e in browser.find_elements(
            By.CSS_SELECTOR, "table.worklist tbody th a")]
        assert names.index("AMARA OKONKWO") < names.index("ERIK LINDQVIST")  # deadline order
        assert "today" in browser.find_element(
            By.CSS_SELECTOR, "table.worklist tbody tr").get_attribute("class")
        zoomed_200(browser, "02a-zoomed-worklist", "form.filters")

        # business day 2: the contact-due alert is on the alerts page
        browser.get(f"{base}/app/alerts")
        def due_today(name: str) -> Callable[[WebDriver], bool]:
            return lambda d: bool(d.find_elements(By.XPATH, (
                f"//tr[contains(., 'Contact due today') and contains(., '{name}')]")))

        # the broker is shared with the suite's other tests: look for these two patients
        for name in ("AMARA", "ERIK"):
            until(browser, due_today(name), timeout=120, reload=True)
        shot(browser, "03-alerts")

        # record the contact through the patient's form: her alert clears
        browser.get(f"{base}/app/worklist")
        browser.find_element(By.LINK_TEXT, "AMARA OKONKWO").click()
        until(browser, lambda d: "Interactive contact (TCM-3)" in d.page_source)
        # readable at 200 % zoom: every field of the contact form is shown, labelled and
        # within the page's width (the layout wraps instead of cutting)
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 700, "height": 1000, "deviceScaleFactor": 2, "mobile": False})
        zoomed_200(browser, "04a-zoomed-form", "form.action")
        # with the keyboard alone: into the form's first field, Tab through it, Enter
        form = browser.find_element(By.CSS_SELECTOR, "form.action")
        form.find_element(By.CSS_SELECTOR, "input:not([type=hidden])").send_keys(Keys.TAB)
        for _ in range(20):  # the date's parts, How, Note, then the button
            focused = browser.switch_to.active_element
            if focused.tag_name == "button":
                break
            focused.send_keys(Keys.TAB)
        assert browser.switch_to.active_element.text == "Record contact"
        browser.switch_to.active_element.send_keys(Keys.ENTER)
        until(browser, lambda d: "Recorded: contact." in d.page_source)
        shot(browser, "04-contact-recorded")
        until(browser, lambda d: "cleared (contact_recorded)" in d.page_source, reload=True)
        shot(browser, "05-alert-cleared")

        # an urgent alert: readmitted; acknowledged in one click
        await accepted(worker.mllp_port, adt("A01", LATER, control_id="WEB0003", at=START))
        browser.get(f"{base}/app/alerts")
        erik = "//tr[contains(., 'Readmitted during') and contains(., 'ERIK')]"
        until(browser, lambda d: bool(d.find_elements(By.XPATH, erik)), reload=True)
        row = browser.find_element(By.XPATH, erik)
        assert "urgent" in row.get_attribute("class")
        button = row.find_element(By.TAG_NAME, "button")
        button.send_keys(Keys.ENTER)  # focused and pressed from the keyboard
        until(browser, staleness_of(button))  # the POST answered and the page is new:
        # reloads are safe from here
        until(browser, lambda d: "acknowledged by Rita Lee" in d.find_element(
            By.XPATH, erik).text, reload=True)
        shot(browser, "06-acknowledged")

        # the alerts page updates itself: a new alert appears without a reload (the script
        # the page loads under its CSP polls /app/alerts.json)
        page_marker = browser.find_element(By.TAG_NAME, "main").id
        await accepted(worker.mllp_port, adt("A04", EARLY, control_id="WEB0004", at=START,
                                         patient_class="E"))
        ed = "//tr[contains(., 'Back in the emergency department') and contains(., 'AMARA')]"
        until(browser, lambda d: bool(d.find_elements(By.XPATH, ed)), timeout=90)
        assert browser.find_element(By.TAG_NAME, "main").id == page_marker  # not reloaded
        shot(browser, "06a-live-update")

        # no CSRF token: refused, whoever holds the cookie
        session = browser.get_cookie(COOKIE)
        assert session is not None and session.get("httpOnly") is True
        async with aiohttp.ClientSession(cookies={COOKIE: session["value"]}) as client:
            async with client.post(f"{base}/app/patients/GENHOSP%7C930002/actions",
                                   data={"kind": "contact", "channel": "phone"}) as response:
                assert response.status == 403 and "CSRF" in await response.text()
            # a body that is not a form: one clear 400, not a server error
            async with client.post(f"{base}/app/patients/GENHOSP%7C930002/actions",
                                   data=b"--zzz\r\nbroken", headers={
                                       "Content-Type": "multipart/form-data; boundary=zzz"}
                                   ) as response:
                assert response.status == 400 and "malformed" in await response.text()
            async with client.get(f"{base}/app/worklist") as response:
                assert response.headers["Content-Security-Policy"].startswith("default-src")
                assert response.headers["X-Frame-Options"] == "DENY"

        worklist = f"{base}/app/worklist"

        async def status_with(cookie: str) -> tuple[int, str]:
            async with aiohttp.ClientSession(cookies={COOKIE: cookie}) as client, \
                    client.get(worklist, allow_redirects=False) as response:
                return response.status, response.headers.get("Location", "")

        # an expired session (idle past its limit) is no session. The control: the same
        # session with its last use kept is taken; moved back 30 minutes (past the 15-minute
        # idle limit) it is refused
        last = browser.get_cookie(COOKIE)
        assert last is not None
        body = last["value"].rsplit(".", 1)[0]
        name, version, signouts, sid, _issued, seen = json.loads(
            base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        used = datetime.fromtimestamp(seen / 1000, NY)
        keys = SessionKeys(SECRET)
        fresh = keys.encode(Session(name, version, signouts, sid, used - timedelta(minutes=1),
                                    used))
        stale = keys.encode(Session(name, version, signouts, sid, used - timedelta(minutes=60),
                                    used - timedelta(minutes=30)))
        assert (await status_with(fresh))[0] == 200
        refused = await status_with(stale)
        assert refused[0] == 303 and refused[1].startswith("/app/login")

        # sign out: the list asks for a sign-in again, and a copy of the cookie taken before
        # (taken a moment ago, above) is worth nothing: every session begun before the
        # sign-out has ended, on every worker
        browser.find_element(By.CSS_SELECTOR, "form.signout button").click()
        until(browser, lambda d: "/app/login" in d.current_url)
        browser.get(worklist)
        until(browser, lambda d: "Sign in to the TCM worklist" in d.page_source)
        shot(browser, "07-signed-out")
        assert (await status_with(last["value"]))[0] == 303
        assert (await status_with(fresh))[0] == 303
        browser.add_cookie({"name": COOKIE, "value": stale, "path": "/app"})
        browser.get(worklist)
        until(browser, lambda d: "Sign in to the TCM worklist" in d.page_source)
        shot(browser, "08-expired")

        # signing in again after the sign-out is a new session (the account was not ended)
        sign_in(browser, base, PASSWORD)
        until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "form.signout button"))

        # HIPAA audit controls: who viewed which patient and who recorded what, on the broker
        reader = TopicReader(kafka.bootstrap, ["access.log"])
        await reader.start()
        try:
            def audited(records: dict[str, list[dict[str, Any]]]) -> bool:
                mine = {(r["who"], r["what"], r["patient_key"]) for r in records["access.log"]}
                return {("rn.lee", "patient_viewed", "GENHOSP|930001"),
                        ("rn.lee", "action_recorded", "GENHOSP|930001"),
                        ("rn.lee", "alert_acknowledged", "GENHOSP|930002")} <= mine
            assert await reader.wait_until(audited, timeout=60), reader.records["access.log"]
        finally:
            await reader.stop()
    finally:
        worker.stop()
