"""``hub hl7 parse``: one JSON object per message, refusals explained, non-zero exit on any."""

from __future__ import annotations

import io
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from hub.cli.hl7 import parse_files

NY = ZoneInfo("America/New_York")


def test_events_and_refusals_one_json_line_each(corpus_dir: Path) -> None:
    """ADT-9: a good and a bad file give an event line and an error line, and exit status 1."""
    out = io.StringIO()
    status = parse_files([corpus_dir / "STREAM_cosyte_2.hl7", corpus_dir / "A01_cosyte_5.hl7"],
                         zone_for=lambda _: NY, phone_region="US", out=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert status == 1
    assert [(x["file"], x["message"], x["ok"]) for x in lines] == [
        ("STREAM_cosyte_2.hl7", 1, True), ("STREAM_cosyte_2.hl7", 2, True),
        ("A01_cosyte_5.hl7", 1, False)]
    assert lines[1]["event"]["event_type"] == "A03"
    assert lines[2]["error"] == {"code": "bad_segment_id", "ack": "AE", "location": "segment 3",
                                 "message": "segment 3 has an invalid segment id 'pid' (ids are "
                                            "upper case): ids are three upper-case letters or "
                                            "digits followed by the field separator"}


def test_all_good_exits_zero(corpus_dir: Path) -> None:
    """A clean sample feed exits 0."""
    assert parse_files([corpus_dir / "A03_emap_1.hl7"], zone_for=lambda _: NY,
                       phone_region="US", out=io.StringIO()) == 0
