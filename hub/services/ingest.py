"""The ingest service: triage, keep, acknowledge. Shared by MLLP, the HTTP endpoint and replay.

The ACK is sent only after the broker acknowledged the write (ADT-9): AA for a kept message, AE for
content the sender must fix (kept in ``hl7.adt.rejected``), AR when the broker did not take it or
MSH-9/12 is unsupported (the sender resends unchanged).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from hub.clock import Clock
from hub.errors import BrokerUnavailable, Hl7Error
from hub.hl7.ack import ack_wanted, build_ack
from hub.hl7.header import MessageHeader, read_header
from hub.hl7.mllp import FramingProblem
from hub.logs import get_logger
from hub.services.triage import Received, Triage, default_zone_for, raw_record, triage
from hub.topic_names import RAW, REJECTED

log = get_logger("hub.ingest")



class RawSink(Protocol):
    async def write(self, topic: str, key: str, value: dict[str, Any]) -> None:
        """Return once the broker has the record (acks=all); raise BrokerUnavailable otherwise."""

    async def reachable(self, timeout: float = 2.0) -> bool:
        """Whether the broker answers now (readiness), within ``timeout`` seconds."""


@dataclass(frozen=True)
class IngestResult:
    ack: bytes
    ack_code: str
    topic: str | None  # where the message was kept; None when the broker did not take it
    reply: bool = True  # False when enhanced mode's MSH-15 (NE, ER, SU) asked for no such ACK
    facility: str | None = None  # MSH-4 when the header could be read (metrics, logs)


class Ingestor:
    """``raw_topic``/``rejected_topic`` are the pipeline's by default; ``hub bench`` passes its own
    so that benchmark messages never enter a live feed. ``zone_for`` and ``phone_region`` are the
    normalize stage's (``Settings.zone_for``, ``Settings.phone_region``), so the listener checks
    a message exactly as that stage will read it."""

    def __init__(self, sink: RawSink, clock: Clock, *, raw_topic: str = RAW,
                 rejected_topic: str = REJECTED,
                 zone_for: Callable[[str], ZoneInfo] = default_zone_for,
                 phone_region: str = "US", refuse_non_production: bool = False):
        self._sink = sink
        self._clock = clock
        self._raw, self._rejected = raw_topic, rejected_topic
        self._zone_for, self._phone_region = zone_for, phone_region
        self._refuse_non_production = refuse_non_production
        self._ack_ids = itertools.count(1)

    async def ingest(self, raw: bytes, *, transport: str, peer: str | None) -> IngestResult:
        now = self._clock.now()
        received = Received(raw, transport, peer, now)
        decision = triage(raw, zone_for=self._zone_for, phone_region=self._phone_region,
                          refuse_non_production=self._refuse_non_production)
        if decision.check_failed is not None:
            log.warning("ingest.check_failed", control_id=_control_id(decision),
                        error=decision.check_failed)  # accepted: normalize dead-letters it
        topic = self._raw if decision.accepted else self._rejected
        try:
            await self._sink.write(topic, decision.key, raw_record(received, decision))
        except BrokerUnavailable as exc:
            log.warning("ingest.broker_unavailable", control_id=_control_id(decision),
                        error=str(exc))
            error = Hl7Error("the hub could not store the message; resend it unchanged",
                             code="broker_unavailable", ack_code="AR")
            return self._not_kept(decision.header, error)
        if decision.error is not None:
            log.info("ingest.rejected", control_id=_control_id(decision),
                     code=decision.error.code, location=decision.error.location)
            return self._ack(decision.header, decision.error.ack_code, decision.error, topic)
        log.debug("ingest.accepted", control_id=_control_id(decision))
        return self._ack(decision.header, "AA", None, topic)

    async def ingest_problem(self, problem: FramingProblem, *, transport: str, peer: str | None
                             ) -> IngestResult | None:
        """Keep bytes that did not frame as a message. An oversized frame is still answered (AE),
        so the sender learns why; garbage between frames or a frame cut off by a closed
        connection has nobody to answer."""
        error = Hl7Error(f"MLLP framing problem ({problem.kind}): {problem.detail}",
                         code=f"mllp_{problem.kind}", ack_code="AE")
        try:
            header: MessageHeader | None = read_header(problem.data)
        except Hl7Error:
            header = None
        decision = Triage(header, error)
        received = Received(problem.data, transport, peer, self._clock.now())
        try:
            await self._sink.write(self._rejected, decision.key, raw_record(received, decision))
        except BrokerUnavailable:
            log.warning("ingest.framing_problem_lost", kind=problem.kind)
            return self._not_kept(header, error) if problem.kind == "oversized" else None
        log.info("ingest.framing_problem", kind=problem.kind, size=len(problem.data))
        if problem.kind != "oversized":
            return None
        return self._ack(header, "AE", error, self._rejected)

    def _not_kept(self, header: Any, error: Hl7Error) -> IngestResult:
        """AR, and always sent: a sender whose MSH-15 asked for no ACK (NE, SU) would otherwise
        never learn that its message was not stored, and would not resend it."""
        return replace(self._ack(header, "AR", error, None), reply=True)

    def _ack(self, header: Any, code: str, error: Hl7Error | None, topic: str | None
             ) -> IngestResult:
        now = self._clock.now()
        control_id = f"TCMHUB{now:%Y%m%d%H%M%S}{next(self._ack_ids):06d}"
        ack = build_ack(header, code, now=now, control_id=control_id, error=error)
        facility = getattr(header, "sending_facility", None)
        return IngestResult(ack, code, topic, reply=ack_wanted(header, code), facility=facility)


def _control_id(decision: Any) -> str | None:
    return decision.header.control_id if decision.header is not None else None


@dataclass
class MemorySink:
    """In-memory fake of the broker: keeps what was written, or fails like a broker that is down.
    The raw sink contract suite (``tests/integration/test_raw_sink_contract.py``) holds it and
    ``KafkaSink`` to the same behaviour."""

    records: list[tuple[str, str, dict[str, Any]]]
    down: bool = False

    async def reachable(self, timeout: float = 2.0) -> bool:
        return not self.down

    async def write(self, topic: str, key: str, value: dict[str, Any]) -> None:
        if self.down:
            raise BrokerUnavailable("broker is down (fake)")
        self.records.append((topic, key, value))
