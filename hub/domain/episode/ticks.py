"""The periodic "what is due now" evaluation (§5) and when it is next needed.

Timers never write tables (architecture): a worker's timer finds patients whose ``next_due`` has
come and sends a tick through Kafka; the episodes agent calls ``apply_tick``, which releases due
steps, escalates the contact deadline (TCM-3) and closes the episode after day 30 (TCM-1).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.domain.episode.lifecycle import close_if_window_over
from hub.domain.episode.outcome import Outcome, raise_alert
from hub.domain.episode.record import Episode, PatientRecord
from hub.domain.episode.release import release_due
from hub.domain.episode.rules import TcmRules

JUST_AFTER = timedelta(microseconds=1)  # deadlines are inclusive: "passed" is the next instant


def apply_tick(record: PatientRecord, *, now: datetime, rules: TcmRules) -> Outcome:
    outcome = Outcome(record)
    close_if_window_over(outcome, rules, now)
    episode = outcome.record.open_episode
    if episode is None:
        return outcome
    episode, commands = release_due(episode, record.contactable, rules, now)
    outcome.commands += commands
    outcome.save(_visit_check(outcome, _escalate(outcome, episode, now), now))
    return outcome


def _visit_check(outcome: Outcome, episode: Episode, now: datetime) -> Episode:
    """TCM-4 / §5: no face-to-face visit recorded a few days before its 99495 date."""
    if episode.visit is None and episode.visit_alert_at is not None and \
            now >= episode.visit_alert_at:
        return raise_alert(outcome, episode, "visit_not_recorded", "warning", now,
                           visit_due_99496=episode.visit_due_99496,
                           visit_due_99495=episode.visit_due_99495, rule="TCM-4")
    return episode


def _escalate(outcome: Outcome, episode: Episode, now: datetime) -> Episode:
    """TCM-3 / §5: no contact recorded by the start of business day 2 -> contact_due_today;
    deadline passed -> contact_missed with the attempts made so far."""
    if episode.contact:
        return episode
    if now > episode.contact_due:
        attempts = [{k: a.get(k) for k in ("at", "channel", "outcome", "by")}
                    for a in episode.attempts]
        return raise_alert(outcome, episode, "contact_missed", "urgent", now,
                           contact_due=episode.contact_due, attempts=attempts)
    if now >= episode.contact_escalation_at and \
            "contact_missed" not in episode.alerts_raised:
        return raise_alert(outcome, episode, "contact_due_today", "warning", now,
                           contact_due=episode.contact_due, attempts=len(episode.attempts))
    return episode


def next_due(record: PatientRecord) -> datetime | None:
    """When this patient next needs a tick: a step to release, an escalation, the day-30 close;
    None when nothing is open."""
    episode = record.open_episode
    if episode is None:
        return None
    moments = [episode.window_close + JUST_AFTER]
    if not episode.paused_by:
        moments += [s.not_before for s in episode.plan
                    if s.status == "planned"]
    if not episode.contact and "contact_missed" not in episode.alerts_raised:
        moments.append(episode.contact_due + JUST_AFTER)
        if "contact_due_today" not in episode.alerts_raised:
            moments.append(episode.contact_escalation_at)
    if episode.visit is None and episode.visit_alert_at is not None and \
            "visit_not_recorded" not in episode.alerts_raised:
        moments.append(episode.visit_alert_at)
    return min(moments)
