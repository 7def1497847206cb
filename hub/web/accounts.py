"""Care-team accounts: a person, a role, teams, an Argon2id password hash, whether the account
is enabled, and a credential version (a reset or a disable ends every session at once).

Accounts live on the compacted topic ``hub.users`` (key: the user name), written by ``hub users``
and read by every worker; the password itself never leaves the command that was given it."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hub.errors import HubError

ROLES = ("coordinator", "nurse", "admin", "integration")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12
_HASHER = PasswordHasher()  # Argon2id, the library's current parameters (RFC 9106 profile)


class AccountError(HubError):
    pass


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str
    teams: tuple[str, ...]
    password_hash: str
    enabled: bool = True
    version: int = 1  # bumped by a reset or a disable: older sessions end
    changed_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"username": self.username, "name": self.name, "role": self.role,
                "teams": list(self.teams), "password_hash": self.password_hash,
                "enabled": self.enabled, "version": self.version, "changed_at": self.changed_at}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> User:
        return cls(data["username"], data["name"], data["role"], tuple(data["teams"]),
                   data["password_hash"], bool(data["enabled"]), int(data["version"]),
                   data.get("changed_at", ""))


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs {MIN_PASSWORD} characters or more",
                           code="weak_password")


def new_user(username: str, name: str, role: str, teams: tuple[str, ...], password: str,
             now: datetime) -> User:
    if not NAME.match(username):
        raise AccountError("a user name is 2 to 64 of a-z, 0-9, '.', '_', '-'",
                           code="bad_username")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}", code="bad_role")
    if not name.strip():
        raise AccountError("the person's name is needed", code="bad_name")
    check_password(password)
    return User(username, name.strip(), role, teams, _HASHER.hash(password),
                changed_at=now.isoformat())


def reset(user: User, password: str, now: datetime) -> User:
    check_password(password)
    return replace(user, password_hash=_HASHER.hash(password), enabled=True,
                   version=user.version + 1, changed_at=now.isoformat())


def disable(user: User, now: datetime) -> User:
    return replace(user, enabled=False, version=user.version + 1, changed_at=now.isoformat())


def verify(user: User | None, password: str) -> bool:
    """Constant work whether or not the user exists (no user-name probing by timing)."""
    try:
        ok = _HASHER.verify(user.password_hash if user else _DUMMY, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return bool(ok and user is not None and user.enabled)


_DUMMY = _HASHER.hash("a password no account has, for constant-time refusals")
