"""The MSH header, read cheaply and never failing on a readable MSH: the listener needs it to key
the Kafka record and to address the ACK even when the rest of the message is bad."""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import Hl7Error
from hub.hl7.parse import Encoding, Segment, clean, read_encoding, split_component


@dataclass(frozen=True)
class MessageHeader:
    encoding: Encoding
    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    message_time: str
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
    text = clean(raw).decode("latin-1")  # ASCII-compatible: enough for MSH and ids
    lines = text.replace("\r\n", "\r").replace("\n", "\r").split("\r")
    encoding = read_encoding(lines[0] if lines else "")
    msh = Segment("MSH", lines[0].split(encoding.field), encoding)

    def comp(n: int, c: int = 1) -> str:
        return split_component(msh.raw(n), c, encoding)

    facility = comp(4)
    return MessageHeader(
        encoding=encoding, sending_application=comp(3), sending_facility=facility,
        receiving_application=comp(5), receiving_facility=comp(6), message_time=comp(7),
        message_code=comp(9, 1).upper(), trigger=comp(9, 2).upper(), structure=comp(9, 3).upper(),
        control_id=comp(10), processing_id=comp(11), version=comp(12), accept_ack_type=comp(15),
        app_ack_type=comp(16), charset=comp(18),
        patient_key=_patient_key(lines, encoding, facility))


def _patient_key(lines: list[str], encoding: Encoding, facility: str) -> str | None:
    for line in lines[1:]:
        if line[:3] == "PID" and line[3:4] == encoding.field:
            from hub.hl7.identity import patient_key_from_pid3
            pid = Segment("PID", line.split(encoding.field), encoding)
            try:
                return patient_key_from_pid3(pid, facility)[0]
            except Hl7Error:
                return None
    return None
