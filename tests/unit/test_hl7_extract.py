"""Field extraction rules of tcm-rules §2 on hand-written messages (ADT-1..ADT-7)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from hub.errors import Hl7Error
from hub.hl7.extract import normalize
from hub.hl7.header import read_header

NY = ZoneInfo("America/New_York")
MSH = "MSH|^~\\&|EPIC|GEN|HUB|HUB|20260315013000||ADT^{ev}^ADT_A03|C1|P|2.5"
PID = "PID|1||{pid3}||DOE^JANE||19600101|F|||||{phones}||es"


def segment(name: str, fields: dict[int, str]) -> str:
    """A segment with the given fields at their HL7 positions."""
    values = [""] * (max(fields) + 1)
    values[0] = name
    for position, value in fields.items():
        values[position] = value
    return "|".join(values)


PV1 = segment("PV1", {1: "1", 2: "I", 3: "W^1^A", 10: "MED", 19: "V1", 36: "01", 37: "HOME",
                      44: "20260310080000", 45: "{pv145}"})


def msg(*, ev: str = "A03", pid3: str = "77^^^GEN^MR", phones: str = "",
        pv145: str = "20260315013000", extra: str = "", msh: str = MSH) -> bytes:
    segs = [msh.format(ev=ev), "EVN|" + ev + "|20260315013500",
            PID.format(pid3=pid3, phones=phones), PV1.format(pv145=pv145)]
    return ("\r".join(segs) + ("\r" + extra if extra else "") + "\r").encode()


def test_timestamp_without_offset_is_read_in_the_facility_zone_across_dst() -> None:
    """ADT-2: 2026-03-15 01:30 in New York is EDT (-04:00), after the spring-forward change."""
    event = normalize(msg(), zone_for=lambda _: NY)
    assert event["visit"]["discharge_at"] == "2026-03-15T01:30:00-04:00"
    assert event["visit"]["discharge_time_source"] == "PV1-45"


def test_discharge_time_falls_back_to_evn_when_pv1_45_is_empty() -> None:
    """ADT-2: PV1-45 empty -> EVN-6, then EVN-2."""
    event = normalize(msg(pv145=""), zone_for=lambda _: NY)
    assert event["visit"]["discharge_time_source"] == "EVN-2"
    assert event["visit"]["discharge_at"] == "2026-03-15T01:35:00-04:00"


def test_offsets_in_the_message_are_kept() -> None:
    """ADT-2: a timestamp with its own offset keeps it."""
    event = normalize(msg(pv145="20260315013000+0100"), zone_for=lambda _: NY)
    assert event["visit"]["discharge_at"] == "2026-03-15T01:30:00+01:00"


def test_bad_discharge_timestamp_is_refused_with_its_location() -> None:
    """ADT-2: an A03 whose discharge time is not a timestamp is refused at PV1-45."""
    with pytest.raises(Hl7Error) as caught:
        normalize(msg(pv145="03/15/2026 01:30"), zone_for=lambda _: NY)
    assert (caught.value.code, caught.value.location) == ("bad_timestamp", "PV1-45")


def test_patient_key_prefers_the_mr_identifier_and_its_authority() -> None:
    """ADT-3: PID-3 repeats; the MR one, with its assigning authority, is the key."""
    event = normalize(msg(pid3="999^^^NHS^NH~77^^^GEN-AUTH^MR"), zone_for=lambda _: NY)
    assert event["patient"]["key"] == "GEN-AUTH|77"
    assert [i["type"] for i in event["patient"]["identifiers"]] == ["NH", "MR"]


def test_missing_patient_id_is_refused_at_pid_3() -> None:
    """ADT-3: no identifier at all is a specific refusal."""
    with pytest.raises(Hl7Error) as caught:
        normalize(msg(pid3=""), zone_for=lambda _: NY)
    assert (caught.value.code, caught.value.location) == ("missing_field", "PID-3")


@pytest.mark.parametrize("xtn, expected", [
    ("^PRN^CP^^1^617^5550123", "+16175550123"),  # components 5/6/7
    ("(617) 555-0123", "+16175550123"),  # older senders: the whole number in component 1
    ("^PRN^PH^^^^^^^^^6175550123", "+16175550123"),  # component 12 unformatted
])
def test_phones_normalize_to_e164(xtn: str, expected: str) -> None:
    """ADT-4: XTN forms normalize to E.164 with their use and equipment codes."""
    [phone] = normalize(msg(phones=xtn), zone_for=lambda _: NY)["patient"]["phones"]
    assert phone["e164"] == expected


def test_invalid_phone_is_reported_without_its_digits() -> None:
    """ADT-4: an unparseable number is reported, never guessed, and its digits are not kept."""
    patient = normalize(msg(phones="^PRN^CP^^1^555^1234567~^NET^Internet^a@b.org"),
                        zone_for=lambda _: NY)["patient"]
    assert patient["phones"] == [] and patient["email"] == "a@b.org"
    [invalid] = patient["invalid_phones"]
    assert invalid["equipment"] == "CP" and "555" not in str(invalid)


@pytest.mark.parametrize("xtn, reason", [
    ("^PRN^PH^^^^1", "unparseable: not a number"),  # one digit: phonenumbers cannot parse it
    ("^PRN^PH^^999^555^0123", "unparseable: invalid country code"),
    ("^PRN^CP^^1^555^12", "not a valid number"),
])
def test_an_unparseable_phone_is_reported_and_the_message_still_normalizes(
        xtn: str, reason: str) -> None:
    """ADT-4: a number phonenumbers cannot even parse is reported with why, and the rest of the
    message (an A03 that must open its episode) is unaffected."""
    event = normalize(msg(phones=xtn), zone_for=lambda _: NY)
    [invalid] = event["patient"]["invalid_phones"]
    assert event["patient"]["phones"] == [] and invalid["reason"] == reason


def test_deceased_by_disposition_and_restrictions_from_pd1() -> None:
    """ADT-5: PV1-36 of 20 means deceased; PD1-11/12 restrictions are carried."""
    raw = msg(extra="PD1|||||||||||03|Y").replace(b"|01|HOME|", b"|20|MORGUE|")
    patient = normalize(raw, zone_for=lambda _: NY)["patient"]
    assert patient["deceased"] is True
    assert (patient["publicity_code"], patient["protection"]) == ("03", True)


def test_merge_carries_the_prior_key() -> None:
    """§2 A40: MRG-1 prior ids give the prior patient key."""
    event = normalize(msg(ev="A40", extra="MRG|55^^^GEN^MR"), zone_for=lambda _: NY)
    assert event["merge"]["prior_key"] == "GEN|55"


def test_escapes_are_decoded_in_values() -> None:
    """ADT-1: \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ decode to the delimiters they stand for."""
    raw = msg().replace(b"DOE^JANE", b"O\\F\\BRIEN\\S\\X^JANE")
    assert normalize(raw, zone_for=lambda _: NY)["patient"]["family_name"] == "O|BRIEN^X"


def test_non_adt_message_type_is_refused_for_resend() -> None:
    """ADT-9: an unsupported MSH-9 is an AR problem."""
    raw = msg().replace(b"ADT^A03^ADT_A03", b"ORU^R01")
    with pytest.raises(Hl7Error) as caught:
        normalize(raw, zone_for=lambda _: NY)
    assert (caught.value.code, caught.value.ack_code) == ("unsupported_message_type", "AR")


def test_undecodable_bytes_are_refused_for_the_declared_charset() -> None:
    """ADT-1: bytes that are not valid for MSH-18 are a content error (AE)."""
    raw = msg(msh=MSH + "||||||UNICODE UTF-8").replace(b"DOE", b"D\xe9OE")
    with pytest.raises(Hl7Error) as caught:
        normalize(raw, zone_for=lambda _: NY)
    assert (caught.value.code, caught.value.ack_code) == ("undecodable_bytes", "AE")


def test_latin1_declared_charset_decodes() -> None:
    """ADT-1: MSH-18 8859/1 bytes decode as ISO 8859-1."""
    raw = msg(msh=MSH + "||||||8859/1").replace(b"JANE", b"REN\xc9E")
    assert normalize(raw, zone_for=lambda _: NY)["patient"]["given_name"] == "RENÉE"


def test_header_reads_key_and_mode_cheaply() -> None:
    """ADT-9: the header gives the patient key and whether the sender wants enhanced mode."""
    header = read_header(msg(msh=MSH + "|||AL|NE"))
    assert header.patient_key == "GEN|77" and header.control_id == "C1"
    assert header.enhanced_mode and header.message_type == "ADT^A03"


def test_the_listener_keys_a_latin1_message_as_normalize_will() -> None:
    """ADT-1/ADT-3: with an empty MSH-18 and Latin-1 bytes in PID-3, the Kafka record key the
    listener derives is the patient key normalize derives, so the patient stays in one
    partition."""
    from hub.hl7.header import read_header

    raw = msg(pid3="MÜLLER77^^^GEN^MR").decode().encode("iso-8859-1")
    event = normalize(raw, zone_for=lambda _: NY)
    assert read_header(raw).patient_key == event["patient"]["key"] == "GEN|MÜLLER77"
