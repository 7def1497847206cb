"""Care-team actions and billing readiness (TCM-2..5)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hub.domain.actions import RuleViolation, apply_action, billing_readiness
from hub.domain.rules import TcmRules
from hub.domain.transitions import apply_adt, apply_tick
from tests.unit.episode_events import adt_event

NY = ZoneInfo("America/New_York")
RULES = TcmRules()
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=NY)


def opened():  # type: ignore[no-untyped-def]
    return apply_adt(None, adt_event("A03", "C1", discharge_at="2026-11-23T09:30:00-05:00"),
                     now=NOW, rules=RULES).record


def act(record, **action):  # type: ignore[no-untyped-def]
    return apply_action(record, {"by": "rn.lee", **action}, now=NOW, rules=RULES)[0]


def test_recorded_contact_stops_the_contact_escalations() -> None:
    """TCM-3: a person records the interactive contact; no contact_missed follows."""
    record = act(opened(), kind="contact", at="2026-11-24T11:00:00-05:00", channel="phone",
                 note="reviewed discharge instructions")
    tick = apply_tick(record, now=datetime(2026, 11, 26, 9, 0, tzinfo=NY), rules=RULES)
    assert not [a for a in tick.alerts if a.kind.startswith("contact")]
    assert record.open_episode.contact["by"] == "rn.lee"  # type: ignore[union-attr]


@pytest.mark.parametrize("action, code", [
    ({"kind": "visit", "at": "2027-01-10T10:00:00-05:00", "complexity": "high"},
     "visit_outside_window"),
    ({"kind": "visit", "at": "2026-11-28T10:00:00-05:00", "complexity": "low"}, "bad_complexity"),
    ({"kind": "contact", "at": "2026-11-24T11:00:00-05:00", "channel": "sms-bot"}, "bad_channel"),
    ({"kind": "contact", "at": "2026-11-20T11:00:00-05:00", "channel": "phone"},
     "before_discharge"),
    ({"kind": "contact", "at": "tomorrow", "channel": "phone"}, "bad_time"),
    ({"kind": "dance", "at": "2026-11-24T11:00:00-05:00"}, "bad_action"),
])
def test_actions_the_rules_refuse_say_why(action: dict[str, str], code: str) -> None:
    """TCM-1/3/4: each refusal carries a specific code."""
    with pytest.raises(RuleViolation) as caught:
        act(opened(), **action)
    assert caught.value.code == code


def test_no_open_episode_is_a_conflict() -> None:
    """Actions need an open episode (409)."""
    with pytest.raises(RuleViolation) as caught:
        apply_action(None, {"kind": "contact", "by": "x"}, now=NOW, rules=RULES)  # type: ignore[arg-type]
    assert (caught.value.code, caught.value.status) == ("episode_not_open", 409)


def test_billing_readiness_99496_needs_high_complexity_within_7_days() -> None:
    """TCM-4/5: contact in time, high-complexity visit by day 7 and med rec support 99496 and 99495."""
    record = act(opened(), kind="contact", at="2026-11-24T11:00:00-05:00", channel="phone")
    record = act(record, kind="med_rec", at="2026-11-28T10:00:00-05:00")
    before = billing_readiness(record.open_episode)  # type: ignore[arg-type]
    assert before["missing"] == ["face-to-face visit"]
    record = act(record, kind="visit", at="2026-11-28T10:00:00-05:00", complexity="high")
    assert billing_readiness(record.open_episode)["supportable"] == ["99496", "99495"]  # type: ignore[arg-type]


def test_two_timely_attempts_stand_in_for_contact() -> None:
    """TCM-3: two documented, timely, unsuccessful attempts still allow billing."""
    record = act(opened(), kind="attempt", at="2026-11-23T15:00:00-05:00", channel="phone",
                 outcome="no answer")
    record = act(record, kind="attempt", at="2026-11-24T15:00:00-05:00", channel="phone",
                 outcome="voicemail")
    missing = billing_readiness(record.open_episode)["missing"]  # type: ignore[arg-type]
    assert not any("contact" in m for m in missing)
