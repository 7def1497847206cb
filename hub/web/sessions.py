"""Signed sessions and CSRF tokens, pure over ``now``.

The session is a cookie ``tcm_session``: the user name, the account's credential version, how
many times the person had signed out when it was issued, when it was issued and when it was last
used, signed with HMAC-SHA256 under ``HUB_SESSION_SECRET``. It is HttpOnly, SameSite=Strict,
Secure behind HTTPS; it expires after ``idle`` without a request (HIPAA's automatic log-off) and
after ``absolute`` in any case; every request renews the idle clock. A reset or a disabled
account ends it (the version no longer matches); a sign-out ends every session of the person
issued before it: its count moves on (``hub.web.directory``), a number, not a time, so no
worker's clock decides.

CSRF: every form carries a token bound to the session (HMAC of its id), checked on every POST;
the sign-in form, before any session, carries one bound to a pre-session cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

COOKIE, PRE_COOKIE = "tcm_session", "tcm_presession"


@dataclass(frozen=True)
class Session:
    username: str
    version: int
    signouts: int  # the person's sign-outs known when it was issued
    session_id: str
    issued: datetime
    seen: datetime


class SessionKeys:
    def __init__(self, secret: str, *, idle: timedelta = timedelta(minutes=15),
                 absolute: timedelta = timedelta(hours=12)):
        if len(secret) < 32:
            raise ValueError("the session secret needs 32 characters or more")
        self._key = hashlib.sha256(b"tcm-hub session\x00" + secret.encode()).digest()
        self.idle, self.absolute = idle, absolute

    def _mac(self, payload: bytes) -> str:
        return base64.urlsafe_b64encode(hmac.new(self._key, payload, hashlib.sha256).digest()
                                        ).decode().rstrip("=")

    def issue(self, username: str, version: int, now: datetime, signouts: int = 0
              ) -> tuple[Session, str]:
        session = Session(username, version, signouts, secrets.token_urlsafe(18), now, now)
        return session, self.encode(session)

    def encode(self, session: Session) -> str:
        payload = json.dumps([session.username, session.version, session.signouts,
                              session.session_id, _ms(session.issued), _ms(session.seen)],
                             separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + self._mac(payload)

    def read(self, cookie: str | None, now: datetime) -> Session | None:
        """The session the cookie carries, if it is genuine and not expired; else None."""
        if not cookie or "." not in cookie:
            return None
        body, mac = cookie.rsplit(".", 1)
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            if not hmac.compare_digest(self._mac(payload), mac):
                return None
            username, version, signouts, session_id, issued, seen = json.loads(payload)
            tz = now.tzinfo
            session = Session(str(username), int(version), int(signouts), str(session_id),
                              datetime.fromtimestamp(int(issued) / 1000, tz),
                              datetime.fromtimestamp(int(seen) / 1000, tz))
        except (ValueError, TypeError, OverflowError, OSError):
            return None  # another format (an older worker's cookie), or nonsense
        if now - session.seen > self.idle or now - session.issued > self.absolute or \
                session.seen > now + timedelta(minutes=5):
            return None
        return session

    def renewed(self, session: Session, now: datetime) -> str:
        return self.encode(Session(session.username, session.version, session.signouts,
                                   session.session_id, session.issued, now))

    def csrf(self, bound_to: str) -> str:
        """The form token for a session id (or a pre-session nonce)."""
        return self._mac(b"csrf\x00" + bound_to.encode())

    def csrf_ok(self, bound_to: str | None, token: str | None) -> bool:
        return bool(bound_to and token) and hmac.compare_digest(
            self.csrf(bound_to or ""), token or "")

    def one_time(self, username: str, now: datetime,
                 ttl: timedelta = timedelta(minutes=10)) -> str:
        """A sign-in link's token (``hub demo --serve``): one person, a few minutes, once."""
        payload = json.dumps([username, int((now + ttl).timestamp()),
                              secrets.token_urlsafe(12)], separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return body + "." + self._mac(b"once\x00" + payload)

    def read_one_time(self, token: str, now: datetime) -> tuple[str, str] | None:
        """(user name, nonce) of a genuine, unexpired token; the caller refuses a used nonce."""
        if "." not in token:
            return None
        body, mac = token.rsplit(".", 1)
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            if not hmac.compare_digest(self._mac(b"once\x00" + payload), mac):
                return None
            username, until, nonce = json.loads(payload)
        except (ValueError, TypeError):
            return None
        return (str(username), str(nonce)) if now.timestamp() <= int(until) else None

    def internal_token(self) -> str:
        """What one worker shows another when a page gathers rows from every worker."""
        return "internal-" + self._mac(b"internal\x00")


def _ms(at: datetime) -> int:
    """Milliseconds since the epoch, as the cookie carries its times."""
    return int(at.timestamp() * 1000)
