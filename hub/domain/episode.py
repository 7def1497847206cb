"""Per-patient TCM state, stored as JSON in the ``episodes`` table.

A ``PatientRecord`` holds the patient's episodes (at most one open, TCM-8) and the ADT control
ids already applied, so replaying an event changes nothing. Every change is in the episode's
timeline with its cause (an ADT control id, a person, a tick) for the auditor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

OPEN, VOIDED, COMPLETED, EXPIRED, INELIGIBLE, STOPPED = (
    "open", "voided", "closed_completed", "closed_expired", "ineligible", "stopped")
MAX_REMEMBERED_IDS = 500


@dataclass(frozen=True)
class PlannedStep:
    step: str
    channel: str
    template: str
    not_before: str  # ISO 8601 with offset
    expires_at: str
    status: str = "planned"  # planned, released, cancelled, skipped


@dataclass(frozen=True)
class Episode:
    episode_id: str
    patient_key: str
    facility: str
    zone: str
    status: str
    reason: str
    discharge_at: str
    discharge_date: str
    window_end: str
    contact_due: str
    visit_due_99496: str
    visit_due_99495: str
    med_rec_due: str
    flags: tuple[str, ...] = ()
    plan: tuple[PlannedStep, ...] = ()
    contact: dict[str, Any] | None = None
    attempts: tuple[dict[str, Any], ...] = ()
    visit: dict[str, Any] | None = None
    med_rec: dict[str, Any] | None = None
    readmitted_by: str | None = None
    alerts_raised: tuple[str, ...] = ()
    timeline: tuple[dict[str, Any], ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    def noted(self, at: datetime, what: str, cause: str, **facts: Any) -> Episode:
        entry = {"at": at.isoformat(), "what": what, "cause": cause, **facts}
        return replace(self, timeline=(*self.timeline, entry))


@dataclass(frozen=True)
class Contactable:
    """What outreach may use: first name, phones, language, restrictions (ADT-4/5, MSG-5)."""

    given_name: str | None = None
    phones: tuple[dict[str, Any], ...] = ()
    language: str | None = None
    publicity_code: str | None = None
    protection: bool | None = None
    deceased: bool = False


@dataclass(frozen=True)
class PatientRecord:
    patient_key: str
    facility: str
    contactable: Contactable = field(default_factory=Contactable)
    episodes: tuple[Episode, ...] = ()
    applied: tuple[str, ...] = ()  # control ids already applied (idempotence)
    merged_into: str | None = None

    @property
    def open_episode(self) -> Episode | None:
        return next((e for e in reversed(self.episodes) if e.is_open), None)

    def with_episode(self, episode: Episode) -> PatientRecord:
        others = tuple(e for e in self.episodes if e.episode_id != episode.episode_id)
        return replace(self, episodes=(*others, episode))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PatientRecord:
        episodes = tuple(
            Episode(**{**e, "flags": tuple(e["flags"]),
                       "plan": tuple(PlannedStep(**s) for s in e["plan"]),
                       "attempts": tuple(e["attempts"]), "alerts_raised": tuple(e["alerts_raised"]),
                       "timeline": tuple(e["timeline"])})
            for e in data["episodes"])
        contactable = Contactable(**{**data["contactable"],
                                     "phones": tuple(data["contactable"]["phones"])})
        return cls(patient_key=data["patient_key"], facility=data["facility"],
                   contactable=contactable, episodes=episodes, applied=tuple(data["applied"]),
                   merged_into=data.get("merged_into"))
