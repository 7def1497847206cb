"""Ingest: keep, then acknowledge (ADT-9), with the in-memory broker fake."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
import structlog

from hub.clock import FixedClock
from hub.hl7.mllp import FramingProblem
from hub.services.ingest import Ingestor, MemorySink

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
PV1 = ["PV1", "1", "I", *[""] * 33, "01", "HOME", *[""] * 6, "20261120080000", "20261123093000"]
A03 = "\r".join(["MSH|^~\\&|EPIC|GEN|HUB|HUB|20260101||ADT^A03^ADT_A03|MSG1|P|2.5", "EVN|A03",
                 "PID|1||7^^^G^MR||DOE^ANA", "|".join(PV1), ""]).encode()


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


async def test_a_message_not_stored_is_answered_even_when_msh_15_asked_for_no_ack() -> None:
    """ADT-9: with the broker down, an NE or SU sender still gets its CR: otherwise the message
    would be neither kept nor resent."""
    ingestor = Ingestor(MemorySink([], down=True), FixedClock(NOW))
    for mode in (b"NE", b"SU"):
        raw = A03.replace(b"|P|2.5\r", b"|P|2.5|||" + mode + b"|AL\r")
        result = await ingestor.ingest(raw, transport="mllp", peer=None)
        assert (result.ack_code, result.topic, result.reply) == ("AR", None, True)
        assert b"MSA|CR|MSG1" in result.ack


@pytest.mark.parametrize("raw, ack_code, code", [
    (A03.replace(b"|2.5\r", b"|2.5||||||UNICODE UTF-8\r").replace(b"DOE", b"DO\xc9"),
     "AE", "undecodable_bytes"),  # a Latin-1 byte under a declared UTF-8
    (A03.replace(b"|2.5\r", b"|2.9\r"), "AR", "unsupported_version"),
    (A03.replace(b"ADT^A03^ADT_A03", b"ADT^A99"), "AE", "unsupported_event"),
    (A03.split(b"PID|")[0], "AE", "missing_segment"),
    (A03.replace(b"MSH|^~\\&|", b"MSH|^^\\&|"), "AE", "bad_encoding_chars"),
    (A03.replace(b"|MSG1|", b"||"), "AE", "missing_field"),
], ids=["undecodable-under-msh-18", "version-2.9", "trigger-a99", "no-pid", "bad-msh-2",
        "empty-msh-10"])
async def test_content_the_normalize_stage_would_refuse_is_refused_at_the_listener(
        raw: bytes, ack_code: str, code: str) -> None:
    """ADT-9: the listener runs normalize's check: AE (content) or AR (MSH-9/12) with an ERR
    naming the reason, and the exact bytes kept in hl7.adt.rejected; never AA."""
    sink = MemorySink([])
    result = await Ingestor(sink, FixedClock(NOW)).ingest(raw, transport="mllp", peer=None)
    assert (result.ack_code, result.topic) == (ack_code, "hl7.adt.rejected")
    assert f"|{code}: ".encode() in next(s for s in result.ack.split(b"\r")
                                         if s.startswith(b"ERR"))
    [(topic, _key, record)] = sink.records
    assert topic == "hl7.adt.rejected" and record["error"]["code"] == code
    assert base64.b64decode(record["raw_b64"]) == raw


async def test_a_hub_fault_in_the_check_accepts_the_message_and_logs_only_its_type() -> None:
    """Nothing is lost: an unexpected exception while checking (here a zone lookup that fails)
    is the hub's fault, so the message is ACKed AA onto hl7.adt.raw for normalize to
    dead-letter; the log names the exception type, never its text."""
    def broken_zones(facility: str) -> object:
        raise KeyError(f"no zone for DOE^ANA at {facility}")

    sink = MemorySink([])
    ingestor = Ingestor(sink, FixedClock(NOW), zone_for=broken_zones)  # type: ignore[arg-type]
    with structlog.testing.capture_logs() as logged:
        result = await ingestor.ingest(A03, transport="mllp", peer=None)
    assert (result.ack_code, result.topic) == ("AA", "hl7.adt.raw")
    [warning] = [e for e in logged if e["event"] == "ingest.check_failed"]
    assert warning["error"] == "KeyError" and "DOE" not in repr(warning)
