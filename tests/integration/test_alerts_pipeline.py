"""Alerts reach people, on the real broker, through real peers: a readmission (TCM-9) is paged
to the first on-call contact by SMS (Twilio's contract via Prism), posted to a webhook that
verifies the HMAC signature, and mailed over STARTTLS to a local SMTP server; the worker is
SIGKILLed and replaced, and the urgent alert, still not acknowledged, escalates to the next
on-call contact exactly once; a person acknowledges it through the API; the next discharge
clears it, and the channels that were told are told. Nothing that leaves carries the name or
the MRN."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from hub.adapters.topic_reader import TopicReader, until
from hub.cli.feed import Person, adt
from hub.domain.alerts.signature import DELIVERY_HEADER
from tests.integration import servers
from tests.integration.webhooks import SignedHooks
from tests.integration.worker import API_TOKEN, send, start_worker

NY = ZoneInfo("America/New_York")
START = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
PATIENT = Person("880044", "NWOSU", "ADAEZE", "19480212", "F", "(617) 555-0144")
KEY = "GENHOSP|880044"
SECRET = "integration-webhook-secret-0123456789"
ALERT = None  # the readmission's id, learnt from care.alerts


@dataclass
class Peers(SignedHooks):
    mails: list[dict[str, Any]] = field(default_factory=list)
    smtp_port: int = 0
    ca_file: str = ""


@pytest.fixture
async def peers(tmp_path: Path) -> AsyncIterator[Peers]:
    trustme = pytest.importorskip("trustme")
    from aiosmtpd.controller import Controller

    seen = Peers(SECRET)
    await seen.start()

    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    seen.ca_file = str(ca_file)

    class Mailbox:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            mail = message_from_bytes(envelope.content, policy=policy.default)
            seen.mails.append({"to": envelope.rcpt_tos, "tls": session.ssl is not None,
                               "delivery_id": mail[DELIVERY_HEADER],
                               "subject": mail["Subject"], "body": mail.get_content()})
            return "250 OK"

    seen.smtp_port = servers.free_port()
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=seen.smtp_port,
                      tls_context=server_tls, require_starttls=True)
    smtp.start()
    yield seen
    smtp.stop()
    await seen.stop()


def routing_file(tmp_path: Path, peers: Peers) -> Path:
    path = tmp_path / "routing.yaml"
    path.write_text(f"""\
link: https://tcm.example.org
escalate_after_minutes: 0.25
default_team: general
people:
  ana: {{name: Ana Diaz, phone: "+16175550181"}}
  ben: {{name: Ben Ode, phone: "+16175550182"}}
teams:
  general:
    members: [ana, ben]
    on_call: [ana, ben]
    channels: [sms, webhook, email]
    webhook: {peers.url}
    webhook_secret_env: HUB_TEST_WEBHOOK_SECRET
    email: [care-team@example.org]
