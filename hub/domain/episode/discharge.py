"""§2 A03 (and an A08 that changes the disposition): open an episode for a qualifying discharge,
record why not otherwise, and never open a second one while one is open (TCM-8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from hub.domain.calendar import local_date
from hub.domain.episode.eligibility import Eligibility, assess_discharge
from hub.domain.episode.lifecycle import (
    episode_id_for,
    new_episode,
    record_ineligible,
    start_outreach,
    stop_outreach,
)
from hub.domain.episode.outcome import Outcome, clear_alerts, end_alerts, raise_alert
from hub.domain.episode.record import INELIGIBLE, OPEN, VOIDED, Episode
from hub.domain.episode.release import release_due, resume_steps
from hub.domain.episode.rules import TcmRules


def discharge(outcome: Outcome, event: dict[str, Any], rules: TcmRules, now: datetime,
              cause: str) -> None:
    raw = event["visit"].get("discharge_at")
    discharge_at = datetime.fromisoformat(raw) if raw else now
    verdict = _verdict(outcome, event, rules)
    current = outcome.record.open_episode or _recorded_same_day(outcome, discharge_at, rules)
    if current is not None and _same_discharge(current, event, discharge_at, rules):
        _reassess(outcome, current, verdict, rules, now, cause)
    elif current is not None and current.is_open:
        _later_discharge(outcome, current, event, verdict, rules, now, cause)
    else:
        episode = new_episode(episode_id_for(outcome, event), outcome, event, discharge_at,
                              verdict, rules)
        verdict = _inside_window(verdict, episode, now)
        if not verdict.eligible:  # e.g. a replay of an old discharge
            episode = replace(episode, status=INELIGIBLE, reason=verdict.reason)
        episode = episode.noted(now, "discharge_assessed", cause, eligible=verdict.eligible,
                                reason=verdict.reason, flags=verdict.flags)
        if verdict.eligible:
            start_outreach(outcome, episode, rules, now, cause)
        else:
            record_ineligible(outcome, episode, now)


def reassess_if_same_discharge(outcome: Outcome, event: dict[str, Any], rules: TcmRules,
                               now: datetime, cause: str) -> None:
    """A08: a disposition for the discharge an episode stands for is a new verdict. An A08 with
    no disposition says nothing about eligibility (demographics only)."""
    visit = event["visit"]
    if not (visit.get("discharge_disposition") or "").strip():
        return
    latest = outcome.record.latest_episode
    if latest is None or latest.status not in (OPEN, INELIGIBLE):
        return
    raw = visit.get("discharge_at")
    discharge_at = datetime.fromisoformat(raw) if raw else None
    if _same_discharge(latest, event, discharge_at, rules):
        _reassess(outcome, latest, _verdict(outcome, event, rules), rules, now, cause)


def _verdict(outcome: Outcome, event: dict[str, Any], rules: TcmRules) -> Eligibility:
    """The event's eligibility, knowing what the record knows: a death an earlier message
    reported holds even when this one does not repeat PID-30 (ADT-5)."""
    if outcome.record.contactable.deceased:
        return Eligibility(False, "patient_deceased")
    return assess_discharge(event, rules)


def _inside_window(verdict: Eligibility, episode: Episode, now: datetime) -> Eligibility:
    """TCM-1: a discharge whose 30 days are over never starts outreach (a replay, a backfill),
    whether it arrives now or a correction makes it eligible later."""
    if verdict.eligible and now > episode.window_close:
        return Eligibility(False, "window_already_over")
    return verdict


def _recorded_same_day(outcome: Outcome, discharge_at: datetime, rules: TcmRules
                       ) -> Episode | None:
    latest = outcome.record.latest_episode
    same_day = latest is not None and latest.status == INELIGIBLE and \
        latest.discharge_date == local_date(discharge_at, rules.zone)
    return latest if same_day else None


def _same_discharge(episode: Episode, event: dict[str, Any], discharge_at: datetime | None,
                    rules: TcmRules) -> bool:
    """The event is about the discharge that opened (or was recorded as) ``episode``."""
    visit_number: str | None = event["visit"].get("visit_number")
    if visit_number and episode.visit_numbers:
        return visit_number == episode.visit_numbers[0]
    return discharge_at is not None and \
        local_date(discharge_at, rules.zone) == episode.discharge_date


def _reassess(outcome: Outcome, episode: Episode, verdict: Eligibility, rules: TcmRules,
              now: datetime, cause: str) -> None:
    """A corrected disposition: ineligible -> open starts outreach (unless another episode is
    open: TCM-8); open -> ineligible stops it and tells the care team (a person may know better
    than the correction)."""
    if verdict.reason == "patient_deceased":
        return  # death is handled for every event in apply_adt
    verdict = _inside_window(verdict, episode, now)
    other_open = outcome.record.open_episode
    if episode.status == INELIGIBLE and verdict.eligible and other_open is not None:
        _attach_recorded(outcome, episode, other_open, verdict, rules, now, cause)
        return
    changed = (episode.reason, episode.flags) != (verdict.reason, verdict.flags)
    episode = replace(episode, reason=verdict.reason, flags=verdict.flags)
    if episode.status == INELIGIBLE and verdict.eligible:
        episode = episode.noted(now, "reassessed_eligible", cause, reason=verdict.reason)
        start_outreach(outcome, episode, rules, now, cause)
    elif episode.is_open and not verdict.eligible:
        episode = end_alerts(outcome, stop_outreach(outcome, episode, rules, "reassessed"),
                             now, "reassessed_ineligible")
        episode = replace(episode, status=INELIGIBLE).noted(now, "reassessed_ineligible", cause,
                                                            reason=verdict.reason)
        outcome.save(raise_alert(outcome, episode, "eligibility_changed", "warning", now,
                                 reason=verdict.reason))
    elif changed:
        episode = episode.noted(now, "reassessed", cause, reason=verdict.reason)
        if episode.is_open:
            outcome.save(episode)
        else:
            record_ineligible(outcome, episode, now)


def _later_discharge(outcome: Outcome, episode: Episode, event: dict[str, Any],
                     verdict: Eligibility, rules: TcmRules, now: datetime, cause: str) -> None:
    """TCM-8: a later discharge inside the window joins the open episode. Home again after a
    readmission: outreach resumes. Discharged somewhere else (a SNF): it stays paused, and the
    care team is told."""
    visit_number = event["visit"].get("visit_number")
    if verdict.reason == "emergency_visit_only":
        outcome.save(clear_alerts(outcome, episode, now, "discharged_from_ed", "ed_return"
                                  ).noted(now, "ed_discharge", cause))
        return
    if verdict.reason == "patient_deceased":
        return
    if visit_number and visit_number not in episode.visit_numbers:
        episode = replace(episode, visit_numbers=(*episode.visit_numbers, visit_number))
    if not verdict.eligible:
        episode = episode.noted(now, "discharge_attached", cause, eligible=False,
                                reason=verdict.reason)
        outcome.save(raise_alert(outcome, episode, "later_discharge_not_eligible", "warning",
                                 now, reason=verdict.reason))
        return
    _attach_eligible(outcome, episode, verdict, rules, now, cause)


def _attach_recorded(outcome: Outcome, recorded: Episode, episode: Episode, verdict: Eligibility,
                     rules: TcmRules, now: datetime, cause: str) -> None:
    """TCM-8: a recorded discharge that a correction makes eligible while another episode is
    open (two records merged by A40) is a later discharge inside that window: it joins the open
    episode and is voided like a merged duplicate, never a second open episode."""
    numbers = tuple(dict.fromkeys(episode.visit_numbers + recorded.visit_numbers))
    outcome.save(replace(recorded, status=VOIDED, reason="attached_to_open_episode").noted(
        now, "reassessed_eligible_attached", cause, kept=episode.episode_id))
    _attach_eligible(outcome, replace(episode, visit_numbers=numbers), verdict, rules, now, cause)


def _attach_eligible(outcome: Outcome, episode: Episode, verdict: Eligibility, rules: TcmRules,
                     now: datetime, cause: str) -> None:
    """Home again after a readmission: outreach resumes with the steps still ahead."""
    if episode.paused_by:
        episode = resume_steps(replace(episode, paused_by=None), "readmission", now)
    episode = clear_alerts(outcome, episode, now, "discharged_again", "readmission",
                           "ed_return").noted(
        now, "discharge_attached", cause, eligible=True, reason=verdict.reason)
    episode, commands = release_due(episode, outcome.record.contactable, rules, now)
    outcome.commands += commands
    outcome.save(episode)
