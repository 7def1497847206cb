"""TCM-9 and §4: an admission (A01, A06) inside an open episode is a readmission: outreach pauses
and the care team is told the same day. A11 (cancel admit) retracts it and outreach resumes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from hub.domain.episode.lifecycle import stop_outreach
from hub.domain.episode.outcome import Outcome, clear_alerts, raise_alert
from hub.domain.episode.release import release_due, resume_steps
from hub.domain.episode.rules import TcmRules


def readmission(outcome: Outcome, event: dict[str, Any], rules: TcmRules, now: datetime,
                cause: str) -> None:
    episode = outcome.record.open_episode
    if episode is None:
        return  # an admission outside any episode is not a readmission
    visit = event["visit"]
    visit_number = visit.get("visit_number")
    if visit_number and visit_number in episode.visit_numbers:
        outcome.notes.append("admission message for the discharged visit itself: not a readmission")
        return
    entry = {"control_id": event["control_id"], "event_type": event["event_type"],
             "admit_at": visit.get("admit_at") or event.get("occurred_at"),
             "visit_number": visit_number, "retracted_by": None}
    episode = replace(episode, readmissions=(*episode.readmissions, entry),
                      paused_by=event["control_id"])
    episode = stop_outreach(outcome, episode, rules, "readmission").noted(now, "readmitted", cause)
    outcome.save(raise_alert(outcome, episode, "readmission", "urgent", now,
                             event_type=event["event_type"], admit_at=entry["admit_at"],
                             contact_due=episode.contact_due))


def cancel_admit(outcome: Outcome, event: dict[str, Any], rules: TcmRules, now: datetime,
                 cause: str) -> None:
    """§2 A11: retract the readmission its admission raised; when none is left, outreach
    resumes with the steps still ahead."""
    episode = outcome.record.open_episode
    if episode is None or not episode.readmitted:
        return
    index = _retracted_by(episode.readmissions, event["visit"].get("visit_number"))
    if index is None:
        outcome.notes.append("A11 for a visit no readmission names: the patient stays admitted")
        return
    readmissions = list(episode.readmissions)
    readmissions[index] = {**readmissions[index], "retracted_by": event["control_id"]}
    episode = replace(episode, readmissions=tuple(readmissions)).noted(
        now, "readmission_retracted", cause)
    if not episode.readmitted:
        episode = resume_steps(replace(episode, paused_by=None), "readmission", now)
        episode = clear_alerts(outcome, episode, now, "readmission_retracted", "readmission",
                               "readmission_retracted")
        episode = raise_alert(outcome, episode, "readmission_retracted", "info", now)
        episode, commands = release_due(episode, outcome.record.contactable, rules, now)
        outcome.commands += commands
    outcome.save(episode)


def _retracted_by(readmissions: tuple[dict[str, Any], ...], visit_number: str | None
                  ) -> int | None:
    """The active readmission an A11 cancels: the one with its visit number; the latest only
    when the A11 or the entry has none. A number that matches nothing retracts nothing: the
    patient may still be an inpatient, and resuming outreach would text them there (TCM-9)."""
    active = [i for i, r in enumerate(readmissions) if not r.get("retracted_by")]
    if visit_number:
        matching = [i for i in active if readmissions[i].get("visit_number") == visit_number]
        active = matching or [i for i in active if not readmissions[i].get("visit_number")]
    return active[-1] if active else None
