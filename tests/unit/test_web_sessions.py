"""Sessions, CSRF and accounts of the worklist's pages (issue 12)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.web import accounts
from hub.web.handlers import safe_next
from hub.web.sessions import SessionKeys

NY = ZoneInfo("America/New_York")
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=NY)
KEYS = SessionKeys("s" * 40, idle=timedelta(minutes=15))


def test_a_session_lives_while_used_and_ends_after_15_idle_minutes() -> None:
    session, cookie = KEYS.issue("rn.lee", 1, T0)
    assert KEYS.read(cookie, T0 + timedelta(minutes=15)) == session
    assert KEYS.read(cookie, T0 + timedelta(minutes=15, seconds=1)) is None  # idle: signed out
    renewed = KEYS.renewed(session, T0 + timedelta(minutes=14))
    assert KEYS.read(renewed, T0 + timedelta(minutes=28)) is not None  # each request renews
    assert KEYS.read(KEYS.renewed(session, T0 + timedelta(hours=12)), T0 + timedelta(
        hours=12, minutes=1)) is None  # and none lives past 12 hours


@pytest.mark.parametrize("tamper", [
    lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # another signature
    lambda c: "eyJ4Ijoi" + c[8:],  # another payload under the same signature
    lambda c: c.split(".")[0], lambda c: "", lambda c: "not.a.cookie",
])
def test_a_forged_or_damaged_cookie_is_no_session(tamper: object) -> None:
    _, cookie = KEYS.issue("rn.lee", 1, T0)
    assert KEYS.read(tamper(cookie), T0) is None  # type: ignore[operator]
    assert SessionKeys("t" * 40).read(cookie, T0) is None  # another worker's secret


def test_csrf_tokens_are_bound_to_their_session() -> None:
    one, _ = KEYS.issue("rn.lee", 1, T0)
    two, _ = KEYS.issue("rn.lee", 1, T0)
    assert KEYS.csrf_ok(one.session_id, KEYS.csrf(one.session_id))
    assert not KEYS.csrf_ok(one.session_id, KEYS.csrf(two.session_id))
    assert not KEYS.csrf_ok(one.session_id, "") and not KEYS.csrf_ok(None, "x")
    with pytest.raises(ValueError):
        SessionKeys("short")


def test_passwords_are_argon2id_hashes_and_a_reset_or_disable_moves_the_version() -> None:
    user = accounts.new_user("rn.lee", "Rita Lee", "nurse", ("general",),
                             "correct horse battery", T0)
    assert user.password_hash.startswith("$argon2id$") and "correct" not in user.password_hash
    assert accounts.verify(user, "correct horse battery")
    assert not accounts.verify(user, "correct horse batterY")
    assert not accounts.verify(None, "correct horse battery")
    off = accounts.disable(user, T0)
    assert not accounts.verify(off, "correct horse battery") and off.version == 2
    back = accounts.reset(off, "another long passphrase", T0)
    assert back.enabled and back.version == 3 and accounts.verify(back, "another long passphrase")
    assert accounts.User.from_dict(back.to_dict()) == back


@pytest.mark.parametrize("username, role, password, code", [
    ("Rita Lee", "nurse", "correct horse battery", "bad_username"),
    ("rn.lee", "doctor", "correct horse battery", "bad_role"),
    ("rn.lee", "nurse", "short", "weak_password"),
])
def test_bad_accounts_are_refused(username: str, role: str, password: str, code: str) -> None:
    with pytest.raises(accounts.AccountError) as refused:
        accounts.new_user(username, "Rita", role, (), password, T0)
    assert refused.value.code == code


@pytest.mark.parametrize("target, kept", [
    ("/app/patients/GEN%7C1", True), ("/app/worklist?q=doe", True),
    ("https://evil.example/app/", False), ("//evil.example/app/x", False),
    ("/api/x", False), ("/app\\\\evil", False), (None, False),
])
def test_sign_in_returns_only_to_a_page_of_this_site(target: str | None, kept: bool) -> None:
    assert (safe_next(target) == target) is kept


def test_a_one_time_link_is_genuine_for_ten_minutes() -> None:
    token = KEYS.one_time("demo", T0)
    read = KEYS.read_one_time(token, T0 + timedelta(minutes=10))
    assert read is not None and read[0] == "demo"
    assert KEYS.read_one_time(token, T0 + timedelta(minutes=10, seconds=1)) is None
    assert KEYS.read_one_time(token[:-3] + "AAA", T0) is None
    assert SessionKeys("t" * 40).read_one_time(token, T0) is None
    _, cookie = KEYS.issue("demo", 1, T0)  # a session cookie is not a sign-in link
    assert KEYS.read_one_time(cookie, T0) is None


def test_a_cookie_of_another_format_or_with_impossible_times_is_no_session() -> None:
    """A rolling deploy: an older worker's cookie (five fields, times in seconds) or one
    whose times no calendar holds is no session, never a 500."""
    import base64
    import json

    def signed(fields: list[object]) -> str:
        payload = json.dumps(fields, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + KEYS._mac(payload)

    assert KEYS.read(signed(["rn.lee", 1, "sid", 1764590400, 1764590400]), T0) is None
    assert KEYS.read(signed(["rn.lee", 1, 0, "sid", 10 ** 20, 10 ** 20]), T0) is None
    session, cookie = KEYS.issue("rn.lee", 1, T0, signouts=3)
    assert KEYS.read(cookie, T0) == session and session.signouts == 3
