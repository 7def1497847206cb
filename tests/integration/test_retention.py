"""ADT-1's memory is bounded: a worker forgets the control ids received before the retention
(``HUB_RETENTION_DAYS``) with a tombstone on the ``adt-seen`` changelog, on the production store;
a resend of such an old message is processed again while a recent one stays a duplicate."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaConsumer

from hub.adapters.mllp_client import MllpClient
from hub.adapters.topic_reader import TopicReader
from hub.cli.feed import Person, adt
from hub.hl7.ack import ack_summary
from tests.integration import servers
from tests.integration.worker import start_worker

NY = ZoneInfo("America/New_York")
START = datetime(2026, 8, 3, 10, 0, tzinfo=NY)
LATER = START + timedelta(days=40)  # past a retention of 31 days
PATIENT = Person("880022", "IBARRA", "LUZ", "19480707", "F", "(617) 555-0142")
APP_ID = "tcm-hub-retention"
ENV = {"HUB_STORE": "rocksdb://", "HUB_RETENTION_DAYS": "31",
       "HUB_RETENTION_SWEEP_SECONDS": "1"}


def update(control_id: str, at: datetime) -> bytes:
    return adt("A08", PATIENT, control_id=control_id, at=at)


async def send_all(port: int, messages: list[bytes]) -> None:
    client = await MllpClient.connect("127.0.0.1", port)
    try:
        for message in messages:
            assert ack_summary(await client.send(message)).startswith("AA")
    finally:
        await client.close()


async def events_until(kafka: servers.Kafka, control_id: str) -> list[str]:
    """The control ids of the events on ``adt.events`` up to the one of ``control_id``; the
    patient's messages share a partition, so everything sent before it is there too."""
    reader = TopicReader(kafka.bootstrap, ["adt.events"])
    await reader.start()
    try:
        assert await reader.wait_until(lambda r: any(
            e["control_id"] == control_id for e in r["adt.events"]), timeout=90)
    finally:
        await reader.stop()
    return [e["control_id"] for e in reader.records["adt.events"]
            if e["control_id"].startswith("RTN")]


async def tombstone(kafka: servers.Kafka, control_id: str, timeout: float = 60) -> None:
    """Wait for the delete of ``control_id``'s dedupe entry on the table's changelog."""
    consumer = AIOKafkaConsumer(f"{APP_ID}-adt-seen-changelog", bootstrap_servers=kafka.bootstrap,
                                auto_offset_reset="earliest", group_id=None,
                                metadata_max_age_ms=1000)
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            async for record in consumer:
                if record.value is None and f"|{control_id}" in record.key.decode():
                    return
    finally:
        await consumer.stop()


async def test_a_control_id_past_the_retention_is_forgotten_and_a_recent_one_is_not(
        kafka: servers.Kafka, prism: servers.Prism, tmp_path: Path) -> None:
    """ADT-1: after the retention, the sweep deletes the old id (tombstone) and a resend of the
    old message gives a second event; the recent message resent stays one event."""
    first = start_worker(kafka, prism, tmp_path / "w", clock_start=START.isoformat(),
                         app_id=APP_ID, extra_env=ENV)
    try:
        await send_all(first.mllp_port, [update("RTN-OLD", START)])
        assert await events_until(kafka, "RTN-OLD") == ["RTN-OLD"]
    finally:
        first.stop()

    second = start_worker(kafka, prism, tmp_path / "w", clock_start=LATER.isoformat(),
                          app_id=APP_ID, extra_env=ENV)  # same RocksDB data, 40 days on
    try:
        await send_all(second.mllp_port, [update("RTN-NEW", LATER)])
        await tombstone(kafka, "RTN-OLD")
        await send_all(second.mllp_port, [update("RTN-OLD", START), update("RTN-NEW", LATER),
                                          update("RTN-END", LATER)])
        seen = await events_until(kafka, "RTN-END")
    finally:
        second.stop()
    assert seen.count("RTN-OLD") == 2, seen  # forgotten: processed again
    assert seen.count("RTN-NEW") == 1, seen  # within the retention: still a duplicate
    assert "dedupe.forgotten" in second.log.read_text(errors="replace")


pytestmark = pytest.mark.integration
