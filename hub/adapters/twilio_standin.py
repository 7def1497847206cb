"""A Twilio stand-in for the crash tests and ``hub bench --pipeline``: a real HTTP server on a real
socket that the worker's ``twilio`` client talks to (``TWILIO_API_URL``). Unlike Prism it counts:
every message and call created is kept with a SID of its own, and the look-ups the in-doubt
check makes (``GET Messages.json?To=``, ``GET Calls.json?To=``) answer from what it took.
Nothing leaves the machine: it listens on loopback and sends nothing.

Its clock is the caller's "world" clock, the one the workers' clocks are started from, so the
creation times it reports compare with the times the worker wrote in its ledger. ``on_create``
is told of each message or call as it is taken (the bench times its arrival there); ``hold``,
when set, is awaited after a message or call is taken and before it is answered (a test makes
Twilio hang)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from aiohttp import web

PAGE_META = {"first_page_uri": None, "next_page_uri": None, "previous_page_uri": None,
             "page": 0, "page_size": 50, "start": 0, "uri": None}


@dataclass
class Created:
    sid: str
    to: str
    body: str | None
    at: datetime
    callback: str | None = None  # carries the hub's command id


@dataclass
class TwilioStandIn:
    now: Callable[[], datetime]
    messages: list[Created] = field(default_factory=list)
    calls: list[Created] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _runner: web.AppRunner | None = None
    url: str = ""
    on_create: Callable[[Created], None] | None = None
    hold: Callable[[Created], Awaitable[None]] | None = None

    def texts_to(self) -> Counter[str]:
        return Counter(m.to for m in self.messages)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", self._create_sms)
        app.router.add_get("/2010-04-01/Accounts/{account}/Messages.json", self._list_sms)
        app.router.add_post("/2010-04-01/Accounts/{account}/Calls.json", self._create_call)
        app.router.add_get("/2010-04-01/Accounts/{account}/Calls.json", self._list_calls)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _new(self, prefix: str, form: Any, into: list[Created]) -> Created:
        created = Created(f"{prefix}{next(self._ids):032x}", str(form.get("To", "")),
                          _text(form.get("Body")), self.now(), _text(form.get("StatusCallback")))
        into.append(created)
        if self.on_create is not None:
            self.on_create(created)
        return created

    async def _create_sms(self, request: web.Request) -> web.Response:
        return await self._taken(request, "SM", self.messages, _message)

    async def _create_call(self, request: web.Request) -> web.Response:
        return await self._taken(request, "CA", self.calls, _call)

    async def _taken(self, request: web.Request, prefix: str, into: list[Created],
                     shown: Callable[[Created], dict[str, Any]]) -> web.Response:
        created = self._new(prefix, await request.post(), into)
        if self.hold is not None:
            await self.hold(created)
        return web.json_response(shown(created), status=201)

    async def _list_sms(self, request: web.Request) -> web.Response:
        to = request.query.get("To")
        found = [_message(m) for m in reversed(self.messages) if m.to == to][:50]
        return web.json_response({"messages": found, **PAGE_META, "end": len(found)})

    async def _list_calls(self, request: web.Request) -> web.Response:
        to = request.query.get("To")
        found = [_call(c) for c in reversed(self.calls) if c.to == to][:50]
        return web.json_response({"calls": found, **PAGE_META, "end": len(found)})


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _stamp(at: datetime) -> str:
    """As Twilio writes it (RFC 2822 in UTC, ``+0000``); the twilio library reads any offset
    as UTC."""
    return format_datetime(at.astimezone(UTC))


def _message(m: Created) -> dict[str, Any]:
    return {"sid": m.sid, "to": m.to, "body": m.body, "status": "queued",
            "date_created": _stamp(m.at), "direction": "outbound-api"}


def _call(c: Created) -> dict[str, Any]:
    return {"sid": c.sid, "to": c.to, "status": "queued", "date_created": _stamp(c.at)}
