"""Dead letters: the record a person fixes and replays from, an output like any other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from agents.deadletter import dead_letter
from agents.topics import Topics

RECORD = {"control_id": "MSG1", "sending_facility": "GEN", "received_at": "2026-11-23T15:00:00Z",
          "sha256": "ab", "raw_b64": "TVNI"}


@dataclass
class Deadletters:
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    down: bool = False

    async def send(self, *, key: str, value: dict[str, Any]) -> None:
        if self.down:
            raise ConnectionError("broker gone")
        self.sent.append((key, value))


@dataclass
class FakeTopics:
    deadletter: Deadletters = field(default_factory=Deadletters)


async def test_a_dead_letter_keeps_the_bytes_the_reason_and_the_location() -> None:
    """Nothing is lost: stage, code, message, HL7 location and the raw bytes, keyed by facility."""
    topics = FakeTopics()
    await dead_letter(cast(Topics, topics), "normalize", RECORD, code="missing_segment",
                      message="the PID segment is missing", location="PID")
    [(key, letter)] = topics.deadletter.sent
    assert key == "GEN" and letter["raw_b64"] == "TVNI" and letter["record"] is None
    assert (letter["stage"], letter["code"], letter["location"]) == (
        "normalize", "missing_segment", "PID")


async def test_a_dead_letter_that_cannot_be_written_is_not_swallowed() -> None:
    """Nothing is lost: a letter that fails to go out fails the batch that owes it (which then
    retries, its input unacknowledged), instead of being logged and dropped."""
    topics = FakeTopics(Deadletters(down=True))
    with pytest.raises(ConnectionError):
        await dead_letter(cast(Topics, topics), "episodes", {"kind": "reply"},
                          code="internal_error", message="boom")
