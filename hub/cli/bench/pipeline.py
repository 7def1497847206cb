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
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from hub.adapters.embedded_broker import EmbeddedBroker, free_port, stop_process, wait_for_port
from hub.adapters.kafka_topics import partitions_of
from hub.adapters.mllp_client import MllpClient
from hub.adapters.topic_reader import until
from hub.adapters.twilio_outbound import TwilioOutbound
from hub.adapters.twilio_standin import Created, TwilioStandIn
from hub.cli.demo.run import start_worker
from hub.cli.feed import Person, adt
from hub.clock import OffsetClock
from hub.config import TwilioSettings
from hub.domain.messages import OutreachCommand
from hub.errors import BrokerUnavailable, ConfigError
from hub.hl7.ack import ack_summary
from hub.topic_names import OUTREACH_COMMANDS, RAW

TARGET_P99_S = 1.0  # issue 9: discharge to first Twilio request, p99, at TARGET_RATE
TARGET_RATE = 200.0  # discharges a second on one worker
TARGET_SECONDS = 5.0  # of sustained load, at least, for a verdict
TARGET_SENDS = 500.0  # sends a second out of the outreach stage of one worker
RATE_LIMIT = 600  # the worker's configured Twilio limit (TWILIO_MAX_REQUESTS_PER_SECOND)
ACCOUNT = "AC" + "0" * 32  # the stand-in's account; the stand-in takes any credentials
FROM_NUMBER = "+16175550100"
CONNECTIONS = 8
ZONE = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 23, 12, 0, tzinfo=ZONE)  # the worker's clock: allowed hours
# 555-01xx numbers reach nobody; a hundred per area code, all in the Eastern time zone (the
# patient's local hours decide when a text may go)
AREA_CODES = ("617", "508", "781", "978", "413", "339", "351", "774", "857", "203",
              "212", "202", "305", "404", "904", "813", "614", "718", "646", "347",
              "917", "201", "973", "908", "732", "215", "267", "412", "301", "410",
              "216", "234", "248", "252", "260", "269", "272", "276", "302", "304",
              "313", "315", "321", "330", "336", "352", "386", "401", "407", "434",
              "440", "443", "470", "478", "484", "502", "513", "516", "518", "540")
BASELINE = 50  # discharges of the baseline phase
WARM_UP = 1  # a discharge texted before any is timed: the worker's group has settled
JOINED = 16  # discharges texted, untimed, once a second worker has joined the group
GROWN = 1.1  # two workers' capacity over one's, at least, for "grows with workers"
SATURATED = 0.95  # machine busy at least this share: no core left for another worker
MOST = (100 * len(AREA_CODES) - BASELINE - WARM_UP - JOINED) // 4  # patients a phase can have


@dataclass
class Phase:
    name: str
    people: list[Person]
    rate: float | None  # discharges a second; None: as fast as the connections go
    acked: dict[str, float]  # patient key -> wall time of its AA
    texted: dict[str, float]  # patient key -> wall time of its first provider request
    busy: float | None = None  # share of the machine's CPU time busy during the phase
    worker_cpu: float | None = None  # CPU seconds the workers used during the phase

    def latencies(self) -> list[float]:
        return sorted(self.texted[k] - at for k, at in self.acked.items() if k in self.texted)

    def texts_per_second(self) -> float:
        return per_second(list(self.texted.values()))

    def busiest_second(self) -> int:
        """The most first requests that arrived within any one second."""
        times, most, first = sorted(self.texted.values()), 0, 0
        for last, at in enumerate(times):
            while at - times[first] >= 1.0:
                first += 1
            most = max(most, last - first + 1)
        return most


def per_second(times: list[float]) -> float:
    times = sorted(times)
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")


def people(first: int, count: int) -> list[Person]:
    return [Person(f"9{n:05d}", "BENCH", f"PAT{n}", "19500101", "F",
                   f"({AREA_CODES[n // 100]}) 555-01{n % 100:02d}")
            for n in range(first, first + count)]


def key(person: Person) -> str:
    return f"GENHOSP|{person.mrn}"


def e164(person: Person) -> str:
    return "+1" + "".join(c for c in person.phone if c.isdigit())


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def run_pipeline_bench(bootstrap: str | None, *, discharges: int, rate: float,
                       out: TextIO) -> int:
    if not 1 <= discharges <= MOST:
        raise ConfigError(f"--discharges: expected 1 to {MOST}, got {discharges}")
    if not 0 < rate <= 10_000:
        raise ConfigError(f"--rate: expected discharges a second above 0, got {rate:g}")
    workdir = Path(tempfile.mkdtemp(prefix="tcm-hub-bench-"))
    broker, status = None, 1
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
        if status == 0 or not (workdir / "worker.log").exists():
            shutil.rmtree(workdir, ignore_errors=True)  # else the worker's log stays
    return status


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
            await asyncio.to_thread(wait_for_port, port, workers[-1], 120, "the hub worker")
            return port
        except (RuntimeError, TimeoutError) as exc:
            lines = (home / "worker.log").read_text(errors="replace").strip().splitlines()
            print(f"hub: bench: {exc}: {lines[-1] if lines else 'no output'}", file=sys.stderr)
            return None

    try:
        adapter_alone = await _adapter_alone(standin.url, discharges)
        if (port := await worker(workdir)) is None:
            return 1
        complete = await _drive(bootstrap, [port], phases[:5], workers)
        if complete and not embedded:
            if (second := await worker(workdir / "second")) is None:
                return 1
            complete = (await _group_settled(bootstrap, group, members=2)
                        and await _drive(bootstrap, [port, second], phases[5:], workers))
    finally:
        for started in workers:
            await asyncio.to_thread(stop_process, started)
        await standin.stop()
    _report(phases[1:], where, rate, adapter_alone, complete, embedded, out)
    if not complete:
        print(f"Not every patient was texted in time; worker log: {workdir / 'worker.log'}",
              file=out)
        return 1
    return 0


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
        before, used = cpu_times(), process_cpu(workers)
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
    return True


