"""When the episodes engine raises and clears each care-team alert, at its boundary times:
business days and holidays (TCM-3), the visit deadline across a DST change (TCM-4), the
medication reconciliation at the visit (TCM-5), and what a recorded contact or visit clears."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.domain.calendar import BusinessCalendar
from hub.domain.episode.actions import apply_action
from hub.domain.episode.record import PatientRecord
from hub.domain.episode.rules import TcmRules
from hub.domain.episode.ticks import apply_tick
from hub.domain.episode.transitions import apply_adt
from tests.unit.episode_events import RULES, adt_event, at, opened

NY = ZoneInfo("America/New_York")


def raised(record: PatientRecord, when: datetime, rules: TcmRules = RULES) -> list[str]:
    return [a.kind for a in apply_tick(record, now=when, rules=rules).raised]


@pytest.mark.parametrize("discharge, day2_start", [
    ("2026-11-23T09:30:00-05:00", "2026-11-25 08:00"),  # Monday -> Wednesday
    ("2026-11-25T15:00:00-05:00", "2026-11-30 08:00"),  # Wednesday before Thanksgiving -> Monday
    ("2026-12-31T22:00:00-05:00", "2027-01-05 08:00"),  # New Year's Eve: Jan 1 is a holiday
])
def test_tcm3_contact_due_today_at_the_start_of_business_day_2(discharge: str,
                                                                day2_start: str) -> None:
    """TCM-3 / §5: business days skip weekends and US federal holidays."""
    record = apply_adt(None, adt_event("A03", "C1", discharge_at=discharge, visit_number="V1"),
                       now=datetime.fromisoformat(discharge), rules=RULES).record
    start = at(day2_start)
    assert "contact_due_today" not in raised(record, start - timedelta(seconds=1))
    assert "contact_due_today" in raised(record, start)


def test_tcm3_a_facility_holiday_moves_the_alert() -> None:
    """TCM-3 (CONTESTED holidays): a facility's own holiday is not a business day: closed on
    Tuesday 24, Thanksgiving on Thursday 26 -> business day 2 is Friday 27."""
    rules = TcmRules(calendar=BusinessCalendar(extra_closed=frozenset({date(2026, 11, 24)})))
    record = opened(rules)
    assert "contact_due_today" not in raised(record, at("2026-11-27 07:59"), rules)
    assert "contact_due_today" in raised(record, at("2026-11-27 08:00"), rules)


def test_tcm3_a_recorded_contact_clears_both_contact_alerts() -> None:
    missed = apply_tick(apply_tick(opened(), now=at("2026-11-25 08:00"), rules=RULES).record,
                        now=at("2026-11-26 00:00"), rules=RULES).record
    late = apply_action(missed, {"kind": "contact", "by": "rn.lee", "channel": "phone",
                                 "at": "2026-11-26T09:00:00-05:00"},
                        now=at("2026-11-26 09:05"), rules=RULES)
    assert sorted((a.kind, a.reason) for a in late.cleared) == [
        ("contact_due_today", "contact_recorded"), ("contact_missed", "contact_recorded")]


@pytest.mark.parametrize("discharge, alert_at", [
    # 99495 date = discharge + 14; the alert 2 days before it, at 08:00 facility time
    ("2026-11-23T09:30:00-05:00", "2026-12-05 08:00"),
    # across the spring-forward change (8 March 2026): 08:00 EDT, not 08:00 EST
    ("2026-02-25T09:30:00-05:00", "2026-03-09 08:00"),
])
def test_tcm4_visit_not_recorded_two_days_before_the_99495_date(discharge: str,
                                                                alert_at: str) -> None:
    record = apply_adt(None, adt_event("A03", "C1", discharge_at=discharge, visit_number="V1"),
                       now=datetime.fromisoformat(discharge), rules=RULES).record
    when = at(alert_at)
    assert record.episodes[0].visit_alert_at == when
    assert "visit_not_recorded" not in raised(_with_contact(record), when - timedelta(seconds=1))
    tick = apply_tick(_with_contact(record), now=when, rules=RULES)
    [alert] = [a for a in tick.raised if a.kind == "visit_not_recorded"]
    assert alert.detail["rule"] == "TCM-4" and alert.severity == "warning"
    visit = apply_action(tick.record, {"kind": "visit", "by": "dr.kim", "complexity": "moderate",
                                       "at": when.isoformat()},
                         now=when + timedelta(hours=1), rules=RULES)
    assert [(a.kind, a.reason) for a in visit.cleared] == [("visit_not_recorded",
                                                            "visit_recorded")]


def test_tcm4_a_visit_recorded_in_time_raises_nothing() -> None:
    record = apply_action(opened(), {"kind": "visit", "by": "dr.kim", "complexity": "high",
                                     "at": "2026-11-27T10:00:00-05:00"},
                          now=at("2026-11-27 11:00"), rules=RULES).record
    assert "visit_not_recorded" not in raised(record, at("2026-12-05 08:00"))


def test_tcm5_med_rec_missing_at_the_visit_and_cleared_when_recorded() -> None:
    visit = apply_action(opened(), {"kind": "visit", "by": "dr.kim", "complexity": "high",
                                    "at": "2026-11-27T10:00:00-05:00"},
                         now=at("2026-11-27 11:00"), rules=RULES)
    [alert] = [a for a in visit.raised if a.kind == "med_rec_missing"]
    assert alert.detail["rule"] == "TCM-5"
    med_rec = apply_action(visit.record, {"kind": "med_rec", "by": "pharm.d",
                                          "at": "2026-11-27T12:00:00-05:00"},
                           now=at("2026-11-27 12:05"), rules=RULES)
    assert [(a.kind, a.reason) for a in med_rec.cleared] == [("med_rec_missing",
                                                              "med_rec_recorded")]
    done_first = apply_action(opened(), {"kind": "med_rec", "by": "pharm.d",
                                         "at": "2026-11-26T10:00:00-05:00"},
                              now=at("2026-11-26 11:00"), rules=RULES).record
    again = apply_action(done_first, {"kind": "visit", "by": "dr.kim", "complexity": "high",
                                      "at": "2026-11-27T10:00:00-05:00"},
                         now=at("2026-11-27 11:00"), rules=RULES)
    assert "med_rec_missing" not in [a.kind for a in again.raised]


def _with_contact(record: PatientRecord) -> PatientRecord:
    """The contact recorded, so only the visit alert is left to look at."""
    episode = record.episodes[0]
    at_ = episode.discharge_at + timedelta(hours=2)
    return apply_action(record, {"kind": "contact", "by": "rn.lee", "channel": "phone",
                                 "at": at_.isoformat()}, now=at_, rules=RULES).record



def test_tcm3_business_day_2_starts_at_08_00_in_the_facility_zone() -> None:
    """TCM-3: the deadline and its alert are the facility's local times (Los Angeles here)."""
    la = ZoneInfo("America/Los_Angeles")
    rules = TcmRules(zone=la)
    record = apply_adt(None, adt_event("A03", "C1", discharge_at="2026-11-23T09:30:00-08:00",
                                       visit_number="V1"),
                       now=datetime(2026, 11, 23, 10, 0, tzinfo=la), rules=rules).record
    start = datetime(2026, 11, 25, 8, 0, tzinfo=la)  # 11:00 in New York
    assert "contact_due_today" not in raised(record, start - timedelta(seconds=1), rules)
    assert "contact_due_today" in raised(record, start, rules)
