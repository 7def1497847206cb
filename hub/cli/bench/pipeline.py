"""``hub bench --pipeline``: from a discharge's AA to its first Twilio request, through every
stage of one ``hub worker`` on the production store (RocksDB), as a hospital's burst would meet it.

Four phases in one run, each with patients of its own: a **baseline** at a trickle (what one
discharge costs when nothing waits), the **load** at the target rate over 8 MLLP connections,
the **capacity**: discharges sent as fast as the connections take them, texts per second out,
**outreach** alone: as many send commands written straight onto ``outreach.commands``, the
sends per second the stage makes under a configured Twilio rate limit, against the baseline of
the Twilio adapter alone sending to the same stand-in from the bench; and the capacity again
with a **second worker** in the group (the connections shared between the two listeners, as a
load balancer would), against the capacity of one (on Kafka only: the embedded broker's
changelog offsets do not survive a rebalance of RocksDB tables).
A warm-up discharge is texted first, untimed: the worker listens for MLLP before its group has
settled, and the first patients would otherwise time the start-up.
Twilio is the stand-in (``hub.adapters.twilio_standin``): a real HTTP server on loopback that
the worker's Twilio adapter talks to, which answers at once and sends nothing; a patient's first
Twilio request is timed as it arrives there. Allowed hours hold: the worker's clock (and the
stand-in's) reads a Monday noon.

The pipeline bench writes fictional patients to the hub's own topics, so it needs a broker of its
own: without ``KAFKA_BOOTSTRAP_SERVERS`` it starts the embedded one (memory storage); a broker
given whose ``hl7.adt.raw`` already holds records is refused (a live hub would text them, and
a fresh worker group would read that history).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from hub.adapters.embedded_broker import EmbeddedBroker, NotStarted, free_port, stop_process
from hub.adapters.kafka_topics import partitions_of
from hub.adapters.mllp_client import MllpClient
from hub.adapters.topic_reader import until
from hub.adapters.twilio_outbound import TwilioOutbound
from hub.adapters.twilio_standin import Created, TwilioStandIn
from hub.cli.bench.phases import (
    AREA_CODES,
    CONNECTIONS,
    RATE_LIMIT,
    ZONE,
    Phase,
    cpu_times,
    e164,
    key,
    people,
    per_second,
    process_cpu,
)
from hub.cli.bench.report import report
from hub.cli.demo.run import start_worker, worker_listening
from hub.cli.feed import Person, adt
from hub.clock import OffsetClock
from hub.config import TwilioSettings
from hub.domain.messages import OutreachCommand
from hub.errors import BrokerUnavailable, ConfigError
from hub.hl7.ack import ack_summary
from hub.topic_names import OUTREACH_COMMANDS, RAW

ACCOUNT = "AC" + "0" * 32  # the stand-in's account; the stand-in takes any credentials
FROM_NUMBER = "+16175550100"
MONDAY = datetime(2026, 11, 23, 12, 0, tzinfo=ZONE)  # the worker's clock: allowed hours
BASELINE = 50  # discharges of the baseline phase
WARM_UP = 1  # a discharge texted before any is timed: the worker's group has settled
JOINED = 16  # discharges texted, untimed, once a second worker has joined the group
KEEP_LOGS = 2  # a run that could not text everyone: its worker's log stays for a person
MOST = (100 * len(AREA_CODES) - BASELINE - WARM_UP - JOINED) // 4  # patients a phase can have


def run_pipeline_bench(bootstrap: str | None, *, discharges: int, rate: float,
                       out: TextIO) -> int:
    if not 1 <= discharges <= MOST:
        raise ConfigError(f"--discharges: expected 1 to {MOST}, got {discharges}")
    if not 0 < rate <= 10_000:
        raise ConfigError(f"--rate: expected discharges a second above 0, got {rate:g}")
    workdir = Path(tempfile.mkdtemp(prefix="tcm-hub-bench-"))
    broker, status = None, KEEP_LOGS
    try:
        if bootstrap is None:
            print("Starting the embedded broker for the pipeline bench ...", file=out, flush=True)
            broker = EmbeddedBroker.start(workdir / "broker.log")
            bootstrap, where = broker.bootstrap, "the embedded broker (Tansu, memory)"
        else:
            asyncio.run(_require_empty(bootstrap))
            where = f"Kafka at {bootstrap}"
        status = asyncio.run(_bench(bootstrap, broker is not None, where, workdir,
                                    discharges, rate, out))
    finally:
        if broker is not None:
            broker.stop()
        if status != KEEP_LOGS or not (workdir / "worker.log").exists():
            shutil.rmtree(workdir, ignore_errors=True)  # else the worker's log stays
    return 1 if status else 0


async def _bench(bootstrap: str, embedded: bool, where: str, workdir: Path, discharges: int,
                 rate: float, out: TextIO) -> int:
    first = WARM_UP + BASELINE
    phases = [Phase("warm-up", people(0, WARM_UP), None, {}, {}),
              Phase("baseline", people(WARM_UP, BASELINE), 10.0, {}, {}),
              Phase("load", people(first, discharges), rate, {}, {}),
              Phase("capacity", people(first + discharges, discharges), None, {}, {}),
              Phase("outreach", people(first + 2 * discharges, discharges), None, {}, {}),
              Phase("joined", people(first + 3 * discharges, JOINED), None, {}, {}),
              Phase("two workers", people(first + 3 * discharges + JOINED, discharges), None,
                    {}, {})]
    owner = {e164(p): (phase, key(p)) for phase in phases for p in phase.people}

    def arrived(created: Created) -> None:  # a patient's first Twilio request, timed
        if created.to in owner:
            phase, patient = owner[created.to]
            phase.texted.setdefault(patient, time.time())

    standin = TwilioStandIn(OffsetClock(MONDAY).now, on_create=arrived)
    await standin.start()
    group = f"tcm-hub-bench-{uuid.uuid4().hex}"
    workers: list[subprocess.Popen[bytes]] = []

    async def worker(home: Path) -> int | None:
        """Start one more worker of the group; its MLLP port once it listens."""
        home.mkdir(exist_ok=True)
        port = free_port()
        workers.append(start_worker(
            bootstrap, port, free_port(), home, HUB_STORE="rocksdb://",
            HUB_PARTITIONS="8", HUB_APP_ID=group, HUB_CLOCK_START=MONDAY.isoformat(),
            HUB_KAFKA_IDEMPOTENCE="true" if not embedded else "false",
            HUB_SENDER="twilio", TWILIO_API_URL=standin.url, TWILIO_ACCOUNT_SID=ACCOUNT,
            TWILIO_FROM_NUMBER=FROM_NUMBER, TWILIO_MAX_REQUESTS_PER_SECOND=str(RATE_LIMIT)))
        try:
            await asyncio.to_thread(worker_listening, port, workers[-1], home)
            return port
        except NotStarted as exc:
            print(f"hub: bench: {exc}", file=sys.stderr)
            return None

    try:
        adapter_alone = await _adapter_alone(standin.url, discharges)
        if (port := await worker(workdir)) is None:
            return KEEP_LOGS
        complete = await _drive(bootstrap, [port], phases[:5], workers)
        if complete and not embedded:
            if (second := await worker(workdir / "second")) is None:
                return KEEP_LOGS
            complete = (await _group_settled(bootstrap, group, members=2)
                        and await _drive(bootstrap, [port, second], phases[5:], workers))
    finally:
        for started in workers:
            await asyncio.to_thread(stop_process, started)
        await standin.stop()
    missed = report(phases[1:], where, rate, adapter_alone, complete, embedded, out)
    if not complete:
        print(f"Not every patient was texted in time; worker log: {workdir / 'worker.log'}",
              file=out)
        return KEEP_LOGS
    if missed:
        print(f"Pipeline targets not met: {', '.join(missed)}", file=out)
    return 1 if missed else 0


async def _adapter_alone(url: str, count: int) -> float:
    """Sends a second of the Twilio adapter alone to the stand-in, as many at once as the
    stage may have (the baseline of the outreach phase); to numbers no phase uses."""
    adapter = TwilioOutbound(TwilioSettings(ACCOUNT, "bench", FROM_NUMBER, None, url, None))
    gate, times = asyncio.Semaphore(64), []

    async def one(n: int) -> None:
        async with gate:
            await adapter.send_sms(f"+1617555{n % 100:02d}{n // 100:02d}", "Bench",
                                   status_callback=None)
            times.append(time.perf_counter())

    try:
        await asyncio.gather(*(one(n) for n in range(count)))
    finally:
        await adapter.close()
    return per_second(times)


async def _require_empty(bootstrap: str) -> None:
    partitions = await partitions_of(bootstrap, [RAW])
    if partitions is None:
        raise BrokerUnavailable(f"no Kafka broker answers at {bootstrap} "
                                "(KAFKA_BOOTSTRAP_SERVERS)")
    held = 0
    if partitions:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                    enable_auto_commit=False)
        await consumer.start()
        try:
            ends = await consumer.end_offsets(partitions)
            starts = await consumer.beginning_offsets(partitions)
        finally:
            await consumer.stop()
        held = sum(ends[tp] - starts[tp] for tp in partitions)
    if held:
        raise ConfigError(
            f"the pipeline bench needs a broker of its own: {RAW} at {bootstrap} already holds "
            f"{held} records (unset KAFKA_BOOTSTRAP_SERVERS to use the embedded broker)")


async def _group_settled(bootstrap: str, group: str, *, members: int) -> bool:
    """Wait until the workers' group is stable with ``members`` members (the rebalance the
    newcomer started is over), so the phase after it times work, not a rebalance."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for response in await admin.describe_consumer_groups([group]):
                for described in response.groups:  # (error, group, state, type, protocol, members)
                    if described[2] == "Stable" and len(described[5]) == members:
                        return True
            await asyncio.sleep(0.5)  # polling the group's state, re-checked
        return False
    finally:
        await admin.close()


