"""What the crash tests share: a world clock, a feed of discharges over MLLP that behaves as a
hospital's engine does (resend until AA, to whichever listener is up), and the checks that the
stages have settled (every input offset committed to the end of its topic)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiokafka import AIOKafkaConsumer

from hub.adapters.kafka_topics import partitions_of
from hub.adapters.mllp_client import MllpClient
from hub.adapters.topic_reader import TopicReader
from hub.cli.feed import Person, adt
from hub.hl7.ack import ack_summary
from hub.topic_names import STAGE_INPUTS  # settled when the group committed each to its end
from tests.integration.worker import API_TOKEN, Worker

NY = ZoneInfo("America/New_York")
AREAS = ("617", "508", "781", "978", "413")  # 555-01xx: numbers that reach nobody
STALLED = 300.0  # seconds a feed may go without reaching its count before the test fails


@dataclass
class World:
    """The clock the workers are started from and the Twilio stand-in stamps with: real time
    from ``start``, plus jumps the test makes (a restarted worker finds its sends left in
    flight old enough to be reconciled at once, as a worker restarted minutes later would)."""

    start: datetime
    _origin: float = field(default_factory=time.monotonic)
    _jumped: timedelta = timedelta(0)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._origin) + self._jumped

    def jump(self, by: timedelta) -> None:
        self._jumped += by


def patients(count: int) -> list[Person]:
    return [Person(f"8{n:05d}", "CRASHTEST", f"PAT{n}", "19500101", "F",
                   f"({AREAS[n // 100]}) 555-01{n % 100:02d}") for n in range(count)]


def e164(person: Person) -> str:
    return "+1" + "".join(ch for ch in person.phone if ch.isdigit())


def key(person: Person) -> str:
    return f"GENHOSP|{person.mrn}"


def discharges(people: Sequence[Person], at: datetime) -> list[tuple[str, bytes]]:
    return [(f"CR{p.mrn}", adt("A03", p, control_id=f"CR{p.mrn}", at=at, disposition="01",
                               discharged_to="HOME", admit_at=at - timedelta(days=3),
                               discharge_at=at)) for p in people]


@dataclass
class Listeners:
    """Where the MLLP listeners are now; ``up`` is clear while the test restarts one."""

    ports: list[int]
    up: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.up.set()


@dataclass
class Restarted:
    """The one worker a crash test SIGKILLs and starts again (``start``: on its own data),
    and the listener the feed sends to, held back while the worker is away."""

    start: Callable[[], Worker]
    worker: Worker = field(init=False)
    listeners: Listeners = field(init=False)
    restarts: int = 0

    def __post_init__(self) -> None:
        self.worker = self.start()
        self.listeners = Listeners([self.worker.mllp_port])

    async def kill_and_restart(self) -> None:
        self.listeners.up.clear()
        self.worker.kill()
        self.restarts += 1
        self.worker = await asyncio.to_thread(self.start)
        self.listeners.ports[:] = [self.worker.mllp_port]
        self.listeners.up.set()


@dataclass
class Feed:
    acked: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)  # AA / AE / AR / no answer
    progress: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def send_all(self, listeners: Listeners, messages: Sequence[tuple[str, bytes]],
                       lane: int) -> None:
        """One connection's share, in order; each message resent until it is AA'd (for at
        most ``STALLED`` seconds each: then the test fails instead of waiting for ever)."""
        client: MllpClient | None = None
        loop = asyncio.get_running_loop()
        for control_id, raw in messages:
            gives_up = loop.time() + STALLED
            while True:
                if loop.time() > gives_up:
                    raise TimeoutError(f"{control_id} not AA'd in {STALLED:.0f} s of resending "
                                       f"({dict(self.answers)})")
                await listeners.up.wait()
                port = listeners.ports[lane % len(listeners.ports)]
                try:
                    if client is None:
                        client = await MllpClient.connect("127.0.0.1", port, timeout=5)
                    summary = ack_summary(await client.send(raw, timeout=30))
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ConnectionError):
                    self.answers["no answer"] += 1
                    client = await _drop(client)
                    await asyncio.sleep(0.2)  # an engine's resend interval, not synchronization
                    continue
                self.answers[summary[:2]] += 1
                if summary.startswith("AA"):
                    async with self.progress:
                        self.acked[control_id] += 1
                        self.progress.notify_all()
                    break
                await asyncio.sleep(0.2)  # AR: resend after the engine's interval
        await _drop(client)

    async def reached(self, count: int, timeout: float = STALLED) -> None:
        """Until ``count`` messages were AA'd; a TimeoutError (the test fails, naming how far
        the feed got) rather than a wait for ever when no listener answers any more."""
        async def wait() -> None:
            async with self.progress:
                await self.progress.wait_for(lambda: len(self.acked) >= count)

        try:
            await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise TimeoutError(f"the feed stalled at {len(self.acked)} of {count} AA'd "
                               f"({dict(self.answers)})") from None


async def _drop(client: MllpClient | None) -> None:
    if client is not None:
        with contextlib.suppress(OSError, ConnectionError):
            await client.close()


async def settled(bootstrap: str, group: str, timeout: float) -> bool:
    """True once the group has committed every partition of every stage input to its end
    (nothing left to process, nothing left to redeliver); False after ``timeout`` seconds."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            partitions = await partitions_of(bootstrap, STAGE_INPUTS)  # fresh metadata
            assert partitions, "no stage topic on the broker (or no broker): nothing checked"
            ends = await consumer.end_offsets(partitions)
            lagging = False
            for tp in partitions:
                if ends[tp] and (await consumer.committed(tp) or 0) < ends[tp]:
                    lagging = True
                    break
            if not lagging:
                return True
            await asyncio.sleep(0.5)  # polling the group's offsets: a condition, re-checked
        return False
    finally:
        await consumer.stop()


