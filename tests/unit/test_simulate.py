"""``hub simulate`` / ``hub tcm preview``: the core over a feed, simulated clock (TCM, MSG)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.cli.feed import Person, adt
from hub.cli.inputs import read_replies
from hub.cli.simulate import preview, simulate
from hub.domain.episode.rules import TcmRules
from hub.errors import InputError

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
ANA = Person("1", "DOE", "ANA", "19600101", "F", "(617) 555-0188")


def feed(tmp_path: Path, discharged: datetime, disposition: str = "01") -> Path:
    path = tmp_path / "feed.hl7"
    path.write_bytes(adt("A03", ANA, control_id="S1", at=discharged, disposition=disposition,
                         discharge_at=discharged))
    return path


def run(path: Path, replies: list[dict[str, str]] | None = None) -> list[dict]:  # type: ignore[type-arg]
    return simulate([path], rules_for=lambda _: TcmRules(), zone_for=lambda _: NY,
                    replies=replies)


def test_thirty_days_of_outreach_respect_hours_caps_and_deadlines(tmp_path: Path) -> None:
    """MSG-1/MSG-3/TCM-1/TCM-3: a 23:00 Friday discharge texts at 08:00 Saturday, escalates
    before and after the deadline, never texts twice a day, and closes after the window."""
    actions = run(feed(tmp_path, datetime(2026, 11, 20, 23, 0, tzinfo=NY)))
    texts = [a for a in actions if a["action"] in ("sms", "call")]
    assert texts[0]["template"] == "welcome_sms" and texts[0]["at"] == "2026-11-21T08:00:00-05:00"
    for text in texts:
        assert 8 <= datetime.fromisoformat(text["at"]).astimezone(NY).hour < 21
    days = [datetime.fromisoformat(t["at"]).astimezone(NY).date() for t in texts]
    assert len(days) == len(set(days))
    kinds = [a.get("kind") for a in actions if a["action"] == "alert"]
    assert kinds.index("contact_due_today") < kinds.index("contact_missed")
    assert actions[-1]["action"] == "episode_closed"


def test_urgent_reply_escalates_and_skips_the_call(tmp_path: Path) -> None:
    """§5: a '1' reply escalates at once; the business-day-1 call is no longer placed."""
    actions = run(feed(tmp_path, datetime(2026, 11, 20, 16, 0, tzinfo=NY)),
                  [{"at": "2026-11-21T09:15:00-05:00", "from": "+16175550188", "text": "1"}])
    urgent = [a for a in actions if a.get("kind") == "urgent_reply"]
    assert urgent and urgent[0]["at"] == "2026-11-21T09:15:00-05:00"
    assert not [a for a in actions if a["action"] == "call"]


@pytest.mark.parametrize("text", ["STOP", "Please stop. I am good.", "Stop. Who is this?",
                                  "I revoke my consent", "Por favor ya no me manden mensajes"])
def test_opt_out_reply_stops_every_later_text(tmp_path: Path, text: str) -> None:
    """MSG-2: after a revocation in any words nothing more is sent but the one confirmation
    (at once, the same minute), and the care team is told."""
    actions = run(feed(tmp_path, datetime(2026, 11, 20, 16, 0, tzinfo=NY)),
                  [{"at": "2026-11-21T09:15:00-05:00", "from": "+16175550188", "text": text}])
    later = [a for a in actions if a["action"] in ("sms", "call") and a["at"] > "2026-11-21T09:15"]
    assert [(a["template"], a["at"]) for a in later] == [
        ("opt_out_confirmation", "2026-11-21T09:15:00-05:00")]
    assert "START" in later[0]["text"]
    assert [a["kind"] for a in actions if a["action"] == "alert"
            and a["at"] == "2026-11-21T09:15:00-05:00"] == ["patient_opted_out"]


def test_preview_gives_eligibility_deadlines_and_plan(tmp_path: Path) -> None:
    """TCM-1/3/4/7: one object per discharge with the fields a hospital checks before go-live."""
    [item] = preview([feed(tmp_path, datetime(2026, 11, 20, 16, 0, tzinfo=NY))],
                     rules_for=lambda _: TcmRules(), zone_for=lambda _: NY)
    assert item["eligible"] and item["window_end"] == "2026-12-19"
    assert item["contact_due"].startswith("2026-11-24T23:59")
    assert (item["visit_due_99496"], item["visit_due_99495"]) == ("2026-11-27", "2026-12-04")
    assert [o["template"] for o in item["outreach"]][:2] == ["welcome_sms", "voice_call"]
    [snf] = preview([feed(tmp_path, datetime(2026, 11, 20, 16, 0, tzinfo=NY), "03")],
                    rules_for=lambda _: TcmRules(), zone_for=lambda _: NY)
    assert not snf["eligible"] and snf["reason"] == "disposition_not_eligible:03"


def test_a40_moves_the_episode_to_the_surviving_patient(tmp_path: Path) -> None:
    """§2 A40 / TCM-8: the simulation merges as the agents do; outreach goes on under the
    surviving id and the care team hears of the merge."""
    prior = Person("9", "DOE", "ANA", "19600101", "F", "(617) 555-0188")
    discharged = datetime(2026, 11, 20, 16, 0, tzinfo=NY)
    path = tmp_path / "feed.hl7"
    path.write_bytes(adt("A03", prior, control_id="S1", at=discharged, disposition="01",
                         discharge_at=discharged)
                     + adt("A40", ANA, control_id="M1", at=datetime(2026, 11, 21, 9, tzinfo=NY))
                     + b"MRG|9^^^GENHOSP^MR\r")
    actions = run(path)
    merged = [a for a in actions if a.get("kind") == "episodes_merged"]
    assert merged and merged[0]["patient"] == "GENHOSP|1"
    since = datetime.fromisoformat(merged[0]["at"])
    later = [a for a in actions if datetime.fromisoformat(a["at"]) > since]
    assert later and {a["patient"] for a in later} == {"GENHOSP|1"}
    assert actions[-1]["action"] == "episode_closed"


def test_rejected_messages_are_reported_at_their_own_time(tmp_path: Path) -> None:
    """ADT-2: a refused message gets its EVN-2/MSH-7 time, or the simulation start, and is
    reported in time order with everything else."""
    discharged = datetime(2026, 11, 20, 16, 0, tzinfo=NY)
    path = feed(tmp_path, discharged)
    path.write_bytes(path.read_bytes()
                     + b"MSH|^~\\&|EPICADT|GENHOSP|TCMHUB|TCMHUB|20261120170000||ADT^A03^ADT_A03"
                       b"|BAD1|P|2.5\rEVN|A03|20261120170000\r"
                     + b"MSH|^~\\&|EPICADT|GENHOSP|TCMHUB|TCMHUB|||ADT^A08^ADT_A01|BAD2|P|2.5\r")
    actions = run(path)
    rejected = [a for a in actions if a["action"] == "rejected"]
    assert [a["at"] for a in rejected] == ["2026-11-20T16:00:00-05:00",
                                           "2026-11-20T17:00:00-05:00"]
    assert actions.index(rejected[1]) > actions.index(
        next(a for a in actions if a["action"] == "episode_opened"))


def test_actions_are_ordered_by_instant_across_zones(tmp_path: Path) -> None:
    """MSG-3: texts carry the patient's local offset; the output is in real time order."""
    west = Person("2", "ROE", "BEA", "19600101", "F", "(415) 555-0199")
    path = tmp_path / "feed.hl7"
    path.write_bytes(
        adt("A03", ANA, control_id="S1", at=datetime(2026, 11, 20, 23, 0, tzinfo=NY),
            disposition="01", discharge_at=datetime(2026, 11, 20, 23, 0, tzinfo=NY))
        + adt("A03", west, control_id="S2", facility="WEST",
              at=datetime(2026, 11, 20, 20, 30, tzinfo=LA), disposition="01",
              discharge_at=datetime(2026, 11, 20, 20, 30, tzinfo=LA)))
    zones = {"WEST": LA}
    actions = simulate([path], rules_for=lambda f: TcmRules(zone=zones.get(f, NY)),
                       zone_for=lambda f: zones.get(f, NY))
    offsets = {a["at"][-6:] for a in actions}
    assert {"-05:00", "-08:00"} <= offsets
    instants = [datetime.fromisoformat(a["at"]) for a in actions]
    assert instants == sorted(instants)


