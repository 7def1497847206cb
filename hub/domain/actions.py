"""Care-team actions on an episode (TCM-3, TCM-4, TCM-5): each checks the rules and says why it
refuses. Only a person records the qualifying interactive contact (TCM-3: automated texts alone
are not the contact)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from hub.domain.episode import COMPLETED, Episode, PatientRecord
from hub.domain.rules import TcmRules
from hub.errors import HubError

CHANNELS = frozenset({"phone", "video", "in_person", "portal", "email"})
KINDS = frozenset({"contact", "attempt", "visit", "med_rec", "close"})


class RuleViolation(HubError):
    """A care-team action the rules do not allow; ``code`` says which rule, the message why."""

    def __init__(self, message: str, *, code: str, status: int = 422):
        super().__init__(message, code=code, retriable=False)
        self.status = status


def validate_action(record: PatientRecord | None, action: dict[str, Any]) -> Episode:
    """The open episode the action applies to, or a RuleViolation (the API's 404/409/422)."""
    kind = action.get("kind")
    if kind not in KINDS:
        raise RuleViolation(f"unknown action {kind!r}; one of {sorted(KINDS)}", code="bad_action")
    if not action.get("by"):
        raise RuleViolation("every action names the person who took it ('by')", code="missing_by")
    episode = record.open_episode if record else None
    if episode is None:
        raise RuleViolation("the patient has no open episode", code="episode_not_open", status=409)
    at = _moment(action, "at")
    if at.date() < date.fromisoformat(episode.discharge_date):
        raise RuleViolation("the action is dated before the discharge", code="before_discharge")
    if kind in ("contact", "attempt") and action.get("channel") not in CHANNELS:
        raise RuleViolation(f"channel must be one of {sorted(CHANNELS)}", code="bad_channel")
    if kind == "visit":
        if at.date() > date.fromisoformat(episode.window_end):
            raise RuleViolation("the visit is after the 30-day window (TCM-1)",
                                code="visit_outside_window")
        if action.get("complexity") not in ("high", "moderate"):
            raise RuleViolation("visit complexity must be 'high' or 'moderate' (TCM-4)",
                                code="bad_complexity")
    return episode


def apply_action(record: PatientRecord, action: dict[str, Any], *, now: datetime,
                 rules: TcmRules) -> tuple[PatientRecord, Episode]:
    episode = validate_action(record, action)
    kind, by, at = action["kind"], action["by"], _moment(action, "at")
    cause = f"care team: {by}"
    entry = {"at": at.isoformat(), "by": by, **{k: action[k] for k in ("channel", "note",
             "outcome", "complexity", "reason") if k in action}}
    if kind == "contact":
        episode = replace(episode, contact=entry)
    elif kind == "attempt":
        episode = replace(episode, attempts=(*episode.attempts, entry))
    elif kind == "visit":
        episode = replace(episode, visit=entry)
    elif kind == "med_rec":
        episode = replace(episode, med_rec=entry)
    else:
        status = COMPLETED if episode.contact and episode.visit else "closed_by_care_team"
        episode = replace(episode, status=status)
    episode = episode.noted(now, f"recorded_{kind}", cause)
    return record.with_episode(episode), episode


def billing_readiness(episode: Episode) -> dict[str, Any]:
    """Which of 99495/99496 the evidence supports, and what is missing (TCM-2..5)."""
    missing = []
    contact_ok = bool(episode.contact) and datetime.fromisoformat(
        episode.contact["at"]) <= datetime.fromisoformat(episode.contact_due)
    attempts_ok = sum(1 for a in episode.attempts
                      if datetime.fromisoformat(a["at"]) <= datetime.fromisoformat(
                          episode.contact_due)) >= 2
    if not (contact_ok or attempts_ok):
        missing.append("interactive contact (or two timely attempts) within 2 business days")
    visit_day = date.fromisoformat(episode.visit["at"][:10]) if episode.visit else None
    if visit_day is None:
        missing.append("face-to-face visit")
    if not episode.med_rec:
        missing.append("medication reconciliation")
    supportable = []
    if not missing and visit_day is not None:
        high = episode.visit and episode.visit.get("complexity") == "high"
        if high and visit_day <= date.fromisoformat(episode.visit_due_99496):
            supportable.append("99496")
        if visit_day <= date.fromisoformat(episode.visit_due_99495):
            supportable.append("99495")
    return {"supportable": supportable, "missing": missing}


def _moment(action: dict[str, Any], field: str) -> datetime:
    try:
        value = datetime.fromisoformat(str(action[field]))
    except (KeyError, ValueError) as exc:
        raise RuleViolation(f"'{field}' must be an ISO 8601 time with offset",
                            code="bad_time") from exc
    if value.tzinfo is None:
        raise RuleViolation(f"'{field}' needs an offset", code="bad_time")
    return value
