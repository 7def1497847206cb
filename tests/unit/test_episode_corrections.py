"""Corrections that arrive after the fact: an A11 for another visit (TCM-9), an A08 for a
discharge whose window is over (TCM-1) or for a merged record while an episode is open (TCM-8)."""

from __future__ import annotations

from datetime import timedelta

from hub.domain.episode.merge import merge_records
from hub.domain.episode.record import PatientRecord
from hub.domain.episode.transitions import apply_adt
from tests.unit.episode_events import DISCHARGE, KEY, NOW, RULES, adt_event, at, opened

OLD = "GEN|OLD"
NEXT_MORNING = at("2026-11-24 09:00")


def readmitted(visit_number: str | None = "V2") -> PatientRecord:
    return apply_adt(opened(), adt_event("A01", "C2", visit_number=visit_number),
                     now=NEXT_MORNING, rules=RULES).record


def test_a11_for_a_visit_no_readmission_names_keeps_outreach_paused() -> None:
    """TCM-9 / §2 A11: cancelling another admission leaves the readmitted patient paused."""
    outcome = apply_adt(readmitted(), adt_event("A11", "C3", visit_number="V9"),
                        now=at("2026-11-24 09:30"), rules=RULES)
    episode = outcome.record.episodes[0]
    assert episode.readmitted and episode.paused_by == "C2"
    assert outcome.commands == [] and outcome.alerts == []


def test_a11_falls_back_to_the_latest_only_without_a_visit_number() -> None:
    """TCM-9 / §2 A11: no number on the A11 or on the readmission -> the latest is retracted."""
    for record, number in ((readmitted(), None), (readmitted(None), "V9")):
        outcome = apply_adt(record, adt_event("A11", "C3", visit_number=number),
                            now=at("2026-11-24 09:30"), rules=RULES)
        assert not outcome.record.episodes[0].readmitted
        assert [a.kind for a in outcome.raised] == ["readmission_retracted"]
        assert [(a.kind, a.reason) for a in outcome.cleared] == [
            ("readmission", "readmission_retracted")]


def test_a08_does_not_reopen_a_discharge_whose_window_is_over() -> None:
    """TCM-1: a replayed old discharge stays window_already_over when an A08 corrects it."""
    late = NOW + timedelta(days=40)
    replayed = apply_adt(None, adt_event("A03", "C1", discharge_at=DISCHARGE, visit_number="V1",
                                         disposition="03"), now=late, rules=RULES).record
    outcome = apply_adt(replayed, adt_event("A08", "C2", discharge_at=DISCHARGE,
                                            visit_number="V1", disposition="01"),
                        now=late + timedelta(hours=1), rules=RULES)
    [episode] = outcome.record.episodes
    assert (episode.status, episode.reason) == ("ineligible", "window_already_over")
    assert outcome.commands == [] and "episode_opened" not in [a.kind for a in outcome.raised]


def test_a08_making_a_merged_discharge_eligible_attaches_it_to_the_open_episode() -> None:
    """TCM-8: after an A40, a correction of the prior's ineligible discharge joins the open
    episode instead of opening a second one."""
    prior = apply_adt(None, adt_event("A03", "P1", key=OLD, visit_number="P2", disposition="03",
                                      discharge_at="2026-11-24T08:00:00-05:00"),
                      now=NEXT_MORNING, rules=RULES).record
    merged = merge_records(opened(), prior, KEY, now=at("2026-11-24 09:30"), rules=RULES).record
    outcome = apply_adt(merged, adt_event("A08", "C5", visit_number="P2", disposition="01",
                                          discharge_at="2026-11-24T08:00:00-05:00"),
                        now=at("2026-11-24 11:00"), rules=RULES)
    statuses = [(e.status, e.reason) for e in outcome.record.episodes]
    assert statuses == [("open", "disposition:01"), ("voided", "attached_to_open_episode")]
    kept = outcome.record.open_episode
    assert kept is not None and kept.visit_numbers == ("V1", "P2")
    assert "episode_opened" not in [a.kind for a in outcome.raised]
