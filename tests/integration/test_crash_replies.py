"""Issue 9, the return path across a crash: patients' replies reach a worker on RocksDB that is
SIGKILLed while the webhooks arrive and again while the answers go out, each time restarted on
its own data. Every STOP is honoured and confirmed exactly once (MSG-2), every urgent reply
reaches the care team exactly once (§5), and a webhook Twilio delivers again changes nothing.

Twilio's side is played by the test: a webhook the hub did not answer 200 (503, or no answer
from a dead worker) is delivered again, as Twilio's retries do; some that were answered 200 are
delivered again too."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from hub.adapters.mllp_client import MllpClient
from hub.adapters.topic_reader import TopicReader, until
from hub.adapters.twilio_standin import TwilioStandIn
from hub.adapters.twilio_webhooks import SignatureChecker
from hub.hl7.ack import ack_summary
from tests.integration import servers
from tests.integration.crash_harness import (
    STALLED,
    World,
    discharges,
    e164,
    key,
    patients,
    settled,
)
from tests.integration.test_crash import (
    DISCHARGED,
    SEED,
    kafka,
    start,
    twilio,
    worker_env,
)
from tests.integration.worker import AUTH_TOKEN, Worker

__all__ = ["kafka", "twilio"]  # the crash module's own broker and stand-in fixtures
PATIENTS = 40


async def deliver(worker: Worker, phone: str, body: str, sid: str) -> bool:
    """One inbound SMS webhook as Twilio posts it, signed; True when the hub answered 200."""
    url = f"http://127.0.0.1:{worker.web_port}/twilio/sms"
    form = {"From": phone, "To": "+16175550100", "Body": body, "MessageSid": sid}
    signature = SignatureChecker(AUTH_TOKEN, None).sign(url, form)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
            answer = await session.post(url, data=form,
                                        headers={"X-Twilio-Signature": signature})
            return answer.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False  # the worker is gone: Twilio delivers it again later


async def discharge_all(worker: Worker, messages: list[tuple[str, bytes]]) -> None:
    client = await MllpClient.connect("127.0.0.1", worker.mllp_port)
    try:
        for _, raw in messages:
            assert ack_summary(await client.send(raw)).startswith("AA")
    finally:
        await client.close()


async def alerts_of(kafka: servers.Kafka, done: Any) -> list[dict[str, Any]]:
    reader = TopicReader(kafka.bootstrap, ["care.alerts"])
    await reader.start()
    try:
        assert await reader.wait_until(lambda r: done(r["care.alerts"]), timeout=120)
    finally:
        await reader.stop()
    return reader.records["care.alerts"]


async def test_stops_and_urgent_replies_survive_a_worker_killed_among_them(
        kafka: servers.Kafka, prism: servers.Prism, twilio: TwilioStandIn,
        tmp_path: Path) -> None:
    """MSG-2, §5: half the patients answer STOP, half answer "1" (call me). The worker is
    killed after a random webhook it answered 200, and again once some confirmations are out."""
    rng = random.Random(SEED)
    world = World(DISCHARGED.replace(hour=10, minute=0))
    twilio.now = world.now
    people = patients(PATIENTS)
    stoppers, callers = people[::2], people[1::2]
    app_id, env = f"tcm-hub-replies-crash-{SEED}", worker_env(twilio, "rocksdb://")
    workdir = tmp_path / "worker"
    worker = start(kafka, prism, workdir, world, app_id, env)
    kill_after = rng.randrange(3, PATIENTS - 3)  # webhooks answered 200 before the first kill
    confirmations_kill = rng.randrange(1, len(stoppers) - 2)
    context = (f"seed {SEED} (HUB_CRASH_SEED): killed after webhook {kill_after}, then after "
               f"{confirmations_kill} confirmations")
    try:
        await discharge_all(worker, discharges(people, DISCHARGED))
        assert await until(lambda: len(twilio.texts_to()) == PATIENTS, timeout=90), context

        replies = [(e164(p), "STOP" if p in stoppers else "1", f"SM{n:032x}")
                   for n, p in enumerate(people)]
        rng.shuffle(replies)
        answered: Counter[str] = Counter()
        for n, (phone, body, sid) in enumerate(replies):
            answered[sid] += await deliver(worker, phone, body, sid)
            if n + 1 == kill_after:
                worker.kill()
                worker = start(kafka, prism, workdir, world, app_id, env)
        loop = asyncio.get_running_loop()
        for phone, body, sid in replies:  # Twilio's retries, and a few repeats of good ones
            gives_up = loop.time() + STALLED  # a worker that never answers fails the test
            while not answered[sid] or (rng.random() < 0.2 and answered[sid] == 1):
                assert loop.time() < gives_up, f"{sid} never answered 200; {context}"
                answered[sid] += await deliver(worker, phone, body, sid)
                await asyncio.sleep(0.1 if not answered[sid] else 0)  # retry interval

        welcomed = PATIENTS
        assert await until(lambda: len(twilio.messages) >= welcomed + confirmations_kill,
                           timeout=90), context
        worker.kill()
        worker = start(kafka, prism, workdir, world, app_id, env)
        assert await until(lambda: len(twilio.messages) >= welcomed + len(stoppers),
                           timeout=120), f"{len(twilio.messages)} texts; {context}"
        keys_stopped = {key(p) for p in stoppers}
        keys_calling = {key(p) for p in callers}
        alerts = await alerts_of(kafka, lambda records: (
            keys_stopped <= {a["patient_key"] for a in records
                             if a["kind"] == "patient_opted_out"}
            and keys_calling <= {a["patient_key"] for a in records
                                 if a["kind"] == "urgent_reply"}))
        assert await settled(kafka.bootstrap, app_id, timeout=120), context
    finally:
        worker.stop()

    texts = twilio.texts_to()
    wrong = {p.phone: texts[e164(p)] for p in stoppers if texts[e164(p)] != 2}
    assert not wrong, f"STOP: welcome + one confirmation expected, got {wrong}; {context}"
    wrong = {p.phone: texts[e164(p)] for p in callers if texts[e164(p)] != 1}
    assert not wrong, f"'1': the welcome only, got {wrong}; {context}"
    for kind, group in (("patient_opted_out", stoppers), ("urgent_reply", callers)):
        raised: dict[str, set[tuple[str, int]]] = {}
        for alert in alerts:
            if alert["kind"] == kind:
                raised.setdefault(alert["patient_key"], set()).add(
                    (alert["alert_id"], alert.get("revision", 1)))
        assert {k for k, ids in raised.items() if len(ids) == 1} == {key(p) for p in group}, (
            f"{kind}: {[(k, ids) for k, ids in raised.items() if len(ids) != 1][:5]}; "
            f"{context}")
