"""A broker that stops answering after start-up (ADT-9, issue 9 item 3): the sender gets AR
within the write deadline, not after the outage, on a connection that stays usable; once the
broker is back the resend is AA and the message is acted on once. A Twilio webhook in the
outage is answered 503 (not kept), and kept when Twilio sends it again. The broker here is the
test's own (SIGSTOP would freeze every other test's), stopped and resumed by its PID. The
pages' account directory outlives such an outage too."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from hub.adapters.kafka_topics import prepare_topics
from hub.adapters.mllp_client import MllpClient
from hub.adapters.topic_reader import TopicReader
from hub.adapters.user_directory import UserDirectory, read_directory
from hub.cli.feed import Person, adt
from hub.errors import BrokerUnavailable
from hub.hl7.ack import ack_summary
from hub.topic_names import USERS
from hub.web.accounts import new_user
from tests.integration import servers
from tests.integration.test_walking_skeleton import signed_reply
from tests.integration.worker import Worker, start_worker

NY = ZoneInfo("America/New_York")
CLOCK_START = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
AT = datetime(2026, 11, 23, 9, 30, tzinfo=NY)
REPLY_SID = "SM" + "d7" * 16
ACK_WAIT = 20.0  # seconds the test's client waits for any ACK: a bound, not a measurement


@pytest.fixture(scope="module")
def own_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Kafka]:
    broker = servers.start_kafka(Path(tmp_path_factory.mktemp("outage-kafka")))
    yield broker
    os.killpg(broker.process.pid, signal.SIGCONT)  # never leave it frozen
    broker.stop()


@pytest.fixture(scope="module")
def worker(own_kafka: servers.Kafka, prism: servers.Prism,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    running = start_worker(own_kafka, prism, Path(tmp_path_factory.mktemp("outage-worker")),
                           clock_start=CLOCK_START.isoformat(), app_id="tcm-hub-outage",
                           extra_env={"HUB_BROKER_WRITE_TIMEOUT": "2"})
    yield running
    running.stop()


def pause(pid: int) -> None:
    """SIGSTOP the broker's process group, and wait until every thread of the JVM is stopped
    (the signal takes effect asynchronously: a request could still be served meanwhile)."""
    os.killpg(pid, signal.SIGSTOP)
    for _ in range(2000):  # a bounded wait on a condition, checked through /proc
        states = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                states.append((task / "stat").read_text().rsplit(")", 1)[1].split()[0])
            except (OSError, IndexError):
                continue  # a thread that just ended
        if states and all(state in ("T", "t") for state in states):
            return
        time.sleep(0.005)  # polling /proc for the stop, not synchronizing with the hub
    raise AssertionError("the broker did not stop")


async def probe(worker: Worker, name: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{worker.web_port}/{name}") as answer:
        return answer.status, await answer.json()


def discharge(mrn: str, control_id: str) -> bytes:
    person = Person(mrn, "STONE", "AVA", "19600101", "F", "(617) 555-0181")
    return adt("A03", person, control_id=control_id, at=AT, disposition="01",
               discharged_to="HOME", discharge_at=AT)


async def test_a_paused_broker_is_answered_ar_within_the_deadline_and_nothing_is_doubled(
        own_kafka: servers.Kafka, worker: Worker) -> None:
    """ADT-9: with Kafka SIGSTOPped, each message on an open connection is answered AR
    (broker_unavailable) within the write deadline and the connection stays usable; after
    SIGCONT the resend is AA, and the discharge is normalized exactly once (ADT-1 dedupe).
    Meanwhile /healthz is 200 and /readyz 503 with ``broker_reachable`` false; ready again
    once the broker is back."""
    client = await MllpClient.connect("127.0.0.1", worker.mllp_port)
    try:
        warm = ack_summary(await client.send(discharge("880001", "OUT0001")))
        assert warm.startswith("AA"), warm
        pause(own_kafka.process.pid)
        try:
            for attempt in range(2):  # the same connection answers each message
                ack = ack_summary(await client.send(discharge("880002", "OUT0002"),
                                                    timeout=ACK_WAIT))
                assert ack.startswith("AR OUT0002"), (attempt, ack)
                assert "broker_unavailable" in ack
            # a patient's reply meanwhile: not kept, so not a 200 Twilio would take as done
            await signed_reply(worker, "+16175550181", "I feel dizzy", REPLY_SID, expect=503)
            # the orchestrator sees it: alive, not ready, and why
            assert (await probe(worker, "healthz"))[0] == 200
            status, body = await probe(worker, "readyz")
            assert (status, body["checks"]["broker_reachable"]) == (503, False), body
        finally:
            os.killpg(own_kafka.process.pid, signal.SIGCONT)
        for _resend in range(10):  # the sender resends until the hub has it
            ack = ack_summary(await client.send(discharge("880002", "OUT0002"), timeout=ACK_WAIT))
            if ack.startswith("AA"):
                break
        assert ack.startswith("AA OUT0002"), ack
        for _ in range(60):  # polling the probe, as an orchestrator does
            status, body = await probe(worker, "readyz")
            if status == 200:
                break
            await asyncio.sleep(0.5)
        assert status == 200 and all(body["checks"].values()), body
        await signed_reply(worker, "+16175550181", "I feel dizzy", REPLY_SID)  # Twilio retries
    finally:
        await client.close()
    reader = TopicReader(own_kafka.bootstrap, ["adt.events", "care.alerts", "outreach.inbound"])
    await reader.start()
    try:
        assert await reader.wait_until(lambda r: any(
            a["patient_key"] == "GENHOSP|880002" and a["kind"] == "episode_opened"
            for a in r["care.alerts"]), timeout=90), worker.log_tail()
    finally:
        await reader.stop()
    events = [e for e in reader.records["adt.events"] if e["control_id"] == "OUT0002"]
    opened = [a for a in reader.records["care.alerts"]
              if a["patient_key"] == "GENHOSP|880002" and a["kind"] == "episode_opened"]
    assert (len(events), len(opened)) == (1, 1)
    replies = [r for r in reader.records["outreach.inbound"] if r.get("provider_sid") == REPLY_SID]
    assert replies, "the reply Twilio sent again once the broker was back is kept"


async def test_the_account_directory_outlives_a_broker_that_stops(
        own_kafka: servers.Kafka) -> None:
    """The pages' accounts (issue 12) by failure, not absence: with the directory following
    ``hub.users``, its producer in use, and the broker SIGSTOPped, a sign-out is
    BrokerUnavailable within the write deadline yet holds on this worker at once; once the
    broker is back the directory has kept following (disables and resets must land), reading an
    account written after the outage, and its next sign-out is written (the failed producer was
    replaced), as a fresh reader of the topic sees."""
    await prepare_topics(own_kafka.bootstrap, [], "tcm-hub-outage-users", partitions=1,
                         replication=1, changelogs=[USERS])
    directory = UserDirectory(own_kafka.bootstrap, write_timeout=2.0)
    await directory.start()
    try:
        await asyncio.wait_for(directory.ready.wait(), 60)
        await directory.sign_out("rn.outage")  # the directory's producer is up and kept
        pause(own_kafka.process.pid)
        try:
            started = time.monotonic()
            with pytest.raises(BrokerUnavailable):
                await directory.sign_out("rn.outage")
            assert time.monotonic() - started < ACK_WAIT  # a bound on the deadline, not speed
            assert directory.signouts("rn.outage") == 2
        finally:
            os.killpg(own_kafka.process.pid, signal.SIGCONT)
        later = new_user("rn.after", "Rita Lee", "nurse", ("care-team",),
                         "a long passphrase after the outage", datetime.now(NY))
        for _retry in range(10):  # the writer retries, as hub users' operator would
            try:
                await directory.store(later)
                break
            except BrokerUnavailable:
                continue
        assert await directory.wait_for("rn.after", 60) == later
        await directory.sign_out("rn.outage")  # the broker is back: written at once
    finally:
        await directory.stop()
    assert (await read_directory(own_kafka.bootstrap, 60)).signouts("rn.outage") == 3
