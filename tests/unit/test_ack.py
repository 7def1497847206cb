"""ACKs (ADT-9), checked by parsing them back with hl7apy, the HL7 library of record."""

from __future__ import annotations

from datetime import UTC, datetime

from hl7apy.parser import parse_message

from hub.errors import Hl7Error
from hub.hl7.ack import ack_wanted, build_ack
from hub.hl7.header import MessageHeader, read_header

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
    err = _err_fields(raw)
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


def test_pre_25_versions_put_the_error_in_err_1_as_an_eld() -> None:
    """ADT-9: before 2.5, ERR-1 is an ELD (segment^sequence^field^code) whose code is a CE, so
    identifier, text and coding system are subcomponents of its 4th component."""
    header = read_header(ORIGINAL.replace(b"|P|2.5\r", b"|P|2.3\r"))
    error = Hl7Error("x & y", code="missing_field", location="PID-3")
    raw = build_ack(header, "AE", now=NOW, control_id="A", error=error)
    assert b"\rERR|PID^1^3^101&missing_field: x \\T\\ y&HL70357\r" in raw
    eld = parsed(raw).err.err_1
    assert [c.name for c in eld.children] == ["CM_ELD_1", "CM_ELD_2", "CM_ELD_3", "CM_ELD_4"]
    assert eld.children[3].children[0].to_er7() == "101"  # CE-1 of ELD-4


def test_a_location_that_is_not_a_field_is_not_written_as_one() -> None:
    """ADT-9: 'segment 3' or 'MSH (segment 2)' is no segment id: ERR-2 stays empty (ERR-1's
    location parts before 2.5), the code and reason are still there."""
    for location in ("segment 3", "MSH (segment 2)", None):
        error = Hl7Error("bad id", code="bad_segment_id", location=location)
        err = _err_fields(build_ack(read_header(ORIGINAL), "AE", now=NOW, control_id="A",
                                    error=error))
        assert err[2] == "" and err[3].startswith("100^bad_segment_id")
        old = read_header(ORIGINAL.replace(b"|P|2.5\r", b"|P|2.4\r"))
        err = _err_fields(build_ack(old, "AE", now=NOW, control_id="A", error=error))
        assert err[1].startswith("^^^100&bad_segment_id")


def test_segment_and_component_locations_are_well_formed_erl() -> None:
    """ADT-9: ERR-2 is segment^sequence[^field[^repetition^component]]."""
    for location, erl in (("PV1", "PV1^1"), ("MSH-9", "MSH^1^9"), ("PID-3.1", "PID^1^3^1^1")):
        error = Hl7Error("x", code="missing_field", location=location)
        raw = build_ack(read_header(ORIGINAL), "AE", now=NOW, control_id="A", error=error)
        assert _err_fields(raw)[2] == erl


def _err_fields(ack: bytes) -> list[str]:
    return next(s for s in ack.decode("latin-1").split("\r") if s.startswith("ERR")).split("|")


LATIN1 = ("MSH|^~\\&|\u00c9PIC|GEN|HUB|HUBFAC|20260101||ADT^A08^ADT_A01|M1|P|2.5||||||8859/1\r"
          "PID|1||7^^^G^MR||M\u00dcLLER\r").encode("latin-1")


def test_ack_is_written_in_the_senders_character_set_and_echoes_msh_18() -> None:
    """ADT-1/ADT-9: a Latin-1 sender named 'ÉPIC' gets its own bytes back, MSH-18 = 8859/1."""
    raw = build_ack(read_header(LATIN1), "AA", now=NOW, control_id="A")
    msh = raw.split(b"\r")[0].split(b"|")
    assert msh[4] == "\u00c9PIC".encode("latin-1") and msh[17] == b"8859/1"
    ack = parse_message(raw.decode("latin-1"), find_groups=False)
    assert ack.msh.msh_5.value == "\u00c9PIC" and ack.msh.msh_18.value == "8859/1"


def test_an_ack_without_a_declared_character_set_is_utf8_without_msh_18() -> None:
    """ADT-1: no MSH-18, no claim: the ACK is UTF-8 and its MSH ends at MSH-12."""
    raw = build_ack(read_header(ORIGINAL), "AA", now=NOW, control_id="A")
    assert raw.split(b"\r")[0].endswith(b"|A|P|2.5")


def test_enhanced_mode_accept_ack_conditions_of_msh_15() -> None:
    """ADT-9: MSH-15 AL always answers, NE never, ER only on an error, SU only on success;
    original mode always answers."""
    def mode(msh15: str) -> MessageHeader:
        return read_header(ORIGINAL.replace(b"|P|2.5\r", f"|P|2.5|||{msh15}|AL\r".encode()))

    assert all(ack_wanted(read_header(ORIGINAL), code) for code in ("AA", "AE", "AR"))
    assert all(ack_wanted(mode("AL"), code) for code in ("AA", "AE", "AR"))
    assert not any(ack_wanted(mode("NE"), code) for code in ("AA", "AE", "AR"))
    assert [ack_wanted(mode("ER"), code) for code in ("AA", "AE", "AR")] == [False, True, True]
    assert [ack_wanted(mode("SU"), code) for code in ("AA", "AE", "AR")] == [True, False, False]
    assert ack_wanted(mode(""), "AA")  # MSH-16 alone: enhanced mode, an accept ACK as for AL


def test_hub_send_reads_an_ack_in_the_character_set_it_declares() -> None:
    """ADT-1: `hub send` prints a Latin-1 ACK's ERR text as the characters it holds."""
    from hub.hl7.ack import ack_summary

    error = Hl7Error("DO\u00c9 is not a segment", code="bad_segment_id", location="PID")
    raw = build_ack(read_header(LATIN1), "AE", now=NOW, control_id="A", error=error)
    assert "DO\u00c9 is not a segment" in ack_summary(raw)


def test_an_ar_to_an_unsupported_version_is_written_in_one_the_hub_speaks() -> None:
    """ADT-9: a 2.9 message is refused AR in a 2.5 ACK that any engine (and hl7apy) parses;
    a supported version is echoed as sent."""
    for version, answered in (("2.9", "2.5"), ("3.0", "2.5"), ("2.5^USA", "2.5"),
                              ("2.3.1", "2.3.1"), ("2.8.2", "2.8.2")):
        raw = ORIGINAL.replace(b"|P|2.5", b"|P|" + version.encode())
        error = Hl7Error("MSH-12 version not supported", code="unsupported_version",
                         location="MSH-12", ack_code="AR")
        ack = build_ack(read_header(raw), "AR", now=NOW, control_id="ACK9", error=error)
        assert ack.split(b"\r")[0].split(b"|")[11] == answered.encode()
        if answered == "2.5":
            assert parsed(ack).msa.msa_1.value == "AR"
