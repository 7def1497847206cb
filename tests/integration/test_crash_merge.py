"""Issue 9 with §2 A40: patients merged while the worker is SIGKILLed, on the production store
(RocksDB) and a broker of the test's own. Each prior MRN was readmitted (TCM-9), so its care
team holds an open alert, told once by webhook; half were acknowledged. The merges arrive over
MLLP and the worker is killed among them and once more while the hand-overs are in flight.
Every alert then goes on in the surviving patient's book as it was (acknowledged stays
acknowledged), exactly once; nobody is told again and no "cleared" goes out (README, "What
holds across a crash").

The kill moments are drawn from the crash tests' seed (``HUB_CRASH_SEED`` replays one)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from hub.adapters.mllp_client import MllpClient
from hub.adapters.topic_reader import TopicReader, until
from hub.adapters.twilio_standin import TwilioStandIn
from hub.cli.feed import Person, adt
from hub.hl7.ack import ack_summary
from hub.topic_names import EPISODE_TICKS, EVENTS
from tests.integration import servers
from tests.integration.crash_harness import Feed, Restarted, World, settled
from tests.integration.test_crash import DISCHARGED, SEED, kafka, start, twilio, worker_env
from tests.integration.webhooks import SignedHooks
from tests.integration.worker import API_TOKEN, Worker

__all__ = ["kafka", "twilio"]  # the crash module's own broker and stand-in fixtures
PAIRS = 16
SECRET = "crash-merge-webhook-secret-0123456789"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def pair(n: int) -> tuple[Person, Person]:
    """(prior, survivor): one person under two MRNs, the prior one merged away."""
    phone = f"(617) 555-02{n:02d}"
    return (Person(f"77{n:04d}", "MERGETEST", f"PAT{n}", "19500101", "F", phone),
            Person(f"78{n:04d}", "MERGETEST", f"PAT{n}", "19500101", "F", phone))


def key(person: Person) -> str:
    return f"GENHOSP|{person.mrn}"


@pytest.fixture
async def hooks() -> AsyncIterator[SignedHooks]:
    receiver = SignedHooks(SECRET)
    await receiver.start()
    yield receiver
    await receiver.stop()


def routing_file(tmp_path: Path, hooks: SignedHooks) -> Path:
    path = tmp_path / "routing.yaml"
    path.write_text(f"""\
escalate_after_minutes: 600
default_team: general
people:
  ana: {{name: Ana Diaz, phone: "+16175550181"}}
teams:
  general:
    members: [ana]
    on_call: [ana]
    channels: [webhook]
    webhook: {hooks.url}
    webhook_secret_env: HUB_TEST_WEBHOOK_SECRET