def test_two_urgent_replies_each_reach_the_care_team(tmp_path: Path) -> None:
    """§5: "1", then "I fell and my chest hurts": the second reply updates the open urgent
    alert with its own words and time instead of vanishing."""
    actions = run(feed(tmp_path, datetime(2026, 11, 20, 16, 0, tzinfo=NY)), [
        {"at": "2026-11-21T09:15:00-05:00", "from": "+16175550188", "text": "1"},
        {"at": "2026-11-21T09:40:00-05:00", "from": "+16175550188",
         "text": "I fell and my chest hurts"}])
    urgent = [a for a in actions if a.get("kind") == "urgent_reply"]
    assert [(a["at"], a["reply_text"]) for a in urgent] == [
        ("2026-11-21T09:15:00-05:00", "1"),
        ("2026-11-21T09:40:00-05:00", "I fell and my chest hurts")]
    assert [(a["revision"], len(a["replies"])) for a in urgent] == [(1, 1), (2, 2)]


@pytest.mark.parametrize("content, problem", [
    ("not json\n", "line 1: not JSON"),
    ('{"at": "2026-11-21T09:15:00-05:00", "from": "+16175550188"}\n', "line 1: needs"),
    ('\n{"at": "tomorrow", "from": "+16175550188", "text": "1"}\n',
     "line 2: \"at\": expected an ISO 8601 time"),
    ('{"at": "2026-11-21T09:15:00", "from": "+16175550188", "text": "1"}\n', "needs an offset"),
    ('{"at": "2026-11-21T09:15:00Z", "from": "12", "text": "1"}\n', '"from" is not a phone'),
])
def test_a_bad_replies_file_is_refused_with_its_line(tmp_path: Path, content: str,
                                                     problem: str) -> None:
    """Bad input: each malformed --replies line is one clear error naming the line."""
    path = tmp_path / "replies.jsonl"
    path.write_text(content)
    with pytest.raises(InputError) as caught:
        read_replies(path)
    assert problem in str(caught.value)


def test_replies_from_a_number_as_people_write_it_reach_the_patient(tmp_path: Path) -> None:
    """ADT-4: "(617) 555-0188" in a replies file is the patient's E.164 number."""
    path = tmp_path / "replies.jsonl"
    path.write_text('{"at": "2026-11-21T09:15:00-05:00", "from": "(617) 555-0188", '
                    '"text": "help me"}\n')
    actions = run(feed(tmp_path, datetime(2026, 11, 20, 16, 0, tzinfo=NY)), read_replies(path))
    assert [a["kind"] for a in actions if a.get("kind") == "urgent_reply"] == ["urgent_reply"]
