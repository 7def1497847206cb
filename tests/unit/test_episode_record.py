"""A patient record's dict form (what the episodes table stores) is the same as the standard
library's ``asdict`` gives, without its deep copies (the stage writes a record per event)."""

from __future__ import annotations

from dataclasses import asdict

from hub.domain.episode.record import PatientRecord
from hub.domain.episode.transitions import apply_adt
from hub.domain.records import as_dict
from tests.unit.episode_events import DISCHARGE, NOW, RULES, adt_event


def test_a_record_with_an_open_episode_converts_as_asdict_does_and_back() -> None:
    outcome = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE, visit_number="V1"),
                        now=NOW, rules=RULES)
    record = outcome.record
    assert record.open_episode is not None and record.open_episode.plan
    assert as_dict(record) == asdict(record)
    assert PatientRecord.from_dict(record.to_dict()) == record
    for command in outcome.commands:
        assert command.to_dict()["command_id"] == command.command_id