""")
    return path


def phases(peers: Peers, alert_id: str) -> list[str]:
    """Each webhook delivery once (``SignedHooks.unique``)."""
    return sorted(h["phase"] for h in peers.unique().values() if h["alert_id"] == alert_id)


async def test_an_urgent_alert_is_delivered_escalated_across_a_kill_acknowledged_and_cleared(
        kafka: servers.Kafka, prism: servers.Prism, peers: Peers, tmp_path: Path) -> None:
    env = {"HUB_ALERT_ROUTING": str(routing_file(tmp_path, peers)),
           "HUB_TEST_WEBHOOK_SECRET": SECRET, "HUB_SMTP_HOST": "127.0.0.1",
           "HUB_SMTP_PORT": str(peers.smtp_port), "HUB_SMTP_CA_FILE": peers.ca_file,
           "HUB_REBALANCE_TIMEOUT": "3"}
    app_id = "tcm-hub-alerts"
    first = start_worker(kafka, prism, tmp_path / "first", clock_start=START.isoformat(),
                         app_id=app_id, extra_env={**env, "HUB_STORE": "rocksdb://"})
    reader = TopicReader(kafka.bootstrap, ["care.alerts", "alerts.results"])
    await reader.start()  # once the worker made the topics, co-partitioned
    try:
        discharged = START - timedelta(hours=1)
        assert (await send(first.mllp_port, adt(
            "A03", PATIENT, control_id="ALR0001", at=discharged, disposition="01",
            discharged_to="HOME", discharge_at=discharged))).startswith("AA")
        assert (await send(first.mllp_port, adt(
            "A01", PATIENT, control_id="ALR0002", at=START))).startswith("AA")

        def readmission(records: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
            return [a for a in records["care.alerts"]
                    if a["patient_key"] == KEY and a["kind"] == "readmission"]

        assert await reader.wait_until(lambda r: bool(readmission(r)), timeout=90), \
            first.log_tail()
        alert_id = readmission(reader.records)[0]["alert_id"]
        # raised: the first on-call contact paged, the webhook and the mailbox told
        assert await until(lambda: phases(peers, alert_id) == ["raised"] and bool(
            peers.mails), timeout=60), first.log_tail()
        assert await reader.wait_until(lambda r: any(
            x["delivery_id"] == f"{alert_id}/1/sms/ana" and x["status"] == "sent"
            for x in r["alerts.results"]), timeout=60), first.log_tail()
    finally:
        first.kill()  # SIGKILL before the escalation is due

    second = start_worker(kafka, prism, tmp_path / "second",
                          clock_start=(START + timedelta(minutes=1)).isoformat(),
                          app_id=app_id, extra_env={**env, "HUB_STORE": "rocksdb://"})
    try:
        # not acknowledged in 15 s: escalated to the next on-call contact, once
        assert await reader.wait_until(lambda r: any(
            x["delivery_id"].endswith("/sms/ben") and x["status"] == "sent"
            for x in r["alerts.results"]), timeout=90), second.log_tail()
        assert await until(lambda: "escalated" in phases(peers, alert_id), timeout=60)
        base = f"http://127.0.0.1:{second.web_port}/alerts/{quote(KEY, safe='')}/" \
               f"{quote(alert_id, safe='')}"
        auth = {"Authorization": f"Bearer {API_TOKEN}"}
        async with aiohttp.ClientSession() as session:
            listed = await session.get(f"http://127.0.0.1:{second.web_port}/alerts?person=ana",
                                       headers=auth)
            assert listed.status == 200, second.log_tail()
            rows = [r for r in (await listed.json())["alerts"] if r["alert_id"] == alert_id]
            assert [(r["state"], r["on_call"]) for r in rows] == [("open", "ben")]
            acked = await session.post(f"{base}/acknowledge", json={"by": "nurse.lee"},
                                       headers=auth)
            assert acked.status == 202, await acked.text()
            nobody = await session.post(f"{base}/acknowledge", json={}, headers=auth)
            assert nobody.status == 422
            story: dict[str, Any] = {}

            async def acknowledged() -> bool:
                answer = await session.get(base, headers=auth)
                story.update(await answer.json())
                return story.get("state") == "acknowledged"

            assert await until(acknowledged, timeout=30, interval=0.2), second.log_tail()
        assert story["acknowledged_by"] == "nurse.lee"
        whats = [h["what"] for h in story["history"]]
        assert whats.count("alert_escalated") == 1 and "alert_acknowledged" in whats
        assert {(h.get("channel"), h.get("person")) for h in story["history"]
                if h["what"] == "alert_notified"} >= {("sms", "ana"), ("webhook", None),
                                                      ("email", None), ("sms", "ben")}

        # home again (A03): the condition ended; those who were told are told
        back = START + timedelta(days=2)
        assert (await send(second.mllp_port, adt(
            "A03", PATIENT, control_id="ALR0003", at=back, disposition="01",
            discharged_to="HOME", discharge_at=back))).startswith("AA")
        assert await until(lambda: "cleared" in phases(peers, alert_id), timeout=60), \
            second.log_tail()
    finally:
        second.stop()
        await reader.stop()

    assert phases(peers, alert_id) == ["cleared", "escalated", "raised"]
    # this alert's (the worker reads the suite's shared topics: other tests' alerts post too)
    cleared = next(h for h in peers.hooks
                   if h["phase"] == "cleared" and h["alert_id"] == alert_id)
    assert cleared["reason"] == "discharged_again" and peers.forged == 0
    for raw in [h["raw"] for h in peers.hooks] + [m["body"] + m["subject"] for m in peers.mails]:
        assert "880044" not in raw and "ADAEZE" not in raw.upper() and "NWOSU" not in raw.upper()
    assert all(m["tls"] and m["to"] == ["care-team@example.org"] for m in peers.mails)
    assert {m["delivery_id"].split("/")[1] for m in peers.mails} >= {"1", "2", "3"}


async def test_a_silent_feed_alerts_the_integration_team_and_its_next_message_clears_it(
        kafka: servers.Kafka, prism: servers.Prism, peers: Peers, tmp_path: Path) -> None:
    """Feed silence: no ADT from a watched facility for the configured time inside its usual
    hours reaches the integration team (not the care team); the next message clears it."""
    path = tmp_path / "routing.yaml"
    path.write_text(f"""\
default_team: general
integration_team: integration
teams:
  general:
    channels: []
  integration:
    channels: [webhook]
    webhook: {peers.url}
    webhook_secret_env: HUB_TEST_WEBHOOK_SECRET
feeds:
  GENHOSP: {{silence_minutes: 0.1, hours: "00:00-23:59", days: [mon, tue, wed, thu, fri, sat, sun]}}
""")
    worker = start_worker(kafka, prism, tmp_path / "worker", clock_start=START.isoformat(),
                          app_id="tcm-hub-feeds",
                          extra_env={"HUB_ALERT_ROUTING": str(path),
                                     "HUB_TEST_WEBHOOK_SECRET": SECRET})
    try:
        someone = Person("880045", "ABARA", "CHIDI", "19500101", "M", "(617) 555-0145")
        assert (await send(worker.mllp_port, adt("A08", someone, control_id="FEED0001",
                                                 at=START))).startswith("AA")

        def silence(phase: str) -> list[dict[str, Any]]:
            return [h for h in peers.hooks if h["kind"] == "feed_silence" and h["phase"] == phase]

        assert await until(lambda: bool(silence("raised")), timeout=60), worker.log_tail()
        [raised] = silence("raised")
        assert (raised["team"], raised["facility"]) == ("integration", "GENHOSP")
        assert (await send(worker.mllp_port, adt("A08", someone, control_id="FEED0002",
                                                 at=START))).startswith("AA")
        assert await until(lambda: bool(silence("cleared")), timeout=60), worker.log_tail()
        assert silence("cleared")[0]["reason"] == "feed_resumed"
        assert [h["kind"] for h in peers.hooks if h["team"] != "integration"] == []
    finally:
        worker.stop()