async def _drive(bootstrap: str, ports: list[int], phases: list[Phase],
                 workers: list[subprocess.Popen[bytes]]) -> bool:
    for phase in phases:
        before, used, began = cpu_times(), process_cpu(workers), time.monotonic()
        if phase.name == "outreach":
            await _commands(bootstrap, phase)
        else:
            await _feed(ports, phase)
        if not await until(_all_texted(phase), 120):
            return False
        after, now_used = cpu_times(), process_cpu(workers)
        if before is not None and after is not None and after[1] > before[1]:
            phase.busy = (after[0] - before[0]) / (after[1] - before[1])
        if used is not None and now_used is not None:
            phase.worker_cpu = now_used - used
        phase.seconds = time.monotonic() - began
    return True


async def _commands(bootstrap: str, phase: Phase) -> None:
    """One welcome text a patient, written straight onto ``outreach.commands`` (keyed by
    phone, as the episodes stage writes them): the outreach stage alone."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        sent = []
        for person in phase.people:
            command = OutreachCommand(
                command_id=f"BENCH{person.mrn}:welcome", episode_id=f"BENCH{person.mrn}",
                patient_key=key(person), step="welcome", channel="sms", to=e164(person),
                template="welcome", language="en",
                body="Riverside Primary Care: welcome home. Reply 1 if you need help.",
                not_before=MONDAY - timedelta(minutes=1), expires_at=MONDAY + timedelta(days=2),
                zone=str(ZONE), facility="GENHOSP", window_end=MONDAY + timedelta(days=30))
            sent.append(await producer.send(OUTREACH_COMMANDS, json.dumps(
                command.to_dict()).encode(), key=command.to.encode()))
            phase.acked[key(person)] = time.time()
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def _all_texted(phase: Phase) -> Callable[[], bool]:
    return lambda: len(phase.texted) >= len(phase.people)


async def _feed(ports: list[int], phase: Phase) -> None:
    discharged = MONDAY - timedelta(minutes=5)
    lanes = [phase.people[i::CONNECTIONS] for i in range(CONNECTIONS)]
    began = time.perf_counter()

    async def lane(number: int, patients: list[Person]) -> None:
        client = await MllpClient.connect("127.0.0.1", ports[number % len(ports)])
        try:
            for index, person in enumerate(patients):
                if phase.rate is not None:  # pacing: the n-th discharge leaves at n / rate
                    due = began + (number + CONNECTIONS * index) / phase.rate
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                message = adt("A03", person, control_id=f"BENCH{person.mrn}", at=discharged,
                              disposition="01", discharged_to="HOME",
                              admit_at=discharged - timedelta(days=3), discharge_at=discharged)
                if ack_summary(await client.send(message)).startswith("AA"):
                    phase.acked[key(person)] = time.time()
        finally:
            await client.close()

    await asyncio.gather(*(lane(n, patients) for n, patients in enumerate(lanes)))


