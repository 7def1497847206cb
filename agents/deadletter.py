"""One way to dead-letter a record: the stage, a code, a message a person can act on, the HL7
location, and the raw bytes (replayed with ``hub replay``) or the record itself with the topic
and key it came from (replayed with ``hub deadletters replay``).

A dead letter is an output of the batch that handled the record (``agents.batches``): it is on
Kafka before the record's offset is committed, like every other output, or the record is read
again."""

from __future__ import annotations

from typing import Any

from agents.topics import Topics
from hub.adapters.metrics import DEAD_LETTERS


def letter_for(stage: str, record: dict[str, Any], *, code: str, message: str,
               location: str | None = None, source: str | None = None,
               key: str | None = None) -> tuple[str, dict[str, Any]]:
    """The dead letter for ``record`` and the key it is written under (its facility)."""
    DEAD_LETTERS.labels(stage, code).inc()
    letter = {
        "stage": stage,
        "code": code,
        "message": message,
        "location": location,
        "control_id": record.get("control_id"),
        "sending_facility": record.get("sending_facility"),
        "received_at": record.get("received_at"),
        "sha256": record.get("sha256"),
        "raw_b64": record.get("raw_b64"),
        "record": None if "raw_b64" in record else record,
        "source_topic": source,
        "source_key": key,
    }
    return record.get("sending_facility") or "unknown", letter


async def dead_letter(topics: Topics, stage: str, record: dict[str, Any], *, code: str,
                      message: str, location: str | None = None, source: str | None = None,
                      key: str | None = None) -> None:
    """For code written against ``Topics``: ``topics`` are a batch's (``Batch.topics``), so the
    letter is queued with the batch's other outputs."""
    key, letter = letter_for(stage, record, code=code, message=message, location=location,
                             source=source, key=key)
    await topics.deadletter.send(key=key, value=letter)