""")
    return path


async def readmitted(worker: Worker, people: list[Person]) -> None:
    """Discharged home, then admitted again: a readmission alert each (TCM-9)."""
    client = await MllpClient.connect("127.0.0.1", worker.mllp_port)
    try:
        for person in people:
            for raw in (adt("A03", person, control_id=f"MD{person.mrn}", at=DISCHARGED,
                            disposition="01", discharged_to="HOME",
                            admit_at=DISCHARGED - timedelta(days=3), discharge_at=DISCHARGED),
                        adt("A01", person, control_id=f"MA{person.mrn}",
                            at=DISCHARGED + timedelta(minutes=20))):
                assert ack_summary(await client.send(raw)).startswith("AA")
    finally:
        await client.close()


def merge(prior: Person, survivor: Person) -> tuple[str, bytes]:
    control_id = f"MM{survivor.mrn}"
    return control_id, adt("A40", survivor, control_id=control_id,
                           at=DISCHARGED + timedelta(minutes=40), structure="ADT_A39") + (
        f"MRG|{prior.mrn}^^^GENHOSP^MR\r".encode())


async def open_alerts(worker: Worker) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{worker.web_port}/alerts?limit=1000"
    async with aiohttp.ClientSession() as session:
        answer = await session.get(url, headers=AUTH)
        assert answer.status == 200, await answer.text()
        return [row for row in (await answer.json())["alerts"] if row["kind"] == "readmission"]


async def acknowledge(worker: Worker, alert: dict[str, Any]) -> None:
    url = (f"http://127.0.0.1:{worker.web_port}/alerts/{quote(alert['key'], safe='')}/"
           f"{quote(alert['alert_id'], safe='')}/acknowledge")
    async with aiohttp.ClientSession() as session:
        answer = await session.post(url, json={"by": "rn.lee"}, headers=AUTH)
        assert answer.status == 202, await answer.text()


async def test_alerts_follow_merged_patients_as_they_are_across_kills(
        kafka: servers.Kafka, prism: servers.Prism, twilio: TwilioStandIn, hooks: SignedHooks,
        tmp_path: Path) -> None:
    rng = random.Random(SEED)
    world = World(DISCHARGED.replace(hour=10, minute=0))
    twilio.now = world.now
    pairs = [pair(n) for n in range(PAIRS)]
    priors = [prior for prior, _ in pairs]
    survivor_of = {key(prior): key(survivor) for prior, survivor in pairs}
    app_id = f"tcm-hub-merge-crash-{SEED}"
    env = {**worker_env(twilio, "rocksdb://"),
           "HUB_ALERT_ROUTING": str(routing_file(tmp_path, hooks)),
           "HUB_TEST_WEBHOOK_SECRET": SECRET}
    workdir = tmp_path / "worker"
    run = Restarted(lambda: start(kafka, prism, workdir, world, app_id, env))
    kill_at = sorted(rng.sample(range(1, PAIRS), 2))
    context = f"seed {SEED} (HUB_CRASH_SEED): killed after {kill_at} merges AA'd, then at the end"
    try:
        await readmitted(run.worker, priors)
        assert await until(lambda: _count(run.worker, PAIRS), 120, interval=0.5), \
            run.worker.log_tail()
        raised = {row["alert_id"]: row for row in await open_alerts(run.worker)}
        assert await until(lambda: len(hooks.unique()) == PAIRS, timeout=60), \
            run.worker.log_tail()
        acked = set(sorted(raised)[::2])
        for alert_id in acked:
            await acknowledge(run.worker, raised[alert_id])
        assert await until(lambda: _acknowledged(run.worker, acked), 60, interval=0.5), \
            run.worker.log_tail()

        feed = Feed()

        async def killer() -> None:
            for count in kill_at:
                await feed.reached(count)
                await run.kill_and_restart()
            await feed.reached(PAIRS)
            await run.kill_and_restart()  # the last hand-overs in flight

        await asyncio.gather(killer(), feed.send_all(
            run.listeners, [merge(prior, survivor) for prior, survivor in pairs], 0))
        assert await settled(kafka.bootstrap, app_id, timeout=120), context

        async def all_moved() -> bool:
            rows = await open_alerts(run.worker)
            return sorted(row["key"] for row in rows) == sorted(survivor_of.values())

        assert await until(all_moved, 120, interval=0.5), \
            f"{await open_alerts(run.worker)}; {context}"
        rows = await open_alerts(run.worker)
        moved, forwarded = await _moved_and_forwarded(kafka)
    finally:
        run.worker.stop()

    assert sorted(row["alert_id"] for row in rows) == sorted(raised), context  # each once
    for row in rows:
        before = raised[row["alert_id"]]
        assert row["key"] == survivor_of[before["key"]], context
        assert (row["state"], row["acknowledged_by"]) == (
            ("acknowledged", "rn.lee") if row["alert_id"] in acked else ("open", None)), context
    assert {m["alert_id"] for m in moved} == set(raised), context
    # the priors' discharges and readmissions, read again after the kills, stayed with the key
    # that had applied them: forwarded, one could reach the survivor before its hand-over and
    # open a second episode there (the CI failure of seed 469214999)
    assert not [cid for cid in forwarded if cid.startswith(("MD", "MA"))], context
    # nobody told again: the one notice each got when it was raised, and nothing else
    assert sorted((n["alert_id"], n["phase"]) for n in hooks.unique().values()) == sorted(
        (alert_id, "raised") for alert_id in raised), context
    assert hooks.forged == 0


async def _count(worker: Worker, expected: int) -> bool:
    return len(await open_alerts(worker)) == expected


async def _acknowledged(worker: Worker, acked: set[str]) -> bool:
    return {row["alert_id"] for row in await open_alerts(worker)
            if row["state"] == "acknowledged"} == acked


async def _moved_and_forwarded(kafka: servers.Kafka) -> tuple[list[dict[str, Any]], list[str]]:
    """The alerts handed to a survivor, and the control ids of the ADT events a merged-away key
    forwarded to its survivor."""
    reader = TopicReader(kafka.bootstrap, ["care.alerts", EPISODE_TICKS])
    await reader.start()
    try:
        records = await reader.read_to_end(60)
    finally:
        await reader.stop()
    moved = [r for r in records["care.alerts"] if r.get("event") == "alert_moved"]
    forwarded = [str(r["follow"]["value"].get("control_id")) for r in records[EPISODE_TICKS]
                 if "follow" in r and r["follow"]["topic"] == EVENTS]
    return moved, forwarded
