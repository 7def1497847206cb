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

    @property
    def raised(self) -> list[CareAlert]:
        """The alerts raised or updated (without the ``alert_cleared`` records)."""
        return [a for a in self.alerts if a.event == "alert"]

    @property
    def cleared(self) -> list[CareAlert]:
        return [a for a in self.alerts if a.event == "alert_cleared"]

    def save(self, episode: Episode) -> Episode:
        """Put ``episode`` into the record (the one place a handler writes an episode back)."""
        self.record = self.record.with_episode(episode)
        return episode


def alert_id(episode: Episode, kind: str, occurrence: int | None = None) -> str:
    """Stable for as long as the alert is open, never reused: ``<episode_id>:<kind>`` the first
    time a kind is raised, ``<episode_id>:<kind>:<n>`` when it is raised again after clearing."""
    n = episode.alert_occurrences.get(kind, 1) if occurrence is None else occurrence
    return f"{episode.episode_id}:{kind}" if n <= 1 else f"{episode.episode_id}:{kind}:{n}"


def raise_alert(outcome: Outcome, episode: Episode, kind: str, severity: Severity,
                now: datetime, *, renotify: bool = False, **detail: Any) -> Episode:
    """One alert per (episode, kind) until it clears: a kind already raised is not sent again,
    unless ``renotify``: then the open alert is sent again under the same id with the next
    ``revision`` and the new detail (a patient's second urgent reply is news to a person)."""
    if kind in episode.alerts_raised and not renotify:
        return episode
    fresh = kind not in episode.alerts_raised
    occurrences = dict(episode.alert_occurrences)
    if fresh:
        occurrences[kind] = occurrences.get(kind, 0) + 1
    revision = 1 if fresh else episode.alert_revisions.get(kind, 1) + 1
    severity = severity if fresh else _highest(severity, episode.alert_severity.get(kind))
    episode = replace(episode, alert_occurrences=occurrences)
    outcome.alerts.append(CareAlert(
        alert_id=alert_id(episode, kind), kind=kind, episode_id=episode.episode_id,
        patient_key=episode.patient_key, facility=episode.facility, severity=severity, at=now,
        detail=plain(detail), revision=revision, program=episode.program,
        patient_name=outcome.record.contactable.given_name, control_id=episode.opened_by))
    raised = (*episode.alerts_raised, kind) if fresh else episode.alerts_raised
    return replace(episode, alerts_raised=raised,
                   alert_severity={**episode.alert_severity, kind: severity},
                   alert_revisions={**episode.alert_revisions, kind: revision})


def _highest(severity: Severity, before: str | None) -> Severity:
    """An update never lowers an open alert's severity."""
    order: tuple[Severity, ...] = ("info", "warning", "urgent")
    return severity if before not in order else max(severity, before, key=order.index)


def clear_alerts(outcome: Outcome, episode: Episode, now: datetime, reason: str,
                 *kinds: str) -> Episode:
    """The situation behind these kinds is resolved: each open one is cleared on the wire
    (``alert_cleared`` with the reason, under the alert's id) and the next occurrence is a new
    alert with a new id."""
    for kind in kinds:
        if kind in episode.alerts_raised:
            outcome.alerts.append(CareAlert(
                alert_id=alert_id(episode, kind), kind=kind, episode_id=episode.episode_id,
                patient_key=episode.patient_key, facility=episode.facility,
                severity=_severity(episode.alert_severity.get(kind)), at=now,
                revision=episode.alert_revisions.get(kind, 1), program=episode.program,
                event="alert_cleared", reason=reason, control_id=episode.opened_by))
    return replace(episode, alerts_raised=tuple(k for k in episode.alerts_raised
                                                if k not in kinds),
                   alert_severity={k: v for k, v in episode.alert_severity.items()
                                   if k not in kinds},
                   alert_revisions={k: v for k, v in episode.alert_revisions.items()
                                    if k not in kinds})


def move_alerts(outcome: Outcome, episode: Episode, prior_key: str, now: datetime) -> None:
    """A40: an episode's open alerts follow it to the surviving key. The care team's books are
    kept per patient key: each is cleared in the prior key's book as ``merged`` with the
    survivor named, and that book hands the case over as it is (acknowledgement, round,
    on-call level: ``hub.domain.alerts.lifecycle``); later clears under the survivor find it.
    The info notices stay where they were (they are the record, not work)."""
    for kind in episode.alerts_raised:
        severity = _severity(episode.alert_severity.get(kind))
        if severity != "info":
            outcome.alerts.append(CareAlert(
                alert_id=alert_id(episode, kind), kind=kind, episode_id=episode.episode_id,
                patient_key=prior_key, facility=episode.facility, severity=severity, at=now,
                revision=episode.alert_revisions.get(kind, 1), program=episode.program,
                control_id=episode.opened_by, event="alert_cleared", reason="merged",
                detail={"merged_into": episode.patient_key}))


def _severity(stored: str | None) -> Severity:
    return stored if stored in ("info", "warning", "urgent") else "warning"  # type: ignore[return-value]


# what the patient said stays in front of a person after the episode ends; only a person
# clears it (hub.domain.alerts)
PATIENT_SAID = frozenset({"urgent_reply", "unclassified_reply", "patient_opted_out"})


def end_alerts(outcome: Outcome, episode: Episode, now: datetime, reason: str) -> Episode:
    """The episode ends (closed, voided, deceased, merged away): its open alerts clear, with the
    reason, except what the patient said."""
    ending = tuple(k for k in episode.alerts_raised if k not in PATIENT_SAID)
    return clear_alerts(outcome, episode, now, reason, *ending) if ending else episode
