"""What one engine call returns: the new record, the commands for outreach, the alerts for the
care team, and notes for the log (ids and reasons, never PHI)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from hub.domain.episode.record import Episode, PatientRecord
from hub.domain.messages import CareAlert, OutreachCommand
from hub.domain.records import plain

Severity = Literal["info", "warning", "urgent"]


@dataclass
class Outcome:
    record: PatientRecord
    commands: list[OutreachCommand] = field(default_factory=list)
    alerts: list[CareAlert] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def save(self, episode: Episode) -> Episode:
        """Put ``episode`` into the record (the one place a handler writes an episode back)."""
        self.record = self.record.with_episode(episode)
        return episode


def raise_alert(outcome: Outcome, episode: Episode, kind: str, severity: Severity,
                now: datetime, *, renotify: bool = False, **detail: Any) -> Episode:
    """One alert per (episode, kind) until it clears: a kind already raised is not sent again,
    unless ``renotify``: then the open alert is sent again under the same id with the next
    ``revision`` and the new detail (a patient's second urgent reply is news to a person)."""
    if kind in episode.alerts_raised and not renotify:
        return episode
    revision = episode.alert_revisions.get(kind, 1) + 1 if kind in episode.alerts_raised else 1
    severity = _highest(severity, episode.alert_severity.get(kind)) if revision > 1 else severity
    outcome.alerts.append(CareAlert(
        alert_id=f"{episode.episode_id}:{kind}", kind=kind, episode_id=episode.episode_id,
        patient_key=episode.patient_key, facility=episode.facility, severity=severity, at=now,
        detail=plain(detail), revision=revision))
    raised = episode.alerts_raised if revision > 1 else (*episode.alerts_raised, kind)
    return replace(episode, alerts_raised=raised,
                   alert_severity={**episode.alert_severity, kind: severity},
                   alert_revisions={**episode.alert_revisions, kind: revision})


def _highest(severity: Severity, before: str | None) -> Severity:
    """An update never lowers an open alert's severity."""
    order: tuple[Severity, ...] = ("info", "warning", "urgent")
    return severity if before not in order else max(severity, before, key=order.index)


def clear_alerts(episode: Episode, *kinds: str) -> Episode:
    """The situation behind these kinds is resolved: the next occurrence alerts again."""
    return replace(episode, alerts_raised=tuple(k for k in episode.alerts_raised
                                                if k not in kinds),
                   alert_severity={k: v for k, v in episode.alert_severity.items()
                                   if k not in kinds},
                   alert_revisions={k: v for k, v in episode.alert_revisions.items()
                                    if k not in kinds})
