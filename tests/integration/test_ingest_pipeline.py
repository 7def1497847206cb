"""What reaches the worker's MLLP listener lands where a person can find it, on the real broker:
big messages and oversized frames, garbage and cut-off frames, a Latin-1 sender, a resend
(ADT-1, ADT-8, ADT-9)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.adapters.mllp_client import MllpClient
from hub.adapters.topic_reader import TopicReader
from hub.hl7.ack import ack_summary
from hub.hl7.mllp import START, frame
from tests.integration import servers
from tests.integration.worker import Worker, module_worker

NY = ZoneInfo("America/New_York")
CLOCK_START = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
APP_ID = "tcm-hub-ingest"


worker = module_worker(APP_ID, CLOCK_START)


def a08(control_id: str, mrn: str, *, name: str = "DOE^ANA", extra: str = "",
        msh_18: str = "UNICODE UTF-8", codec: str = "utf-8", application: str = "EPIC") -> bytes:
    """An A08 (demographics update: no episode is opened) for a patient of INGEST."""
    return (f"MSH|^~\\&|{application}|INGEST|HUB|HUB|20261123100000||ADT^A08^ADT_A01|"
            f"{control_id}|P|2.5||||||{msh_18}\rEVN|A08|20261123100000\r"
            f"PID|1||{mrn}^^^INGEST^MR||{name}||19600214|F\rPV1|1|I\r{extra}").encode(codec)


async def send(port: int, message: bytes) -> bytes:
    client = await MllpClient.connect("127.0.0.1", port)
    try:
        return await client.send(message)
    finally:
        await client.close()


Found = list[dict[str, Any]]


async def records(kafka: servers.Kafka, topic: str, done: Callable[[Found], bool],
                  timeout: float = 60) -> Found:
    """The records of ``topic`` once ``done(records)`` holds (consumed from the broker)."""
    reader = TopicReader(kafka.bootstrap, [topic])
    await reader.start()
    try:
        assert await reader.wait_until(lambda r: done(r[topic]), timeout=timeout)
    finally:
        await reader.stop()
    return reader.records[topic]


def with_id(control_id: str) -> Callable[[Found], bool]:
    return lambda found: any(r.get("control_id") == control_id for r in found)


async def test_a_900_kb_message_is_acked_kept_and_normalized(kafka: servers.Kafka,
                                                             worker: Worker) -> None:
    """ADT-9, nothing lost: a ~900 KB ADT (a long NTE) is over Kafka's 1 MB default once
    base64-encoded, yet it is ACKed AA, its exact bytes are on hl7.adt.raw and it normalizes."""
    big = a08("BIG0001", "880001", extra="NTE|1||" + "x" * 900_000 + "\r")
    assert ack_summary(await send(worker.mllp_port, big)) == "AA BIG0001"
    [kept] = [r for r in await records(kafka, "hl7.adt.raw", with_id("BIG0001"))
              if r["control_id"] == "BIG0001"]
    assert base64.b64decode(kept["raw_b64"]) == big
    await records(kafka, "adt.events", with_id("BIG0001"))


async def test_an_oversized_frame_is_answered_ae_and_its_first_mib_kept(
        kafka: servers.Kafka, worker: Worker) -> None:
    """ADT-8: a frame over the 1 MiB limit is answered AE (addressed from its MSH) and its first
    1 MiB, a record of ~1.4 MB, is kept in hl7.adt.rejected."""
    huge = a08("HUGE0001", "880002", extra="NTE|1||" + "x" * (1 << 20) + "\r")
    ack = ack_summary(await send(worker.mllp_port, huge))
    assert ack.startswith("AE HUGE0001") and "mllp_oversized" in ack, ack
    [kept] = [r for r in await records(kafka, "hl7.adt.rejected", with_id("HUGE0001"))
              if r["control_id"] == "HUGE0001"]
    assert base64.b64decode(kept["raw_b64"]) == huge[:1 << 20]
    assert kept["error"]["code"] == "mllp_oversized"


async def test_garbage_and_a_cut_off_frame_are_kept_in_rejected(kafka: servers.Kafka,
                                                                worker: Worker) -> None:
    """ADT-8: bytes outside a frame and a frame the sender never ended (connection closed) are
    kept with their bytes in hl7.adt.rejected; the good frame between them is ACKed AA."""
    garbage = b"NOT HL7 GARBAGE 880003"
    cut = a08("CUT0001", "880003")[:60]
    reader, writer = await asyncio.open_connection("127.0.0.1", worker.mllp_port)
    writer.write(garbage + frame(a08("GOOD0001", "880003")))
    await writer.drain()
    client = MllpClient(reader, writer)
    assert ack_summary(await client._next_frame()) == "AA GOOD0001"
    writer.write(START + cut)
    await writer.drain()
    await client.close()

    def both(found: Found) -> bool:
        data = [base64.b64decode(r["raw_b64"]) for r in found]
        return garbage in data and cut in data

    kept = {base64.b64decode(r["raw_b64"]): r["error"]["code"]
            for r in await records(kafka, "hl7.adt.rejected", both)}
    assert kept[garbage] == "mllp_garbage_before_start"
    assert kept[cut] == "mllp_unterminated"


async def test_a_latin1_sender_gets_its_ack_in_latin1_and_its_names_read_right(
        kafka: servers.Kafka, worker: Worker) -> None:
    """ADT-1: MSH-18 8859/1 with an accented sender and patient name: AA written in Latin-1
    (MSH-5 'ÉPIC' as the sender's bytes, MSH-18 echoed), and the event has the right name."""
    latin1 = a08("LAT0001", "880004", name="MUÑOZ^JOSÉ", msh_18="8859/1", codec="latin-1",
                 application="ÉPIC")
    ack = await send(worker.mllp_port, latin1)
    msh = ack.split(b"\r")[0].split(b"|")
    assert msh[4] == "ÉPIC".encode("latin-1") and msh[17] == b"8859/1"
    assert ack_summary(ack) == "AA LAT0001"
    [event] = [e for e in await records(kafka, "adt.events", with_id("LAT0001"))
               if e["control_id"] == "LAT0001"]
    assert (event["patient"]["family_name"], event["patient"]["given_name"]) == ("MUÑOZ", "JOSÉ")
    assert event["sending_application"] == "ÉPIC"


async def test_a_message_sent_twice_gives_one_event(kafka: servers.Kafka, worker: Worker) -> None:
    """ADT-1: the same bytes sent twice are both ACKed AA and kept, and produce exactly one
    adt.events record; a later message of the same patient (same partition, so processed
    after both) shows the resend was handled."""
    message = a08("DUP0001", "880005")
    assert ack_summary(await send(worker.mllp_port, message)) == "AA DUP0001"
    assert ack_summary(await send(worker.mllp_port, message)) == "AA DUP0001"
    assert ack_summary(await send(worker.mllp_port, a08("DUP0002", "880005"))) == "AA DUP0002"
    events = await records(kafka, "adt.events", with_id("DUP0002"))
    assert [e["control_id"] for e in events].count("DUP0001") == 1
    raw = await records(kafka, "hl7.adt.raw", lambda found: [
        r["control_id"] for r in found].count("DUP0001") >= 2)
    assert [r["control_id"] for r in raw].count("DUP0001") == 2
