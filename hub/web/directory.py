"""The account directory, the pages' port to the accounts: who a user name is, and when the
person last signed out. Sign-out is its own record, never a rewrite of the account: an account
changed by ``hub users`` (disabled, reset) a moment before cannot be undone by a worker that
signs the person out from an older copy.

Sign-outs are counted per person; a session carries the count it was issued under and lives
only while that is still the count (``ended``): signing out anywhere ends every session of the
person, on every worker, and a cookie copied before it is worth nothing; signing in again
starts a new one. A count, not a time, so no worker's clock (or its skew) decides.

``UserDirectory`` (``hub.adapters.user_directory``, on ``hub.users``) is the real one; the
in-memory ``MemoryDirectory`` is the unit tests' fake. One contract suite holds both
(``tests/integration/test_user_directory_contract.py``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from hub.errors import BrokerUnavailable
from hub.web.accounts import User
from hub.web.sessions import Session

T = TypeVar("T")


class Directory(Protocol):
    def get(self, username: str) -> User | None: ...

    async def wait_for(self, username: str, timeout: float) -> User | None:
        """The account, waiting up to ``timeout`` for one just written; None if none."""

    def signouts(self, username: str) -> int:
        """How many times the person signed out, as far as this directory has read."""

    async def store(self, user: User) -> None:
        """Keep the account (``BrokerUnavailable`` when it cannot be kept)."""

    async def sign_out(self, username: str) -> None:
        """Every session of the person issued until now ends: on this worker at once, even
        when the record cannot be kept for the others (then ``BrokerUnavailable``)."""

    async def take_link(self, nonce: str) -> bool:
        """A one-time sign-in link is used: True the first time its nonce is taken here or
        on any worker that has read the record; False after (``BrokerUnavailable`` when the
        use cannot be recorded: then the link is refused)."""


async def until_found(changed: asyncio.Event, found: Callable[[], T | None], timeout: float
                      ) -> T | None:
    """``found()`` once it is not None, looking again each time ``changed`` is set (by
    whatever applies a record), for at most ``timeout`` seconds; None if it never is."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (value := found()) is None and loop.time() < deadline:
        changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), deadline - loop.time())
    return value


def ended(session: Session, user: User | None, signouts: int) -> bool:
    """The session is over: no such account, disabled, reset, or signed out after it began."""
    return user is None or not user.enabled or user.version != session.version or \
        session.signouts < signouts


@dataclass
class MemoryDirectory:
    """In-memory fake of the directory (``down``: a broker that is gone)."""

    users: dict[str, User] = field(default_factory=dict)
    signed_out: dict[str, int] = field(default_factory=dict)
    links_used: set[str] = field(default_factory=set)
    down: bool = False
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def get(self, username: str) -> User | None:
        return self.users.get(username)

    async def wait_for(self, username: str, timeout: float) -> User | None:
        return await until_found(self._changed, lambda: self.users.get(username), timeout)

    def signouts(self, username: str) -> int:
        return self.signed_out.get(username, 0)

    async def store(self, user: User) -> None:
        if self.down:
            raise BrokerUnavailable("broker is down (fake)")
        self.users[user.username] = user
        self._changed.set()

    async def sign_out(self, username: str) -> None:
        self.signed_out[username] = self.signed_out.get(username, 0) + 1
        if self.down:
            raise BrokerUnavailable("broker is down (fake)")

    async def take_link(self, nonce: str) -> bool:
        if self.down:
            raise BrokerUnavailable("broker is down (fake)")
        if nonce in self.links_used:
            return False
        self.links_used.add(nonce)
        return True
