"""What happens to a message between the socket and Kafka, as plain functions.

Every message the hub receives is kept: an acceptable one as a ``hl7.adt.raw`` record (ACK AA once
the broker has it), one it can never accept as a ``hl7.adt.rejected`` record (ACK AE, or AR where
the sender should resend). The raw bytes travel base64-encoded so a person can replay them exactly.
Acceptable means what the normalize stage accepts: the listener runs the same check.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.episode.processing import is_production, set_apart
from hub.errors import Hl7Error
from hub.hl7.extract import normalize
from hub.hl7.header import MessageHeader, read_header

DEFAULT_ZONE = ZoneInfo("America/New_York")  # Settings' default (HUB_FACILITY_TZ unset)


def default_zone_for(_facility: str) -> ZoneInfo:
    return DEFAULT_ZONE


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
    check_failed: str | None = None  # exception type of a hub fault in the check, if one happened
    patient_key: str | None = None  # as normalize derived it, when the message passed its check

    @property
    def accepted(self) -> bool:
        return self.error is None

    @property
    def key(self) -> str:
        # One patient's messages share a key so they stay in order in one partition; without a
        # readable patient id, the sending facility keeps one feed's messages in order.
        if self.patient_key:  # the very key the episodes stage will use
            return self.patient_key
        if self.header is None:
            return "unknown"
        return self.header.patient_key or self.header.sending_facility or "unknown"


def triage(raw: bytes, *, zone_for: Callable[[str], ZoneInfo] = default_zone_for,
           phone_region: str = "US", refuse_non_production: bool = False) -> Triage:
    """The MSH, read cheaply to key the record and address the ACK, then the normalize stage's
    own fast-path check (``hub.hl7.extract.normalize``, tens of microseconds): what it would
    refuse (undecodable bytes, MSH-9/12 out of scope, no PID, bad MSH-2, empty MSH-10...) is
    answered AE/AR now with its reason and kept in ``hl7.adt.rejected``, not ACKed AA and
    dead-lettered later. The zone and phone region change values, never whether a message is
    accepted; they are passed so that the check is exactly the stage's.

    An exception other than ``Hl7Error`` is a fault of the hub, not of the message: it is
    accepted (the normalize stage dead-letters it with its bytes) and ``check_failed`` names
    the exception type for the log, never its text (it may quote patient data).

    A training or debugging message (MSH-11, ``hub.domain.episode.processing``) is keyed in the test
    namespace, or refused AR with ``refuse_non_production``."""
    try:
        header = read_header(raw)
    except Hl7Error as error:
        return Triage(None, error)
    try:
        event = normalize(raw, zone_for=zone_for, phone_region=phone_region)
    except Hl7Error as error:
        return Triage(header, error)
    except Exception as exc:  # a hub bug must not refuse, or lose, the sender's message
        return Triage(header, None, check_failed=type(exc).__name__)
    if refuse_non_production and not is_production(event["processing_id"]):
        return Triage(header, non_production_error(event["processing_id"]))
    return Triage(header, None, patient_key=set_apart(event)["patient"]["key"])


def non_production_error(processing_id: str) -> Hl7Error:
    return Hl7Error(f"MSH-11 processing id {processing_id[:10]!r} is not production (P): this "
                    "hub takes production messages only", code="unsupported_processing_id",
                    location="MSH-11", ack_code="AR")


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
