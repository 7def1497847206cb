"""The demo's care-team side: a chat-style webhook receiver that checks each request's
signature as a receiver must (``hub.domain.alerts.signature``) and keeps what it was told, and
the routing file that sends the demo's alerts to it and pages an on-call phone."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from hub.domain.alerts.signature import DELIVERY_HEADER, HEADER, verify

SECRET = "demo-webhook-secret-not-for-production"
ON_CALL = "+16175550177"


@dataclass
class Inbox:
    messages: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    runner: web.AppRunner | None = None

    async def start(self, port: int) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._receive)
        self.runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verify(SECRET, request.headers.get(HEADER, ""), body, now=int(time.time())):
            self.refused += 1
            return web.Response(status=401, text="bad signature")
        ids = {m["delivery_id"] for m in self.messages}
        if request.headers.get(DELIVERY_HEADER) not in ids:  # a retry of one we have
            self.messages.append({"delivery_id": request.headers.get(DELIVERY_HEADER),
                                  **json.loads(body)})
        return web.Response(status=204)


def routing_file(workdir: Path, inbox_port: int, web_port: int) -> Path:
    path = workdir / "alert-routing.yaml"
    path.write_text(f"""\
link: http://127.0.0.1:{web_port}
escalate_after_minutes: 10
default_team: care-team
people:
  jordan: {{name: Nurse Jordan, phone: "{ON_CALL}"}}
teams:
  care-team:
    members: [jordan]
    on_call: [jordan]
    channels: [sms, webhook]
    webhook: http://127.0.0.1:{inbox_port}/hook
    webhook_secret_env: HUB_DEMO_WEBHOOK_SECRET
""")
    return path
