"""What happens to a message between the socket and Kafka, as plain functions.

Every message the hub receives is kept: an acceptable one as a ``hl7.adt.raw`` record (ACK AA once
the broker has it), one it can never accept as a ``hl7.adt.rejected`` record (ACK AE, or AR where
the sender should resend). The raw bytes travel base64-encoded so a person can replay them exactly.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.errors import Hl7Error
from hub.hl7.header import MessageHeader, read_header

ACCEPTED_MESSAGE_CODES = frozenset({"ADT"})


@dataclass(frozen=True)
class Received:
    raw: bytes
    transport: str  # "mllp", "mllp+tls", "http", "replay"
    peer: str | None  # the sending system's address; an id of a system, not of a patient
    received_at: datetime


@dataclass(frozen=True)
class Triage:
    """The ingest decision: where the message goes, under which key, and what the ACK says."""

    header: MessageHeader | None
    error: Hl7Error | None

    @property
    def accepted(self) -> bool:
        return self.error is None

    @property
    def key(self) -> str:
        # One patient's messages share a key so they stay in order in one partition; without a
        # readable patient id, the sending facility keeps one feed's messages in order.
        if self.header is None:
            return "unknown"
        return self.header.patient_key or self.header.sending_facility or "unknown"


def triage(raw: bytes) -> Triage:
    """Cheap checks only (MSH, message type, version): the full parse runs in ``normalize``."""
    try:
        header = read_header(raw)
    except Hl7Error as error:
        return Triage(None, error)
    if header.message_code not in ACCEPTED_MESSAGE_CODES:
        return Triage(header, Hl7Error(
            f"MSH-9 message type {header.message_code!r} is not accepted here: this feed takes ADT",
            code="unsupported_message_type", location="MSH-9", ack_code="AR"))
    return Triage(header, None)


def raw_record(received: Received, triage_result: Triage) -> dict[str, Any]:
    """The ``hl7.adt.raw`` / ``hl7.adt.rejected`` record: receipt metadata plus the exact bytes."""
    header = triage_result.header
    record: dict[str, Any] = {
        "received_at": received.received_at.isoformat(),
        "transport": received.transport,
        "peer": received.peer,
        "size": len(received.raw),
        "sha256": hashlib.sha256(received.raw).hexdigest(),
        "control_id": header.control_id if header else None,
        "sending_application": header.sending_application if header else None,
        "sending_facility": header.sending_facility if header else None,
        "message_type": header.message_type if header else None,
        "raw_b64": base64.b64encode(received.raw).decode("ascii"),
    }
    if triage_result.error is not None:
        record["error"] = triage_result.error.to_dict()
    return record


def raw_bytes(record: dict[str, Any]) -> bytes:
    return base64.b64decode(record["raw_b64"])
