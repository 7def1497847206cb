"""``hub simulate`` shows the alerts' life: raised, notified (channel, team), escalated and
cleared, and ``--actions`` shows what a recorded contact or visit clears (TCM-3, TCM-4, §5)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.cli.feed import Person, adt
from hub.cli.inputs import read_actions
from hub.cli.simulate import simulate
from hub.domain.alerts.routing import Person as Staff
from hub.domain.alerts.routing import Routing, Team
from hub.domain.episode.rules import TcmRules
from hub.errors import InputError

NY = ZoneInfo("America/New_York")
ANA = Person("7", "DOE", "ANA", "19600101", "F", "(617) 555-0177")
KEY = "GENHOSP|7"
ROUTING = Routing(teams={"general": Team("general", on_call=("kim", "lee"),
                                        channels=("sms", "webhook"), webhook="https://h/x",
                                        webhook_secret="s" * 20)},
                  people={"kim": Staff("kim", "Kim", "+12025550111"),
                          "lee": Staff("lee", "Lee", "+12025550112")},
                  default_team="general", escalate_after=timedelta(minutes=20))
MONDAY = datetime(2026, 11, 23, 14, 0, tzinfo=NY)  # contact due end of Wednesday (TCM-3)


def run(tmp_path: Path, messages: list[bytes], actions: list[dict[str, Any]] | None = None
        ) -> list[dict[str, Any]]:
    path = tmp_path / "feed.hl7"
    path.write_bytes(b"".join(messages))
    return simulate([path], rules_for=lambda _: TcmRules(), zone_for=lambda _: NY,
                    actions=actions, routing=ROUTING, days=20)


def discharge() -> bytes:
    return adt("A03", ANA, control_id="D1", at=MONDAY, disposition="01", discharge_at=MONDAY)


def of(actions: list[dict[str, Any]], name: str, kind: str) -> list[dict[str, Any]]:
    return [a for a in actions if a["action"] == name and a.get("kind") == kind]


def test_contact_due_today_is_notified_and_a_recorded_contact_clears_it(tmp_path: Path) -> None:
    """TCM-3 / §5: at 08:00 on business day 2 the team is told; the call recorded at 10:00
    clears it, and the deadline is never missed."""
    actions = run(tmp_path, [discharge()], [
        {"at": "2026-11-25T10:00:00-05:00", "patient": KEY, "kind": "contact", "by": "rn.lee",
         "channel": "phone", "action_id": "a1"}])
    [raised] = of(actions, "alert", "contact_due_today")
    assert raised["at"] == "2026-11-25T08:00:00-05:00"
    notified = of(actions, "alert_notified", "contact_due_today")
    assert {(a["channel"], a["team"], a.get("person")) for a in notified} == {
        ("sms", "general", "kim"), ("webhook", "general", None)}
    assert of(actions, "alert_escalated", "contact_due_today") == []  # a warning: no page-down
    [cleared] = of(actions, "alert_cleared", "contact_due_today")
    assert (cleared["at"], cleared["reason"]) == ("2026-11-25T10:00:00-05:00", "contact_recorded")
    assert of(actions, "alert", "contact_missed") == []


def test_an_unacknowledged_readmission_escalates_to_the_next_on_call(tmp_path: Path) -> None:
    """TCM-9: urgent the same day; 20 minutes without an acknowledgement -> the next contact;
    the next discharge clears it."""
    readmitted = MONDAY + timedelta(days=1)
    home = readmitted + timedelta(days=2)
    actions = run(tmp_path, [discharge(), adt("A01", ANA, control_id="R1", at=readmitted),
                             adt("A03", ANA, control_id="D2", at=home, disposition="01",
                                 discharge_at=home)])
    [escalated] = of(actions, "alert_escalated", "readmission")
    assert escalated["at"] == (readmitted + timedelta(minutes=20)).isoformat()
    assert (escalated["from_person"], escalated["to_person"]) == ("kim", "lee")
    [cleared] = of(actions, "alert_cleared", "readmission")
    assert cleared["reason"] == "discharged_again"


def test_a_refused_action_is_shown_with_its_rule(tmp_path: Path) -> None:
    actions = run(tmp_path, [discharge()], [
        {"at": "2026-11-24T10:00:00-05:00", "patient": KEY, "kind": "visit", "by": "dr.x",
         "at_visit": "x", "complexity": "extreme", "action_id": "a1"}])
    [refused] = [a for a in actions if a["action"] == "action_refused"]
    assert refused["code"]


@pytest.mark.parametrize("line, words", [
    ("not json", "line 1: not JSON"),
    ('{"at": "2026-11-25T10:00:00", "patient": "K", "kind": "contact", "by": "x"}', "offset"),
    ('{"patient": "K", "kind": "contact"}', 'needs "at", "patient", "kind" and "by"'),
    ("", "no actions"),
])
def test_a_bad_actions_file_names_the_line(tmp_path: Path, line: str, words: str) -> None:
    path = tmp_path / "actions.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(InputError, match=words):
        read_actions(path)
    assert read_actions(_good(tmp_path))[0]["action_id"] == "simulated-1"


def _good(tmp_path: Path) -> Path:
    path = tmp_path / "good.jsonl"
    path.write_text(json.dumps({"at": "2026-11-25T10:00:00-05:00", "patient": "K",
                                "kind": "contact", "by": "x"}) + "\n")
    return path
