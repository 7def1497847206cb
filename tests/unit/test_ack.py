"""ACKs (ADT-9), checked by parsing them back with hl7apy, the HL7 library of record."""

from __future__ import annotations

from datetime import UTC, datetime

from hl7apy.parser import parse_message

from hub.errors import Hl7Error
from hub.hl7.ack import build_ack
from hub.hl7.header import read_header

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ORIGINAL = b"MSH|^~\\&|EPIC|GEN|HUB|HUBFAC|20260101||ADT^A03^ADT_A03|MSG42|P|2.5\rPID|1||7^^^G^MR\r"


def parsed(ack: bytes):  # type: ignore[no-untyped-def]
    return parse_message(ack.decode().replace("\r", "\r"), find_groups=False)


def test_aa_echoes_control_id_and_swaps_sender_and_receiver() -> None:
    """ADT-9: MSA-1 AA, MSA-2 = the message's MSH-10; MSH-3/4 and 5/6 swapped."""
    ack = parsed(build_ack(read_header(ORIGINAL), "AA", now=NOW, control_id="ACK1"))
    assert ack.msa.msa_1.value == "AA" and ack.msa.msa_2.value == "MSG42"
    assert ack.msh.msh_3.value == "HUB" and ack.msh.msh_5.value == "EPIC"
    assert ack.msh.msh_9.value == "ACK^A03^ACK" and ack.msh.msh_12.value == "2.5"


def test_ae_carries_an_err_segment_with_location_code_and_reason() -> None:
    """ADT-9: AE comes with ERR: location, HL7 table 0357 code, severity E and the reason."""
    error = Hl7Error("PID-3 has no patient identifier", code="missing_field", location="PID-3")
    raw = build_ack(read_header(ORIGINAL), "AE", now=NOW, control_id="ACK2", error=error)
    ack = parsed(raw)
    assert ack.msa.msa_1.value == "AE"
    err = [s for s in raw.decode().split("\r") if s.startswith("ERR")][0].split("|")
    assert err[2] == "PID^1^3" and err[3].startswith("101^missing_field") and err[4] == "E"


def test_enhanced_mode_answers_with_commit_codes() -> None:
    """ADT-9: MSH-15/16 present -> CA/CE/CR instead of AA/AE/AR."""
    header = read_header(ORIGINAL.replace(b"|P|2.5\r", b"|P|2.5|||AL|NE\r"))
    assert parsed(build_ack(header, "AR", now=NOW, control_id="A")).msa.msa_1.value == "CR"


def test_ack_uses_the_senders_encoding_characters_and_escapes_text() -> None:
    """ADT-9: the ACK is in the sender's delimiters; the reason text cannot break them."""
    custom = ORIGINAL.replace(b"MSH|^~\\&|", b"MSH|^~\\#|")
    error = Hl7Error("bad | value ^ here", code="bad_timestamp", location="PV1-45")
    raw = build_ack(read_header(custom), "AE", now=NOW, control_id="A", error=error).decode()
    assert raw.startswith("MSH|^~\\#|")
    assert "bad \\F\\ value \\S\\ here" in raw


def test_unreadable_message_still_gets_a_valid_ack() -> None:
    """ADT-9: with no readable MSH the hub still answers a parseable AR/AE."""
    error = Hl7Error("no MSH", code="no_msh", location="MSH")
    ack = parsed(build_ack(None, "AE", now=NOW, control_id="A", error=error))
    assert ack.msa.msa_1.value == "AE" and ack.msa.msa_2.value == ""


def test_pre_25_versions_put_the_location_in_err_1() -> None:
    """ADT-9: versions before 2.5 carry the error in ERR-1."""
    header = read_header(ORIGINAL.replace(b"|P|2.5\r", b"|P|2.3\r"))
    error = Hl7Error("x", code="missing_field", location="PID-3")
    raw = build_ack(header, "AE", now=NOW, control_id="A", error=error).decode()
    assert "\rERR|PID^1^3^101^" in raw
