"""A care team's webhook receiver on loopback, for the alert tests: it checks the HMAC
signature of every post (a forged one is refused 401 and counted) and keeps what came, each
post with its ``X-TCM-Delivery`` id and raw body."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from hub.domain.alerts.signature import DELIVERY_HEADER, HEADER, verify
from tests.integration import servers


@dataclass
class SignedHooks:
    secret: str = ""
    url: str = ""
    hooks: list[dict[str, Any]] = field(default_factory=list)
    forged: int = 0
    _runner: web.AppRunner | None = None

    def unique(self) -> dict[str, dict[str, Any]]:
        """Each delivery once (a redelivery keeps its id and is dropped, as documented)."""
        return {hook["delivery_id"]: hook for hook in self.hooks}

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        port = servers.free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        # the workers' clocks are rehearsal clocks and a shared broker hands a worker other
        # tests' older alerts too: the MAC is checked here, freshness in the unit test
        # (test_alert_routing_file) against one clock
        if not verify(self.secret, request.headers.get(HEADER, ""), body, now=0,
                      tolerance=1 << 40):
            self.forged += 1
            return web.Response(status=401)
        self.hooks.append({"delivery_id": request.headers[DELIVERY_HEADER],
                           "raw": body.decode(), **json.loads(body)})
        return web.Response(status=204)
