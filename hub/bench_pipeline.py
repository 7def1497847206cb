"""``hub bench --pipeline``: from a discharge's AA to its first Twilio request, through every
stage of one ``hub worker`` on the production store (RocksDB), as a hospital's burst would meet it.

Three phases in one run, each with patients of its own: a **baseline** at a trickle (what one
discharge costs when nothing waits), the **load** at the target rate over 8 MLLP connections, and
the **capacity**: discharges sent as fast as the connections take them, texts per second out.
A warm-up discharge is texted first, untimed: the worker listens for MLLP before its group has
settled, and the first patients would otherwise time the start-up.
The first Twilio request of a patient is read on the broker: the worker writes the send's result
(``outreach.events``) as soon as the provider answered, and Twilio here is the worker's recording
stand-in (it answers at once; nothing is sent). Allowed hours hold: the worker's clock is set to
a Monday morning.

The pipeline bench writes fictional patients to the hub's own topics, so it needs a broker of its
own: without ``KAFKA_BOOTSTRAP_SERVERS`` it starts the embedded one (memory storage); a broker
given whose ``hl7.adt.raw`` already holds records is refused (a live hub would text them, and
a fresh worker group would read that history).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
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

from aiokafka import AIOKafkaConsumer

from hub.adapters.embedded_broker import EmbeddedBroker, free_port, stop_process, wait_for_port
from hub.adapters.kafka_topics import partitions_of
from hub.adapters.mllp_client import MllpClient
from hub.demo import start_worker
from hub.errors import BrokerUnavailable, ConfigError
from hub.feed import Person, adt
from hub.sendfiles import ack_summary
from hub.topic_names import OUTREACH_EVENTS, RAW
from hub.topic_reader import until

TARGET_P99_S = 1.0  # issue 9: discharge to first Twilio request, p99, at TARGET_RATE
TARGET_RATE = 200.0  # discharges a second on one worker
TARGET_SECONDS = 5.0  # of sustained load, at least, for a verdict
CONNECTIONS = 8
ZONE = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 23, 12, 0, tzinfo=ZONE)  # the worker's clock: allowed hours
# 555-01xx numbers reach nobody; a hundred per area code, all in the Eastern time zone (the
# patient's local hours decide when a text may go)
AREA_CODES = ("617", "508", "781", "978", "413", "339", "351", "774", "857", "203",
              "212", "202", "305", "404", "904", "813", "614", "718", "646", "347",
              "917", "201", "973", "908", "732", "215", "267", "412", "301", "410")
BASELINE = 50  # discharges of the baseline phase
WARM_UP = 1  # a discharge texted before any is timed: the worker's group has settled
MOST = (100 * len(AREA_CODES) - BASELINE - WARM_UP) // 2  # discharges a phase can have


@dataclass
class Phase:
    name: str
    people: list[Person]
    rate: float | None  # discharges a second; None: as fast as the connections go
    acked: dict[str, float]  # patient key -> wall time of its AA
    texted: dict[str, float]  # patient key -> wall time of its first provider request

    def latencies(self) -> list[float]:
        return sorted(self.texted[k] - at for k, at in self.acked.items() if k in self.texted)

    def texts_per_second(self) -> float:
        times = sorted(self.texted.values())
        return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")


def people(first: int, count: int) -> list[Person]:
    return [Person(f"9{n:05d}", "BENCH", f"PAT{n}", "19500101", "F",
                   f"({AREA_CODES[n // 100]}) 555-01{n % 100:02d}")
            for n in range(first, first + count)]


def key(person: Person) -> str:
    return f"GENHOSP|{person.mrn}"


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
    broker = worker = None
    keep = False  # the worker's log, when something went wrong
    try:
        if bootstrap is None:
            print("Starting the embedded broker for the pipeline bench ...", file=out, flush=True)
            broker = EmbeddedBroker.start(workdir / "broker.log")
            bootstrap, where = broker.bootstrap, "the embedded broker (Tansu, memory)"
        else:
            asyncio.run(_require_empty(bootstrap))
            where = f"Kafka at {bootstrap}"
        mllp_port = free_port()
        worker = start_worker(
            bootstrap, mllp_port, free_port(), workdir, HUB_STORE="rocksdb://",
            HUB_PARTITIONS="8", HUB_APP_ID=f"tcm-hub-bench-{uuid.uuid4().hex}",
            HUB_CLOCK_START=MONDAY.isoformat(),
            HUB_KAFKA_IDEMPOTENCE="true" if broker is None else "false",
            TWILIO_MAX_REQUESTS_PER_SECOND="0")  # the stand-in has no account limit to keep
        try:
            wait_for_port(mllp_port, worker, 120, "the hub worker")
        except (RuntimeError, TimeoutError) as exc:
            lines = (workdir / "worker.log").read_text(errors="replace").strip().splitlines()
            print(f"hub: bench: {exc}: {lines[-1] if lines else 'no output'}", file=sys.stderr)
            keep = True
            return 1
        first = WARM_UP + BASELINE
        phases = [Phase("warm-up", people(0, WARM_UP), None, {}, {}),
                  Phase("baseline", people(WARM_UP, BASELINE), 10.0, {}, {}),
                  Phase("load", people(first, discharges), rate, {}, {}),
                  Phase("capacity", people(first + discharges, discharges), None, {}, {})]
        complete = asyncio.run(_drive(bootstrap, mllp_port, phases))
        _report(phases[1:], where, rate, complete, out)
        if not complete:
            print(f"Not every patient was texted in time; worker log: {workdir / 'worker.log'}",
                  file=out)
            keep = True
            return 1
        return 0
    finally:
        if worker is not None:
            stop_process(worker)
        if broker is not None:
            broker.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


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


async def _drive(bootstrap: str, mllp_port: int, phases: list[Phase]) -> bool:
    owner = {key(p): phase for phase in phases for p in phase.people}
    done = asyncio.Event()
    reader = asyncio.ensure_future(_watch(bootstrap, owner, done))
    try:
        for phase in phases:
            await _feed(mllp_port, phase)
            if not await until(_all_texted(phase), 120):
                return False
        return True
    finally:
        done.set()
        await reader


def _all_texted(phase: Phase) -> Callable[[], bool]:
    return lambda: len(phase.texted) >= len(phase.people)


async def _feed(port: int, phase: Phase) -> None:
    discharged = MONDAY - timedelta(minutes=5)
    lanes = [phase.people[i::CONNECTIONS] for i in range(CONNECTIONS)]
    began = time.perf_counter()

    async def lane(number: int, patients: list[Person]) -> None:
        client = await MllpClient.connect("127.0.0.1", port)
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


async def _watch(bootstrap: str, owner: dict[str, Phase], done: asyncio.Event) -> None:
    """Each patient's first provider request, by the broker's timestamp of its result."""
    consumer = AIOKafkaConsumer(OUTREACH_EVENTS, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", metadata_max_age_ms=1000)
    await consumer.start()
    try:
        while not done.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    event = json.loads(record.value) if record.value else {}
                    phase = owner.get(event.get("patient_key", ""))
                    if phase is not None and event.get("kind") == "send_result" \
                            and event.get("status") == "sent":
                        phase.texted.setdefault(event["patient_key"], record.timestamp / 1000)
    finally:
        await consumer.stop()


def _report(phases: list[Phase], where: str, rate: float, complete: bool, out: TextIO) -> None:
    baseline, load, capacity = phases
    base, loaded = baseline.latencies(), load.latencies()
    print(f"Discharge to first Twilio request (one worker, rocksdb://, {where}; Twilio: the "
          f"recording stand-in):", file=out)
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
          f"({len(capacity.texted)} discharges sent as fast as {CONNECTIONS} connections go)",
          file=out)
