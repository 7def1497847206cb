"""ACK messages (ADT-9): in the sender's encoding characters and version, MSA-2 = its MSH-10,
and an ERR segment saying where and why on AE/AR. Enhanced mode (MSH-15/16 present) answers with
the commit codes CA/CE/CR."""

from __future__ import annotations

from datetime import datetime

from hub.errors import Hl7Error
from hub.hl7.header import MessageHeader
from hub.hl7.parse import Encoding

ENHANCED = {"AA": "CA", "AE": "CE", "AR": "CR"}
# HL7 table 0357 codes for the hub's error codes
ERROR_CODES = {"missing_segment": "100", "bad_segment_id": "100", "duplicate_msh": "100",
               "missing_field": "101", "bad_timestamp": "102", "bad_encoding_chars": "102",
               "undecodable_bytes": "102", "bad_segment_separator": "100", "unsupported_message_type": "200",
               "unsupported_event": "201", "unsupported_version": "203", "no_msh": "100"}


def _escape(text: str, enc: Encoding) -> str:
    out = text.replace(enc.escape, f"{enc.escape}E{enc.escape}")
    for char, code in ((enc.field, "F"), (enc.component, "S"), (enc.repetition, "R"),
                       (enc.subcomponent, "T")):
        out = out.replace(char, f"{enc.escape}{code}{enc.escape}")
    return out.replace("\r", " ").replace("\n", " ")


def build_ack(header: MessageHeader | None, code: str, *, now: datetime, control_id: str,
              error: Hl7Error | None = None) -> bytes:
    enc = header.encoding if header else Encoding()
    f = enc.field
    if header is not None and header.enhanced_mode:
        code = ENHANCED.get(code, code)
    version = (header.version if header and header.version else "2.5")
    trigger = header.trigger if header else ""
    chars = enc.component + enc.repetition + enc.escape + enc.subcomponent
    msh = f.join([
        "MSH", chars,
        _escape(header.receiving_application, enc) if header else "TCMHUB",
        _escape(header.receiving_facility, enc) if header else "",
        _escape(header.sending_application, enc) if header else "",
        _escape(header.sending_facility, enc) if header else "",
        now.strftime("%Y%m%d%H%M%S%z"), "",
        enc.component.join(["ACK", trigger, "ACK"]) if trigger else "ACK",
        control_id, header.processing_id if header and header.processing_id else "P", version,
    ])
    segments = [msh, f.join(["MSA", code, _escape(header.control_id, enc) if header else ""])]
    if error is not None:
        segments.append(_err(error, enc, version))
    return ("\r".join(segments) + "\r").encode("utf-8")


def _err(error: Hl7Error, enc: Encoding, version: str) -> str:
    f, c = enc.field, enc.component
    location = error.location or ""
    segment, _, position = location.partition("-")
    field_no = position.split(".")[0] if position.split(".")[0].isdigit() else ""
    hl7_code = ERROR_CODES.get(error.code, "207")
    message = _escape(f"{error.code}: {error.message}", enc)
    if version.startswith(("2.1", "2.2", "2.3", "2.4")):
        # ERR-1 (CM: segment^sequence^field^code) for versions before 2.5
        return f.join(["ERR", c.join([segment, "1", field_no, c.join([hl7_code, message])])])
    location_field = c.join([segment, "1", field_no]) if segment else ""
    return f.join(["ERR", "", location_field, c.join([hl7_code, message, "HL70357"]), "E",
                   "", "", "", message])
