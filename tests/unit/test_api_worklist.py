"""The worklist rows of GET /episodes: next deadline (TCM-1, 3, 4, 5), filters, order and limit,
and billing readiness under the facility's rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest

from hub.api import worklist
from hub.api.refusals import ApiRefusal
from hub.api.worklist import WorklistFilters, next_deadline, worklist_rows
from hub.domain.episode.actions import apply_action
from hub.domain.episode.lifecycle import close_episode
from hub.domain.episode.outcome import Outcome
from hub.domain.episode.record import PatientRecord
from tests.unit.episode_events import NOW, RULES, at, opened


def act(record: PatientRecord, **action: Any) -> PatientRecord:
    return apply_action(record, {"by": "rn.lee", **action}, now=at("2026-11-24 12:00"),
                        rules=RULES).record


def contacted() -> PatientRecord:
    return act(opened(), kind="contact", channel="phone", at="2026-11-24T11:00:00-05:00")


def row(record: PatientRecord, now: datetime = NOW, **filters: Any) -> dict[str, Any]:
    [only] = worklist_rows(record, WorklistFilters(**filters), now=now, rules=RULES)
    return only


def test_a_new_episode_is_due_for_its_contact() -> None:
    """TCM-3: Monday discharge -> next deadline is the contact, end of Wednesday, New York."""
    found = row(opened())
    assert found["next_due_for"] == "contact" and found["overdue"] is False
    assert datetime.fromisoformat(found["next_due"]) == datetime.fromisoformat(
        "2026-11-25T23:59:59.999999-05:00")
    assert found["patient_key"] == "GEN|77" and found["contact_recorded"] is False
    assert "face-to-face visit" in found["missing"]
    assert found["open_alerts"] == []  # the routine notice is not an open alert a person works


def test_after_the_contact_the_visit_is_next_and_moves_to_99495_once_99496_passed() -> None:
    """TCM-4: the 99496 date (day +7) while it can be met, then the 99495 date (day +14)."""
    episode = contacted().episodes[0]
    assert next_deadline(episode, NOW)[1] == "visit"
    assert next_deadline(episode, NOW)[0].date() == date(2026, 11, 30)
    assert next_deadline(episode, at("2026-12-01 08:00"))[0].date() == date(2026, 12, 7)


def test_med_rec_is_due_by_the_visit_and_nothing_missing_means_the_window_end() -> None:
    """TCM-5 / TCM-1: med rec by the visit's date; all recorded -> day 30."""
    visited = act(contacted(), kind="visit", at="2026-11-27", complexity="high")
    when, what = next_deadline(visited.episodes[0], NOW)
    assert (what, when.date()) == ("med_rec", date(2026, 11, 27))
    done = act(visited, kind="med_rec", at="2026-11-27")
    when, what = next_deadline(done.episodes[0], NOW)
    assert (what, when.date()) == ("window_end", date(2026, 12, 22))


def test_a_missed_deadline_stays_next_and_is_overdue() -> None:
    """TCM-3: a passed contact deadline is still the next one, flagged overdue."""
    found = row(opened(), now=at("2026-11-26 09:00"))
    assert found["next_due_for"] == "contact" and found["overdue"] is True


def test_closed_episodes_are_listed_only_on_request_and_have_no_deadline() -> None:
    """The default is open episodes; status=any shows a closed one, without next_due."""
    record = opened()
    outcome = Outcome(record)
    close_episode(outcome, record.episodes[0], RULES, NOW, "test", "closed_by_care_team")
    closed = outcome.record
    assert worklist_rows(closed, WorklistFilters(), now=NOW, rules=RULES) == []
    listed = row(closed, statuses=worklist.STATUSES)
    assert listed["status"] == "closed_by_care_team" and listed["next_due"] is None


@pytest.mark.parametrize("due_before, listed", [
    (date(2026, 11, 25), True),  # by the end of that day in the facility's zone
    (date(2026, 11, 24), False),
    (datetime.fromisoformat("2026-11-26T05:00:00+00:00"), True),
    (datetime.fromisoformat("2026-11-25T12:00:00-05:00"), False),
])
def test_due_before_keeps_episodes_due_by_then(due_before: date, listed: bool) -> None:
    """due_before: a date is the end of that facility-local day; a time is an instant."""
    rows = worklist_rows(opened(), WorklistFilters(due_before=due_before), now=NOW, rules=RULES)
    assert bool(rows) is listed


def test_facility_filter() -> None:
    """facility= keeps only that sending facility's episodes."""
    assert worklist_rows(opened(), WorklistFilters(facility="OTHER"), now=NOW, rules=RULES) == []
    assert row(opened(), facility="GEN")["facility"] == "GEN"


def test_rows_from_every_worker_are_ordered_by_deadline_instant_and_cut() -> None:
    """Merge: earliest next_due first whatever the offset, no deadline last, then the limit."""
    rows = [{"patient_key": "C", "episode_id": "3", "next_due": None},
            {"patient_key": "B", "episode_id": "2", "next_due": "2026-11-25T23:00:00-05:00"},
            {"patient_key": "A", "episode_id": "1", "next_due": "2026-11-26T03:00:00+00:00"}]
    assert [r["patient_key"] for r in worklist.ordered(rows, 10)] == ["A", "B", "C"]
    assert [r["patient_key"] for r in worklist.ordered(rows, 1)] == ["A"]


def test_billing_missing_uses_the_facility_rules() -> None:
    """TCM-3: a facility that counts one documented attempt sees the contact as met."""
    record = act(opened(), kind="attempt", channel="phone", outcome="no answer",
                 at="2026-11-24T11:00:00-05:00")
    lenient = replace(RULES, attempts_for_billing=1)
    by_facility = {"GEN": lenient}
    [found] = worklist.collect([record], WorklistFilters(), now=NOW, rules=by_facility.__getitem__)
    assert not [m for m in found["missing"] if "interactive contact" in m]
    assert [m for m in row(record)["missing"] if "interactive contact" in m]


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "many"}, {"limit": "10001"},
                                   {"status": "pending"}, {"due_before": "soon"},
                                   {"due_before": "2026-11-25T12:00:00"},
                                   {"due_before": "2026-11-25T12:00:00 05:00"}])
def test_bad_queries_are_refused_with_a_code(query: dict[str, str]) -> None:
    """422 bad_query for a limit, status or due_before the API cannot read; a time's refusal
    says a date will do and how a + travels in a URL (a raw + arrives as a space)."""
    with pytest.raises(ApiRefusal) as refused:
        WorklistFilters.from_query(query)
    assert (refused.value.status, refused.value.code) == (422, "bad_query")
    if "due_before" in query:
        assert "%2B" in str(refused.value)


def test_query_defaults_and_any() -> None:
    """No parameters: open episodes, 100 rows; status=any means every status."""
    assert WorklistFilters.from_query({}) == WorklistFilters()
    assert WorklistFilters.from_query({"status": "any"}).statuses == worklist.STATUSES
    assert WorklistFilters.from_query({"due_before": "2026-11-25"}).due_before == \
        date(2026, 11, 25)


def test_the_phone_to_call_is_the_one_the_hub_texts_never_a_fax() -> None:
    """ADT-4: the worklist's number to call is ranked as the texts' target is: a fax listed
    first is passed over for the mobile."""
    from tests.unit.episode_events import MOBILE

    fax = {"e164": "+16175550999", "use": "WPN", "equipment": "FX"}
    record = opened(phones=[fax, MOBILE])
    assert worklist.demographics(record, NOW)["phone"] == MOBILE["e164"]
