"""``hub simulate`` / ``hub tcm preview``: the core over a feed with a simulated clock (TCM, MSG)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hub.domain.rules import TcmRules
from hub.feed import Person, adt
from hub.simulate import preview, simulate

NY = ZoneInfo("America/New_York")
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


def test_opt_out_reply_stops_every_later_text(tmp_path: Path) -> None:
    """MSG-2: after STOP nothing more is sent."""
    actions = run(feed(tmp_path, datetime(2026, 11, 20, 16, 0, tzinfo=NY)),
                  [{"at": "2026-11-21T09:15:00-05:00", "from": "+16175550188", "text": "STOP"}])
    later = [a for a in actions if a["action"] in ("sms", "call") and a["at"] > "2026-11-21T09:15"]
    assert later == []


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
