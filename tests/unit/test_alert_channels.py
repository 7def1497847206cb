"""The alert channels' contract, run against the in-memory fake and against each real adapter
talking to a real local peer: an HTTP server that verifies the HMAC signature, and an SMTP
server (aiosmtpd) that requires STARTTLS. A delivery arrives whole; a refusal is permanent; a
peer that is down or hangs is a retriable failure within the timeout, never a hang."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiohttp import web

from hub.adapters.alert_channels import (
    AlertChannel,
    ChannelFailure,
    EmailChannel,
    RecordingChannel,
    WebhookChannel,
)
from hub.config import SmtpSettings
from hub.domain.alerts.notice import notice
from hub.domain.alerts.signature import DELIVERY_HEADER, HEADER, verify

SECRET = "k" * 32
NOW = 1_800_000_000
CASE = {"alert_id": "ep-1:urgent_reply", "kind": "urgent_reply", "severity": "urgent",
        "facility": "GENHOSP", "team": "general", "raised_at": "2026-11-24T09:00:00-05:00",
        "detail": {"reply_text": "I fell"}, "patient_name": "Maria"}


def delivery(address: str, channel: str) -> dict[str, Any]:
    return {"delivery_id": f"ep-1:urgent_reply/1/{channel}", "alert_id": "ep-1:urgent_reply",
            "key": "GEN|1", "channel": channel, "team": "general", "person": None,
            "address": address, "attempt": 1,
            "notice": notice(CASE, "raised", "https://tcm.example.org", names=False)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Peer:
    """One channel and the peer behind it: what it received, and how to make it misbehave."""

    channel: AlertChannel
    address: str
    kind: str
    received: Callable[[], list[dict[str, Any]]]
    refuse: Callable[[], None]
    down: Callable[[], Any]
    hang: Callable[[], None] | None = None
    cleanup: list[Any] = field(default_factory=list)


@dataclass
class WebhookPeer:
    mode: str = "ok"
    received: list[dict[str, Any]] = field(default_factory=list)
    forged: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verify(SECRET, request.headers.get(HEADER, ""), body, now=NOW):
            self.forged += 1
            return web.Response(status=401, text="bad signature")
        if self.mode == "refuse":
            return web.Response(status=400, text="no")
        if self.mode == "hang":
            await asyncio.Event().wait()
        self.received.append({"delivery_id": request.headers[DELIVERY_HEADER],
                              **json.loads(body)})
        return web.Response(status=204)


async def webhook_peer() -> Peer:
    state = WebhookPeer()
    app = web.Application()
    app.router.add_post("/hook", state.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)  # a hanging handler is cut
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    channel = WebhookChannel({"general": SECRET}, timeout=1.0)

    def refuse() -> None:
        state.mode = "refuse"

    def hang() -> None:
        state.mode = "hang"

    return Peer(channel, f"http://127.0.0.1:{port}/hook", "webhook", lambda: state.received,
                refuse, runner.cleanup, hang, [runner.cleanup])


async def smtp_peer() -> Peer:
    trustme = pytest.importorskip("trustme")
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    received: list[dict[str, Any]] = []
    refusing = {"on": False}

    class Handler:
        async def handle_RCPT(self, server: SMTP, session: Any, envelope: Any, address: str,
                              options: list[str]) -> str:
            if refusing["on"]:
                return "550 no such mailbox"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
            mail = message_from_bytes(envelope.content, policy=policy.default)
            received.append({"to": envelope.rcpt_tos, "subject": mail["Subject"],
                             "message_id": mail["Message-ID"],
                             "delivery_id": mail[DELIVERY_HEADER], "tls": session.ssl is not None,
                             "body": mail.get_content()})
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port,
                            tls_context=server_tls, require_starttls=True)
    controller.start()
    channel = EmailChannel(SmtpSettings("127.0.0.1", port, tls_context=client_tls),
                           timeout=2.0)

    def refuse() -> None:
        refusing["on"] = True

    async def down() -> None:
        if not stopped:
            stopped.append(True)
            controller.stop()

    stopped: list[bool] = []

    return Peer(channel, "team@example.org", "email", lambda: received, refuse, down,
                None, [])


async def fake_peer() -> Peer:
    fake = RecordingChannel()

    def refuse() -> None:
        fake.failing = ChannelFailure("refused", permanent=True)

    async def down() -> None:
        fake.failing = ChannelFailure("down")

    return Peer(fake, "fake", "fake", lambda: fake.sent, refuse, down)


PEERS = [pytest.param(fake_peer, id="fake"),
         pytest.param(webhook_peer, id="webhook", marks=pytest.mark.integration),
         pytest.param(smtp_peer, id="email", marks=pytest.mark.integration)]


@pytest.fixture(params=PEERS)
async def peer(request: pytest.FixtureRequest) -> AsyncIterator[Peer]:
    made: Peer = await request.param()
    yield made
    await made.channel.close()
    for step in made.cleanup:
        await step()
    if made.kind == "email":
        await made.down()  # stop the SMTP server if the test did not


async def test_a_delivery_arrives_whole_without_phi(peer: Peer) -> None:
    await peer.channel.send(delivery(peer.address, peer.kind), NOW)
    [got] = peer.received()
    if peer.kind == "webhook":  # signed (the peer checked it), with its delivery id
        assert got["delivery_id"] == "ep-1:urgent_reply/1/webhook"
        assert got["text"].startswith("[TCM URGENT] Patient asked for help")
        assert "fell" not in json.dumps(got) and "Maria" not in json.dumps(got)
    elif peer.kind == "email":  # over STARTTLS, one message id per delivery
        assert got["tls"] and got["to"] == ["team@example.org"]
        assert got["subject"].startswith("[TCM URGENT] Patient asked for help · GENHOSP")
        assert got["delivery_id"] == "ep-1:urgent_reply/1/email"
        assert got["message_id"].endswith("@tcm-hub>") and "ep-1" not in got["message_id"]
        assert "https://tcm.example.org/app/alerts?alert=" in got["body"]
        assert "fell" not in got["body"]
    else:
        assert got["delivery_id"] == "ep-1:urgent_reply/1/fake"


async def test_a_refusal_is_permanent(peer: Peer) -> None:
    peer.refuse()
    with pytest.raises(ChannelFailure) as failure:
        await peer.channel.send(delivery(peer.address, peer.kind), NOW)
    assert failure.value.permanent and peer.received() == []


async def test_a_peer_that_is_down_is_a_retriable_failure(peer: Peer) -> None:
    await peer.down()
    with pytest.raises(ChannelFailure) as failure:
        await peer.channel.send(delivery(peer.address, peer.kind), NOW)
    assert not failure.value.permanent


@pytest.mark.integration
async def test_a_hanging_webhook_fails_within_its_timeout_and_a_forged_one_is_refused() -> None:
    made = await webhook_peer()
    try:
        assert made.hang is not None
        made.hang()
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(ChannelFailure) as failure:
            await made.channel.send(delivery(made.address, "webhook"), NOW)
        assert not failure.value.permanent and loop.time() - started < 5
        forger = WebhookChannel({"general": "z" * 32}, timeout=1.0)
        with pytest.raises(ChannelFailure) as forged:
            await forger.send(delivery(made.address, "webhook"), NOW)
        assert "401" in str(forged.value)
        await forger.close()
    finally:
        await made.channel.close()
        await made.cleanup[0]()
