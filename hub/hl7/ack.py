"""ACK messages (ADT-9): in the sender's encoding characters, version and character set (MSH-18
echoed, the bytes encoded in it), MSA-2 = its MSH-10, and an ERR segment saying where and why on
AE/AR. Enhanced mode (MSH-15/16 present) answers with the commit codes CA/CE/CR, and only when
MSH-15 asks for that answer (AL always, NE never, ER on an error, SU on success)."""

from __future__ import annotations

import re
from datetime import datetime

from hub.errors import Hl7Error
from hub.hl7.charset import CODECS, declared_charset
from hub.hl7.header import MessageHeader
from hub.hl7.parse import Encoding
from hub.hl7.scope import SUPPORTED_VERSIONS

ENHANCED = {"AA": "CA", "AE": "CE", "AR": "CR"}
# HL7 table 0357 codes for the hub's error codes
ERROR_CODES = {"missing_segment": "100", "bad_segment_id": "100", "duplicate_msh": "100",
               "missing_field": "101", "bad_timestamp": "102", "bad_encoding_chars": "102",
               "undecodable_bytes": "102", "bad_segment_separator": "100",
               "unsupported_message_type": "200", "unsupported_event": "201",
               "unsupported_version": "203", "no_msh": "100",
               "unsupported_charset": "103"}  # table value not found (MSH-18)
# MSH-15 (table 0155) in enhanced mode: the original-mode codes whose accept ACK goes back
_ANSWERED: dict[str, frozenset[str]] = {"NE": frozenset(), "ER": frozenset({"AE", "AR"}),
                                         "SU": frozenset({"AA"})}
# A location an ERR segment can carry: segment id, optionally -field and .component.
_LOCATION = re.compile(r"([A-Z][A-Z0-9]{2})(?:-(\d{1,3})(?:\.(\d{1,3}))?)?\Z")


def ack_wanted(header: MessageHeader | None, code: str) -> bool:
    """Whether the sender asked for this ACK: always in original mode; in enhanced mode per
    MSH-15 (AL, empty or unknown values: always)."""
    if header is None or not header.enhanced_mode:
        return True
    answered = _ANSWERED.get(header.accept_ack_type)
    return answered is None or code in answered


def _escape(text: str, enc: Encoding) -> str:
    out = text.replace(enc.escape, f"{enc.escape}E{enc.escape}")
    for char, code in ((enc.field, "F"), (enc.component, "S"), (enc.repetition, "R"),
                       (enc.subcomponent, "T")):
        out = out.replace(char, f"{enc.escape}{code}{enc.escape}")
    return out.replace("\r", " ").replace("\n", " ")


def ack_version(version: str | None) -> str:
    """The sender's MSH-12 when it is a release the hub speaks, else 2.5 (ADT-9): an AR to a
    2.9 message written as 2.9 is one some engines (HAPI 2.6) cannot even parse."""
    return version if version and version in SUPPORTED_VERSIONS else "2.5"


def build_ack(header: MessageHeader | None, code: str, *, now: datetime, control_id: str,
              error: Hl7Error | None = None) -> bytes:
    enc = header.encoding if header else Encoding()
    f = enc.field
    if header is not None and header.enhanced_mode:
        code = ENHANCED.get(code, code)
    version = ack_version(header.version if header else None)
    trigger = header.trigger if header else ""
    codec = CODECS.get(header.charset) if header and header.charset else None
    fields = [
        "MSH", enc.msh2,
        _escape(header.receiving_application, enc) if header else "TCMHUB",
        _escape(header.receiving_facility, enc) if header else "",
        _escape(header.sending_application, enc) if header else "",
        _escape(header.sending_facility, enc) if header else "",
        now.strftime("%Y%m%d%H%M%S%z"), "",
        enc.component.join(["ACK", trigger, "ACK"]) if trigger else "ACK",
        control_id, header.processing_id if header and header.processing_id else "P", version,
    ]
    if header is not None and codec is not None:
        fields += ["", "", "", "", "", _escape(header.charset, enc)]  # MSH-13..17, MSH-18
    segments = [f.join(fields),
                f.join(["MSA", code, _escape(header.control_id, enc) if header else ""])]
    if error is not None:
        segments.append(_err(error, enc, version))
    # In the sender's character set, so its own names come back as the bytes it sent; a set the
    # hub cannot write (unknown MSH-18) is answered in UTF-8 without claiming the sender's.
    return ("\r".join(segments) + "\r").encode(codec or "utf-8", "replace")


def _location(error: Hl7Error) -> tuple[str, str, str]:
    """(segment, field, component) of a well-formed location such as ``PID-3`` or ``PID-3.1``;
    empty parts for one that is not (``segment 3``, ``MSH (segment 5)``)."""
    match = _LOCATION.match(error.location or "")
    if match is None:
        return "", "", ""
    segment, field_no, component = match.groups()
    return segment, field_no or "", component or ""


def _err(error: Hl7Error, enc: Encoding, version: str) -> str:
    f, c, s = enc.field, enc.component, enc.subcomponent
    segment, field_no, component = _location(error)
    hl7_code = ERROR_CODES.get(error.code, "207")
    message = _escape(f"{error.code}: {error.message}", enc)
    if version.startswith(("2.1", "2.2", "2.3", "2.4")):
        # ERR-1 is an ELD: segment^sequence^field^code, the code a CE whose parts are
        # subcomponents (identifier&text&coding system)
        eld = [segment, "1" if segment else "", field_no, s.join([hl7_code, message, "HL70357"])]
        return f.join(["ERR", c.join(eld)])
    # ERR-2 is an ERL: segment^sequence^field^repetition^component
    erl = [segment, "1"] + ([field_no] if field_no else []) + (["1", component] if component
                                                               else [])
    return f.join(["ERR", "", c.join(erl) if segment else "",
                   c.join([hl7_code, message, "HL70357"]), "E", "", "", "", message])


def ack_summary(ack: bytes) -> str:
    """``AA <control id>`` plus the ERR text when there is one, from an ACK's MSA/ERR segments,
    read in the character set its MSH-18 names (the hub answers in the sender's)."""
    codec = CODECS.get(declared_charset(ack), "utf-8")
    text = ack.decode(codec, "replace").replace("\r\n", "\r").replace("\n", "\r")
    segments = [s for s in text.split("\r") if s]
    msa = next((s for s in segments if s.startswith("MSA")), "")
    sep = msa[3:4] or "|"
    fields = msa.split(sep)
    code = fields[1] if len(fields) > 1 else "?"
    control = fields[2] if len(fields) > 2 else ""
    errors = [s for s in segments if s.startswith("ERR")]
    detail = f"  {errors[0]}" if errors else ""
    return f"{code} {control}{detail}"
