"""GET /alerts rows: the kinds each episode raised and nothing cleared, with the severity the
domain raises them with (one per episode and kind)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hub.api import alerts
from hub.api.alerts import AlertFilters, alert_rows
from hub.api.refusals import ApiRefusal
from hub.domain.episode.record import EXPIRED
from hub.domain.episode.transitions import apply_adt
from tests.unit.episode_events import DISCHARGE, NOW, RULES, adt_event, opened


def test_the_default_list_is_what_needs_a_person() -> None:
    """ADT-4: no reachable phone (warning) is listed; episode_opened (info) is not."""
    [row] = alert_rows(opened(phones=[]), AlertFilters())
    episode = opened(phones=[]).episodes[0]
    assert row == {"alert_id": f"{episode.episode_id}:no_reachable_phone",
                   "kind": "no_reachable_phone", "severity": "warning",
                   "episode_id": episode.episode_id, "patient_key": "GEN|77",
                   "facility": "GEN", "episode_status": "open", "revision": 1}


def test_severity_any_adds_the_notices_and_urgent_sorts_first() -> None:
    """severity=any lists info too; the merged list is urgent, warning, info."""
    filters = AlertFilters.from_query({"severity": "any"})
    rows = alert_rows(opened(phones=[]), filters)
    assert {r["kind"] for r in rows} == {"episode_opened", "no_reachable_phone"}
    urgent = {**rows[0], "kind": "readmission", "severity": "urgent", "alert_id": "x:readmission"}
    assert [r["severity"] for r in alerts.ordered([*rows, urgent], 10)] == [
        "urgent", "warning", "info"]
    assert len(alerts.ordered([*rows, urgent], 2)) == 2


def test_facility_filter_and_bad_severity() -> None:
    """facility= keeps one facility; an unknown severity is 422 bad_query."""
    assert alert_rows(opened(phones=[]), AlertFilters(facility="OTHER")) == []
    with pytest.raises(ApiRefusal) as refused:
        AlertFilters.from_query({"severity": "loud"})
    assert (refused.value.status, refused.value.code) == (422, "bad_query")


def test_the_severity_is_the_one_the_alert_was_raised_with() -> None:
    """A discharge that needs a person's review is a warning, not a notice: the list shows the
    severity the domain raised, so it is not hidden from the default list."""
    record = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE, disposition="9Z"),
                       now=NOW, rules=RULES).record
    [episode] = record.episodes
    assert episode.alert_severity["discharge_not_eligible"] == "warning"
    assert [r["kind"] for r in alert_rows(record, AlertFilters())] == ["discharge_not_eligible"]


def test_a_closed_episode_lists_only_what_the_patient_said() -> None:
    """Stale deadline alerts of a closed episode are not listed; a patient's reply is."""
    episode = replace(opened(phones=[]).episodes[0], status=EXPIRED)
    episode = replace(episode, alerts_raised=(*episode.alerts_raised, "urgent_reply"),
                      alert_severity={**episode.alert_severity, "urgent_reply": "urgent"})
    record = replace(opened(phones=[]), episodes=(episode,))
    assert [r["kind"] for r in alert_rows(record, AlertFilters())] == ["urgent_reply"]
