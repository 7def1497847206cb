"""Ingest: keep, then acknowledge (ADT-9), with the in-memory broker fake."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from hub.clock import FixedClock
from hub.hl7.mllp import FramingProblem
from hub.ingestor import Ingestor, MemorySink

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
A03 = b"MSH|^~\\&|EPIC|GEN|HUB|HUB|20260101||ADT^A03^ADT_A03|MSG1|P|2.5\rPID|1||7^^^G^MR\r"


async def test_accepted_message_is_on_the_raw_topic_before_aa() -> None:
    """ADT-9: AA only after the write; the record keeps the exact bytes and the patient key."""
    sink = MemorySink([])
    result = await Ingestor(sink, FixedClock(NOW)).ingest(A03, transport="mllp", peer="10.0.0.1:5")
    assert result.ack_code == "AA" and result.topic == "hl7.adt.raw"
    [(topic, key, record)] = sink.records
    assert (topic, key) == ("hl7.adt.raw", "G|7")
    assert base64.b64decode(record["raw_b64"]) == A03 and record["control_id"] == "MSG1"


async def test_broker_down_means_ar_and_nothing_claimed_kept() -> None:
    """ADT-9: broker unavailable -> AR (the sender resends), never AA."""
    result = await Ingestor(MemorySink([], down=True), FixedClock(NOW)).ingest(
        A03, transport="mllp", peer=None)
    assert result.ack_code == "AR" and result.topic is None
    assert b"MSA|AR|MSG1" in result.ack


async def test_wrong_message_type_is_kept_in_rejected_and_answered_ar() -> None:
    """ADT-9: an unsupported MSH-9 is AR, and the message is still kept for a person."""
    sink = MemorySink([])
    oru = A03.replace(b"ADT^A03^ADT_A03", b"ORU^R01")
    result = await Ingestor(sink, FixedClock(NOW)).ingest(oru, transport="http", peer=None)
    assert result.ack_code == "AR"
    [(topic, _key, record)] = sink.records
    assert topic == "hl7.adt.rejected" and record["error"]["code"] == "unsupported_message_type"


async def test_unreadable_message_is_kept_and_answered_ae() -> None:
    """Bad input: no MSH at all is an AE, and the bytes are kept in hl7.adt.rejected."""
    sink = MemorySink([])
    result = await Ingestor(sink, FixedClock(NOW)).ingest(b"hello", transport="mllp", peer=None)
    assert result.ack_code == "AE" and sink.records[0][0] == "hl7.adt.rejected"


async def test_oversized_frame_is_answered_ae_and_its_head_kept() -> None:
    """ADT-8: an oversized frame gets an AE addressed from its header; its first bytes are kept."""
    sink = MemorySink([])
    problem = FramingProblem("oversized", "frame over the 100-byte limit", A03[:100])
    result = await Ingestor(sink, FixedClock(NOW)).ingest_problem(problem, transport="mllp",
                                                                  peer=None)
    assert result is not None and result.ack_code == "AE" and b"MSA|AE|MSG1" in result.ack
    assert sink.records[0][2]["error"]["code"] == "mllp_oversized"


async def test_garbage_between_frames_is_kept_without_an_answer() -> None:
    """ADT-8: bytes outside a frame are kept; there is no message to answer."""
    sink = MemorySink([])
    problem = FramingProblem("garbage_before_start", "5 bytes", b"hello")
    assert await Ingestor(sink, FixedClock(NOW)).ingest_problem(
        problem, transport="mllp", peer=None) is None
    assert sink.records[0][0] == "hl7.adt.rejected"


async def test_a_bench_ingestor_keeps_out_of_the_live_topics() -> None:
    """``hub bench``: its own topics, so benchmark messages never reach hl7.adt.raw."""
    sink = MemorySink([])
    ingestor = Ingestor(sink, FixedClock(NOW), raw_topic="bench.raw", rejected_topic="bench.bad")
    await ingestor.ingest(A03, transport="mllp", peer=None)
    await ingestor.ingest(b"hello", transport="mllp", peer=None)
    assert [topic for topic, _key, _record in sink.records] == ["bench.raw", "bench.bad"]


async def test_enhanced_mode_answers_only_what_msh_15_asks_for() -> None:
    """ADT-9: MSH-15 NE keeps the message but asks for no commit ACK; ER answers only errors."""
    sink = MemorySink([])
    ingestor = Ingestor(sink, FixedClock(NOW))
    never = A03.replace(b"|P|2.5\r", b"|P|2.5|||NE|AL\r")
    result = await ingestor.ingest(never, transport="mllp", peer=None)
    assert (result.ack_code, result.topic, result.reply) == ("AA", "hl7.adt.raw", False)
    errors_only = A03.replace(b"|P|2.5\r", b"|P|2.5|||ER|AL\r").replace(b"ADT^A03", b"ORU^R01")
    result = await ingestor.ingest(errors_only, transport="mllp", peer=None)
    assert result.reply and b"MSA|CR|MSG1" in result.ack
    assert len(sink.records) == 2
