"""Every message of the shared public ADT corpus either normalizes with the right values or is
refused with a specific reason (ADT-1..ADT-9). A corpus file without an expectation fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from hub.errors import Hl7Error
from hub.hl7.extract import normalize
from hub.hl7.parse import split_messages
from tests.conftest import CORPUS, REPO

NY = ZoneInfo("America/New_York")
SCHEMA = json.loads((REPO / "schemas" / "adt_event.schema.json").read_text())

# file -> list of (event_type, control_id, patient key, discharge_at) per message, or the error code
EXPECTED: dict[str, Any] = {
    "A01_cdcti_1.hl7": [("A01", "407750281", "SCH|11102779", None)],
    "A01_cosyte_10.hl7": "duplicate_msh",  # two MSH segments in one message
    "A01_cosyte_2.hl7": [("A01", "1", "HOSP|123", None)],
    "A01_cosyte_4.hl7": [("A01", "MSGVQ001", "HOSP|MRN-VQ-001", None)],  # MLLP bytes left in
    "A01_cosyte_5.hl7": "bad_segment_id",  # lower-case 'pid'
    "A01_cosyte_7.hl7": [("A01", "MSG0001", "HOSP.MRN|EPIC-00001", None)],
    "A01_cosyte_8.hl7": "unsupported_version",  # MSH-12 2.9
    "A01_cosyte_9.hl7": [("A01", "MSG10003", "HOSP|MRN-MIX-001", None)],  # CR, LF, CRLF mixed
    "A01_emap_1.hl7": [("A01", "31644", "MRENTR|40800000", None)],
    "A01_gcpdh_1.hl7": [("A01", "7", "SIMULATOR MRN|1419055458", "2011-03-09T13:01:56-05:00")],
    "A01_hapi_1.hl7": [("A01", "22139243", "W|2216506", None)],
    "A01_hl7insp_1.hl7": [("A01", "1", "ADT-HIS|4711", None)],  # PID-3 empty, id in PID-4; no MSH-4
    "A01_lfh_1.hl7": "bad_encoding_chars",  # MSH-2 '^~\\&' (5 characters)
    "A01_mirth_1.hl7": [("A01", "603262", "AccMgr|999945612", None)],
    "A01_mirth_2.hl7": [("A01", "6032615", "AccMgr|500097867", None)],
    "A01_mirth_3.hl7": [("A01", "6032619", "AccMgr|999923458", None)],
    "A01_msfhir_1.hl7": [("A01", "MSG00001", "test1|PATID1234", None)],
    "A01_msfhir_2.hl7": [("A01", "599102", "1|10006579", None)],  # UTF-8 BOM
    "A01_nodehl7c_1.hl7": "bad_segment_separator",  # segments joined by spaces
    "A01_ohiecr_1.hl7": [("A01", "NIST-20141104174451", "2.16.840.1.113883.3.72.5.9.1|RJ-438",
                          None)],
    "A01_ohiecr_2.hl7": [("A01", "TEST-CR-02-10", "2.16.840.1.113883.3.72.5.9.1|RJ-438", None)],
    "A02_hl7insp_1.hl7": [("A02", "1", "ADT-HIS|4711", None)],
    "A02_msfhir_1.hl7": [("A02", "MSG00001", "test1|PATID1234", None)],
    "A03_emap_1.hl7": [("A03", "eh", "MRENTR|40800000", "2013-02-11T10:00:00-05:00")],
    "A03_emap_3.hl7": [("A03", "eh", "MRENTR|40800000", "2013-02-11T10:00:00-05:00")],
    "A03_emap_5.hl7": [("A03", "31644ZZZ", "MRENTR|40800000", "2013-02-11T12:30:52-05:00")],
    "A03_emap_6.hl7": [("A03", "31644ZZZ", "MRENTR|40800000", "2013-02-11T13:00:52-05:00")],
    "A03_emap_9.hl7": [("A03", "eh", "MRENTR|40800000", "2013-02-11T13:45:00-05:00")],
    "A03_msfhir_1.hl7": [("A03", "MSG00001", "test1|PATID1234", "2015-02-09T11:34:19+01:10")],
    "A03_nhapi_1.hl7": "bad_encoding_chars",  # fuzzer output
    "A04_emap_1.hl7": [("A04", "31644", "MRENTR|40800000", None)],
    "A04_gcpdh_1.hl7": [  # v2.1
        ("A04", "IHS-20180301010000.00120", "UNV|19050114293307.1082", None)],
    "A04_mirth_2.hl7": [("A04", "603266", "AccMgr|999965423", None)],  # '[SOM]' stripped
    "A04_mirth_3.hl7": [("A04", "934576120110613083617", "SENDING_FACILITY|135769", None)],
    "A04_msfhir_2.hl7": [("A04", "Q123456789T123456789X123456", "NINTENDO|123456789", None)],
    "A04_msfhir_4.hl7": [("A04", "1270326314", "MR|0000000001", None)],
    "A06_emap_1.hl7": [("A06", "14444444", "MRENTR|A/AA1111", None)],
    "A06_msfhir_1.hl7": [("A06", "MSG00006", "ADT1|PATID1234", None)],
    "A08_cosyte_1.hl7": [("A08", "MSG00004", "HOSP|MRN77777", None)],  # all five escapes
    "A08_emap_1.hl7": [("A08", "31644ZZZ", "MRENTR|40800000", None)],
    "A08_gcpdh_1.hl7": [("A08", "8899-39", "Ntierprise Clinic|151", None)],
    "A08_msfhir_1.hl7": [("A08", "MSG00001", "test1|PATID1234", "2015-02-09T11:34:19+01:10")],
    "A11_msfhir_1.hl7": [("A11", "MSG00001", "test1|PATID1234", None)],
    "A13_emap_1.hl7": [("A13", "31644ZZZ", "MRENTR|40800000", None)],
    "A13_emap_2.hl7": [("A13", "100000", "MRENTR|40800000", "2013-02-11T10:00:00-05:00")],
    "A13_msfhir_1.hl7": [("A13", "MSG00001", "test1|PATID1234", None)],
    "A24_nhapi_1.hl7": "unsupported_event",  # A24 link: not a TCM event
    "A31_hl7insp_1.hl7": [("A31", "094875189N147583097O", "A|00012315", None)],  # 2.2, '`' subs
    "A40_dcm4che_1.hl7": [("A40", "1002122", "ADT1|NEW_PID_1", None)],
    "A40_emap_1.hl7": [("A40", "PPPPP111111111111111", "MRENTR|40800001", None)],
    "A40_mirth_1.hl7": [("A40", "1965403220110613122406637", "SENDING_FACILITY|1765431", None)],
    "A40_msfhir_1.hl7": [("A40", "8919-40", "BCBS|12345", None)],
    "A40_nhapi_1.hl7": "bad_encoding_chars",  # fuzzer output
    "A40_ohiecr_1.hl7": [("A40", "TEST-CR-16-30", "TEST|RJ-439", None)],
    "A40_ohiecr_2.hl7": [("A40", "TEST-CR-17-50", "TEST_B|SJ-204", None)],
    "A47_dcm4che_1.hl7": [("A47", "1002123", "ADT1|NEW_PID_1", None)],
    "BATCH_cosyte_1.hl7": [("A01", "MSGA0001", "HOSP|FAKEMSGA0001", None),
                           ("A01", "MSGA0002", "HOSP|FAKEMSGA0002", None)],
    "BATCH_cosyte_3.hl7": [("A01", "MSGC0001", "HOSP|FAKEMSGC0001", None),
                           ("A01", "MSGC0002", "HOSP|FAKEMSGC0002", None)],
    "O01_efferent_1.hl7": "unsupported_message_type",  # 'ADT^O01': not an ADT trigger (AR)
    "STREAM_cosyte_2.hl7": [("A01", "STREAM0001", "HOSP|FAKESTREAM0001", None),
                            ("A03", "STREAM0002", "HOSP|FAKESTREAM0002",
                             "2026-01-01T12:00:00-05:00")],
}


def corpus_files() -> list[str]:
    return sorted(p.name for p in CORPUS.glob("*.hl7"))


def messages_of(path: Path) -> list[bytes]:
    raw = path.read_bytes()
    return split_messages(raw) if path.name.startswith(("BATCH_", "STREAM_")) else [raw]


def test_every_corpus_file_has_an_expectation(corpus_dir: Path) -> None:
    """ADT-1..9: a new corpus file must be given an expected outcome here."""
    assert sorted(EXPECTED) == corpus_files()


@pytest.mark.parametrize("name", corpus_files())
def test_corpus_message_normalizes_or_is_refused_specifically(corpus_dir: Path, name: str) -> None:
    """ADT-1/2/3/9: control id, patient key and discharge time, or the specific refusal code."""
    expected = EXPECTED[name]
    messages = messages_of(corpus_dir / name)
    if isinstance(expected, str):
        with pytest.raises(Hl7Error) as caught:
            for message in messages:
                normalize(message, zone_for=lambda _: NY)
        assert caught.value.code == expected
        assert caught.value.message and caught.value.ack_code in ("AE", "AR")
        return
    events = [normalize(m, zone_for=lambda _: NY) for m in messages]
    got = [(e["event_type"], e["control_id"], e["patient"]["key"], e["visit"]["discharge_at"])
           for e in events]
    assert got == expected
    for event in events:
        jsonschema.validate(event, SCHEMA)


def test_batch_envelope_counts_are_checked(corpus_dir: Path) -> None:
    """ADT-1 batches: a BTS-1 count that disagrees with the messages present is reported."""
    from hub.hl7.parse import batch_problems

    assert batch_problems((corpus_dir / "BATCH_cosyte_1.hl7").read_bytes()) == []
    assert batch_problems((corpus_dir / "BATCH_cosyte_3.hl7").read_bytes()) == [
        "BTS-1 declares 3 messages but 2 are present"]