def process_cpu(processes: list[subprocess.Popen[bytes]]) -> float | None:
    """CPU seconds (user and system) these processes used so far (Linux; None elsewhere)."""
    try:
        seconds = 0.0
        for process in processes:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return seconds
    except (OSError, ValueError, IndexError):
        return None


def cpu_times() -> tuple[int, int] | None:
    """(busy, total) CPU time of the whole machine so far, in ticks (Linux; None elsewhere):
    a worker that cannot go faster because every core is taken says so."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle and waiting for I/O
    return sum(ticks) - idle, sum(ticks)


def machine(phase: Phase) -> str:
    if phase.busy is None:
        return ""
    return f"; the machine's {os.cpu_count()} cores {phase.busy:.0%} busy"


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


def _report(phases: list[Phase], where: str, rate: float, adapter_alone: float, complete: bool,
            embedded: bool, out: TextIO) -> None:
    baseline, load, capacity, outreach, _, two = phases
    base, loaded = baseline.latencies(), load.latencies()
    print(f"Discharge to first Twilio request (one worker, rocksdb://, {where}; Twilio: the "
          f"HTTP stand-in, limit {RATE_LIMIT}/s):", file=out)
    print(f"  baseline {baseline.rate:>5.0f}/s  p50 {percentile(base, 50):6.2f} s  "
          f"p99 {percentile(base, 99):6.2f} s   ({len(base)} discharges)", file=out)
    p99 = percentile(loaded, 99)
    if rate < TARGET_RATE or len(load.people) < TARGET_SECONDS * TARGET_RATE:
        verdict = (f"not judged (the target holds for {TARGET_SECONDS:.0f} s of load: "
                   f"--rate {TARGET_RATE:.0f} --discharges {TARGET_SECONDS * TARGET_RATE:.0f})")
    else:
        verdict = "met" if complete and p99 <= TARGET_P99_S else "NOT MET"
    print(f"  load     {rate:>5.0f}/s  p50 {percentile(loaded, 50):6.2f} s  p99 {p99:6.2f} s   "
          f"({len(loaded)} discharges; {p99 / percentile(base, 99):.1f} x the baseline's p99)",
          file=out)
    print(f"  target   p99 <= {TARGET_P99_S:.1f} s at {TARGET_RATE:.0f} discharges/s: {verdict}",
          file=out)
    print(f"  capacity {capacity.texts_per_second():>8.0f} texts/s end to end "
          f"({len(capacity.texted)} discharges sent as fast as {CONNECTIONS} connections go"
          f"{machine(capacity)})", file=out)
    sends, busiest = outreach.texts_per_second(), outreach.busiest_second()
    honoured = busiest <= RATE_LIMIT + 1  # evenly spaced: one more at a second's edge
    print(f"Outreach stage alone ({len(outreach.texted)} send commands on outreach.commands):",
          file=out)
    print(f"  stage    {sends:>8.0f} sends/s   (busiest second {busiest} requests: the "
          f"{RATE_LIMIT}/s limit {'honoured' if honoured else 'EXCEEDED'}{machine(outreach)})",
          file=out)
    print(f"  adapter alone {adapter_alone:>5.0f} sends/s   (the Twilio adapter to the same "
          f"stand-in, no Kafka; ratio {sends / adapter_alone:.2f})", file=out)
    if len(outreach.people) < 2 * TARGET_SENDS:
        verdict = (f"not judged (the target holds for 2 s of sends: --discharges "
                   f"{2 * TARGET_SENDS:.0f})")
    else:
        verdict = "met" if complete and honoured and sends >= TARGET_SENDS else "NOT MET"
    print(f"  target   >= {TARGET_SENDS:.0f} sends/s, the limit honoured: {verdict}", file=out)
    if embedded:
        print("Two workers in one group: measured on Kafka only (KAFKA_BOOTSTRAP_SERVERS); the "
              "embedded broker reports a changelog's end one short of the offsets it "
              "acknowledged, which a worker's RocksDB tables refuse at a rebalance", file=out)
        return
    grown = two.texts_per_second() / capacity.texts_per_second()
    if grown >= GROWN:
        verdict = "grows with workers"
    elif two.busy is not None and two.busy >= SATURATED:
        verdict = ("not judged: every core of this machine was busy (a second worker has no "
                   "core of its own here; compare the workers' CPU a text)")
    else:
        verdict = "does NOT grow with workers"
    print(f"Two workers in one group (the capacity phase again, {CONNECTIONS} connections over "
          f"both listeners):", file=out)
    print(f"  capacity {two.texts_per_second():>8.0f} texts/s end to end   ({grown:.2f} x one "
          f"worker's {capacity.texts_per_second():.0f}{machine(two)})", file=out)
    print(f"  workers' CPU a text  one worker {cost(capacity)}, two workers {cost(two)}",
          file=out)
    print(f"  target   throughput grows with workers (x {GROWN:.1f} or more): "
          f"{verdict if complete else 'NOT MET'}", file=out)


def cost(phase: Phase) -> str:
    if phase.worker_cpu is None or not phase.texted:
        return "unknown"
    return f"{1000 * phase.worker_cpu / len(phase.texted):.2f} ms"
