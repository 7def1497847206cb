"""The MSH header, read cheaply and never failing on a readable MSH (ADT-1, ADT-9).

The listener needs it to key the Kafka record and to address the ACK even when the rest of the
message is bad, so only the MSH line and the PID line are decoded, leniently. ``no_msh`` (AE) is
the one refusal: the message does not start with MSH and a usable field separator. An invalid
MSH-2 is read with the default delimiters (and the ACK written with them) instead of failing;
``normalize`` is what refuses it.

Application and facility names (MSH-3..6) are the HD's namespace id, or its universal id when the
namespace is empty: what an analyst configures facility zones by, and what the dedupe key
(MSH-3, MSH-4, MSH-10) compares.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import Hl7Error
from hub.hl7.charset import CODECS, declared_charset
from hub.hl7.encoding import Encoding, lenient_encoding
from hub.hl7.identity import hd_name, patient_identity
from hub.hl7.parse import MshSegment, Segment, strip_envelope


@dataclass(frozen=True)
class MessageHeader:
    encoding: Encoding
    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    message_time: str  # MSH-7 as sent
    message_code: str
    trigger: str
    structure: str
    control_id: str
    processing_id: str
    version: str
    accept_ack_type: str
    app_ack_type: str
    charset: str
    patient_key: str | None

    @property
    def message_type(self) -> str:
        return "^".join(part for part in (self.message_code, self.trigger) if part)

    @property
    def enhanced_mode(self) -> bool:
        """ADT-9: MSH-15 or MSH-16 present means enhanced acknowledgment mode."""
        return bool(self.accept_ack_type or self.app_ack_type)


def read_header(raw: bytes) -> MessageHeader:
    body, _ = strip_envelope(raw)
    end = _line_end(body, 0)
    declared = declared_charset(body) if body.startswith(b"MSH") else ""
    codec = CODECS.get(declared, "utf-8") if declared else _default_codec(body)
    msh_line = body[:end].decode(codec, "replace")
    encoding = lenient_encoding(msh_line)  # raises no_msh, nothing else
    msh = MshSegment("MSH", msh_line, encoding, codec)
    application, facility = hd_name(msh, 3), hd_name(msh, 4)
    return MessageHeader(
        encoding=encoding, sending_application=application, sending_facility=facility,
        receiving_application=hd_name(msh, 5), receiving_facility=hd_name(msh, 6),
        message_time=msh.field(7), message_code=msh.field(9, 1).upper(),
        trigger=msh.field(9, 2).upper(), structure=msh.field(9, 3).upper(),
        control_id=msh.field(10), processing_id=msh.field(11), version=msh.field(12),
        accept_ack_type=msh.field(15).upper(), app_ack_type=msh.field(16).upper(),
        charset=declared, patient_key=_patient_key(body, encoding, codec, facility, application))


def _default_codec(body: bytes) -> str:
    """An empty MSH-18 as ``charset.decode`` reads it: UTF-8, else ISO 8859-1; so the record
    key the listener derives from PID-3 is the patient key normalize will derive."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "iso-8859-1"
    return "utf-8"


def _line_end(body: bytes, start: int) -> int:
    ends = [p for p in (body.find(b"\r", start), body.find(b"\n", start)) if p >= 0]
    return min(ends) if ends else len(body)


def _patient_key(body: bytes, encoding: Encoding, codec: str, facility: str, application: str
                 ) -> str | None:
    marker = ("PID" + encoding.field).encode("latin-1", "replace")
    for newline in (b"\r", b"\n"):
        start = body.find(newline + marker)
        if start >= 0:
            line = body[start + 1:_line_end(body, start + 1)].decode(codec, "replace")
            try:
                return patient_identity(Segment("PID", line, encoding, codec), facility,
                                        application).key
            except Hl7Error:
                return None
    return None