TRAIL = ("hl7.adt.raw", "adt.events", "outreach.commands", "outreach.events")


async def where_stopped(bootstrap: str, group: str, people: Sequence[Person]) -> str:
    """For a failure message: how far each of ``people`` got through the stages (which
    topics hold a record of theirs, at which partition and offset, and what the group has
    committed there), so a loss can be placed between two stages."""
    marks = {key(p): p for p in people} | {e164(p): p for p in people}
    found: dict[str, dict[str, str]] = {key(p): {} for p in people}
    consumer = AIOKafkaConsumer(*TRAIL, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    admin = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                             enable_auto_commit=False)
    await consumer.start()
    await admin.start()
    try:
        while batches := await consumer.getmany(timeout_ms=2000):
            for tp, records in batches.items():
                committed = await admin.committed(tp)
                for record in records:
                    text = (record.key or b"").decode(errors="replace") + (
                        record.value or b"").decode(errors="replace")
                    for mark, person in marks.items():
                        if mark in text:
                            found[key(person)].setdefault(
                                tp.topic, f"p{tp.partition}@{record.offset} (committed "
                                f"{committed})")
    finally:
        await consumer.stop()
        await admin.stop()
    counts = {topic: sum(topic in trail for trail in found.values()) for topic in TRAIL}
    lines = [f"of {len(people)}: " + ", ".join(f"{t} {n}" for t, n in counts.items())]
    lines += [f"{k}: {trail}" for k, trail in list(found.items())[:8]]
    return "\n".join(lines)


async def episodes_listed(web_port: int) -> list[dict[str, Any]]:
    """``GET /episodes`` as the care team calls it: gathered from every worker."""
    url = f"http://127.0.0.1:{web_port}/episodes?limit=1000"
    async with aiohttp.ClientSession() as session:
        response = await session.get(url, headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert response.status == 200, await response.text()
        return list((await response.json())["episodes"])


async def sent_results(bootstrap: str, person: Person, timeout: float) -> set[str | None]:
    """The provider SIDs of the "sent" results recorded for ``person``, once there is one."""
    def sent(records: dict[str, list[dict[str, Any]]]) -> set[str | None]:
        return {e.get("provider_sid") for e in records["outreach.events"]
                if e.get("status") == "sent" and e["patient_key"] == key(person)}

    reader = TopicReader(bootstrap, ["outreach.events"])
    await reader.start()
    try:
        await reader.wait_until(lambda r: bool(sent(r)), timeout=timeout)
    finally:
        await reader.stop()
    return sent(reader.records)


@dataclass
class HeldCalls:
    """Makes the Twilio stand-in take a message to ``phone`` (any phone if None) and then not
    answer until the test lets it go: a call held, or a provider that hangs."""

    phone: str | None = None
    taken: asyncio.Event = field(default_factory=asyncio.Event)
    let_go: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, created: Any) -> None:
        if self.phone is None or created.to == self.phone:
            self.taken.set()
            await self.let_go.wait()
