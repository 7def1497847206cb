"""Care-team actions on an episode (TCM-3, TCM-4, TCM-5): each checks the rules and refuses with
a ``RuleViolation`` that says which rule. Only a person records the qualifying interactive
contact (TCM-3: automated texts and calls alone are not the contact).

Documentation lags care: contact, attempts, visit and medication reconciliation can still be
recorded on an episode the day-30 tick closed, and an expired one becomes completed when the
evidence now supports a code. Voided, ineligible and deceased episodes take no actions.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.calendar import start_of_day
from hub.domain.episode.billing import billing_readiness
from hub.domain.episode.lifecycle import close_episode
from hub.domain.episode.outcome import Outcome, clear_alerts, raise_alert
from hub.domain.episode.record import (
    CLOSED_BY_CARE_TEAM,
    COMPLETED,
    EXPIRED,
    Episode,
    PatientRecord,
)
from hub.domain.episode.release import stop_steps
from hub.domain.episode.rules import TcmRules
from hub.errors import HubError

CHANNELS = frozenset({"phone", "video", "in_person", "portal", "email"})
KINDS = frozenset({"contact", "attempt", "visit", "med_rec", "close"})
RECORDABLE_AFTER_CLOSE = frozenset({COMPLETED, EXPIRED})
CLOCK_SKEW = timedelta(minutes=5)  # an action "now" from a browser a little ahead of the hub

__all__ = ["RuleViolation", "apply_action", "billing_readiness", "validate_action"]


class RuleViolation(HubError):
    """A care-team action the rules do not allow; ``code`` says which rule, the message why,
    ``status`` the HTTP answer (404/409/422)."""

    def __init__(self, message: str, *, code: str, status: int = 422):
        super().__init__(message, code=code, retriable=False)
        self.status = status


def validate_action(record: PatientRecord | None, action: dict[str, Any],
                    now: datetime | None = None) -> Episode:
    """The episode the action applies to, or a RuleViolation (the API's synchronous answer).

    ``now`` adds the "not dated in the future" check. Only the API passes it: the agent applies
    what the API accepted, later, and must not refuse it then for a reason nobody would see.
    """
    kind = action.get("kind")
    if kind not in KINDS:
        raise RuleViolation(f"unknown action {kind!r}; one of {sorted(KINDS)}", code="bad_action")
    if not action.get("by"):
        raise RuleViolation("every action names the person who took it ('by')", code="missing_by")
    episode = _target(record, action)
    if kind == "close":
        if not action.get("reason"):
            raise RuleViolation("closing needs a reason", code="missing_reason")
        return episode
    at = _moment(action, episode)
    if (kind in ("contact", "attempt") and at < episode.discharge_at) or \
            _local_day(at, episode) < episode.discharge_date:
        raise RuleViolation("the action is dated before the discharge", code="before_discharge")
    if kind in ("contact", "attempt") and action.get("channel") not in CHANNELS:
        raise RuleViolation(f"channel must be one of {sorted(CHANNELS)}", code="bad_channel")
    if kind == "attempt" and not action.get("outcome"):
        raise RuleViolation("an attempt says what happened ('outcome')", code="missing_outcome")
    if kind == "visit":
        if _local_day(at, episode) > episode.window_end:
            raise RuleViolation("the visit is after the 30-day window (TCM-1)",
                                code="visit_outside_window")
        if action.get("complexity") not in ("high", "moderate"):
            raise RuleViolation("visit complexity must be 'high' or 'moderate' (TCM-4)",
                                code="bad_complexity")
    if now is not None and at > now + CLOCK_SKEW:
        raise RuleViolation("the action is dated in the future", code="in_the_future")
    if kind in ("contact", "visit", "med_rec") and getattr(episode, kind) is not None:
        raise RuleViolation(f"a {kind} is already recorded for this episode",
                            code="already_recorded", status=409)
    return episode


def action_key(action: dict[str, Any]) -> str | None:
    """What a record remembers once the action is applied (an action without an id: nothing)."""
    return f"action:{action['action_id']}" if action.get("action_id") else None


def apply_action(record: PatientRecord, action: dict[str, Any], *, now: datetime,
                 rules: TcmRules) -> Outcome:
    applied_id = action_key(action)
    if applied_id and record is not None and applied_id in record.applied:
        return Outcome(record, notes=[f"already applied: {applied_id}"])
    episode = validate_action(record, action)
    outcome = Outcome(record.remembering(applied_id) if applied_id else record)
    kind, cause = action["kind"], f"care team: {action['by']}"
    if kind == "close":
        status = COMPLETED if billing_readiness(episode, rules)["supportable"] \
            else CLOSED_BY_CARE_TEAM
        close_episode(outcome, episode.noted(now, "recorded_close", cause,
                                             reason=action["reason"]),
                      rules, now, cause, status)
        return outcome
    at = _moment(action, episode)
    entry: dict[str, Any] = {"at": at, "date": _local_day(at, episode),
             "by": action["by"], **{k: action[k] for k in ("channel", "note", "outcome",
                                                          "complexity") if k in action}}
    if kind == "contact":
        entry["on_time"] = at <= episode.contact_due
        # a person spoke with the patient: a later urgent reply must alert again
        episode = clear_alerts(outcome, replace(episode, contact=entry), now,
                               "contact_recorded", "urgent_reply", "unclassified_reply",
                               "contact_due_today", "contact_missed")
    elif kind == "attempt":
        episode = replace(episode, attempts=(*episode.attempts, entry))
    elif kind == "visit":
        episode = clear_alerts(outcome, replace(episode, visit=entry), now, "visit_recorded",
                               "visit_not_recorded")
        if episode.med_rec is None:  # TCM-5: reconciliation is due by the visit
            episode = raise_alert(outcome, episode, "med_rec_missing", "warning", now,
                                  visit_date=entry["date"], rule="TCM-5")
    else:
        episode = clear_alerts(outcome, replace(episode, med_rec=entry), now,
                               "med_rec_recorded", "med_rec_missing")
    episode, cancels = stop_steps(episode, outcome.record.contactable, rules, kind,
                                  lambda step: kind in step.stop_when)
    outcome.commands += cancels
    episode = episode.noted(now, f"recorded_{kind}", cause)
    if episode.status == EXPIRED and billing_readiness(episode, rules)["supportable"]:
        episode = replace(episode, status=COMPLETED).noted(now, "completed_by_late_evidence",
                                                           cause)
    outcome.save(episode)
    return outcome


def _target(record: PatientRecord | None, action: dict[str, Any]) -> Episode:
    """The open episode, or the one named by ``episode_id``, or the latest closed at day 30
    (documentation after the window) for anything but ``close``."""
    if record is None:
        raise RuleViolation("no such patient", code="episode_not_open", status=409)
    named = record.episode(action["episode_id"]) if action.get("episode_id") else None
    latest = record.latest_episode
    episode = named or record.open_episode or (
        latest if latest is not None and action.get("kind") != "close"
        and latest.status in RECORDABLE_AFTER_CLOSE else None)
    if episode is None or not (episode.is_open or (
            episode.status in RECORDABLE_AFTER_CLOSE and action.get("kind") != "close")):
        raise RuleViolation("the patient has no open episode", code="episode_not_open",
                            status=409)
    return episode


def _moment(action: dict[str, Any], episode: Episode) -> datetime:
    """An ISO time with offset; a visit or med rec may give just its date (facility-local)."""
    raw = str(action.get("at", ""))
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise RuleViolation("'at' must be an ISO 8601 time with offset", code="bad_time") from exc
    if len(raw) == 10 and action.get("kind") in ("visit", "med_rec"):
        return start_of_day(value.date(), ZoneInfo(episode.zone))
    if value.tzinfo is None:
        raise RuleViolation("'at' needs an offset", code="bad_time")
    return value


def _local_day(at: datetime, episode: Episode) -> date:
    return at.astimezone(ZoneInfo(episode.zone)).date()
