"""Every stage's dead letters can be replayed (issue 9, item 4): an exported letter names the
topic and key its record came from; one without them is refused with the file named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hub.cli.main import main
from hub.cli.replay import replayable
from hub.errors import ConfigError


def letter(tmp_path: Path, name: str, **fields: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"topic": "adt.deadletter", "code": "internal_error",
                                "stage": "episodes", **fields}))
    return path


def test_a_stage_record_goes_back_to_its_topic_and_key(tmp_path: Path) -> None:
    """Nothing is lost: an episodes-stage letter replays its event to adt.events, keyed by
    the patient, exactly as it was."""
    record = {"kind": "reply", "patient_key": "GEN|77", "reply_text": "1"}
    path = letter(tmp_path, "deadletter-00001-x.json", record=record,
                  source_topic="outreach.events", source_key="GEN|77")
    assert replayable(path) == ("outreach.events", "GEN|77", record)


@pytest.mark.parametrize("fields, problem", [
    ({"record": None, "raw_b64": "TVNI"}, "hub replay the .hl7"),
    ({"record": {"a": 1}, "source_topic": "adt.deadletter", "source_key": "K"}, "not ones"),
    ({"record": {"a": 1}, "source_topic": "adt.events", "source_key": ""}, "not ones"),
])
def test_a_letter_that_cannot_be_replayed_is_named(tmp_path: Path, fields: dict[str, Any],
                                                   problem: str) -> None:
    """Bad input: raw HL7 (hub replay), a topic no stage reads, no key: a clear refusal."""
    path = letter(tmp_path, "deadletter-00002-y.json", **fields)
    with pytest.raises(ConfigError, match=r"deadletter-00002-y\.json") as caught:
        replayable(path)
    assert problem in str(caught.value)


def test_the_command_checks_every_file_before_sending(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    """Bad input: a missing or broken file is one line on stderr, exit 2, nothing sent."""
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main(["deadletters", "replay", str(tmp_path / "missing.json")]) == 2
    assert main(["deadletters", "replay", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "missing.json" in err and "broken.json" in err and "Traceback" not in err
