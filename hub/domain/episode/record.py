"""Per-patient TCM state, stored as JSON in the ``episodes`` table.

A ``PatientRecord`` (one per patient key) holds the patient's episodes (at most one open, TCM-8),
what outreach may use to reach them (``Contactable``), and the ids of the events and actions
already applied, so a replay changes nothing. Every change to an episode is in its timeline with
its cause (an ADT control id, a person, a tick) for the auditor. Opt-out is not here: it belongs
to the phone number and lives in the outreach stage.

An episode's deadlines and a step's times are typed (``datetime`` with its offset, ``date``);
they are converted once, at the edge: ``to_dict`` writes them as ISO 8601 (dates as
``YYYY-MM-DD``) and ``from_dict`` reads them back, so the table holds JSON and
``from_dict(to_dict(r)) == r``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.calendar import end_of_day
from hub.domain.records import as_dict_with, plain

OPEN, VOIDED, INELIGIBLE = "open", "voided", "ineligible"
COMPLETED, EXPIRED, DECEASED, CLOSED_BY_CARE_TEAM = (
    "closed_completed", "closed_expired", "closed_deceased", "closed_by_care_team")
MAX_REMEMBERED_IDS = 500  # event/action ids kept for idempotence; redeliveries come soon after
# typed in the record, ISO 8601 in its JSON (``to_dict`` / ``from_dict``)
_EPISODE_TIMES = ("discharge_at", "contact_due", "contact_escalation_at")
_EPISODE_DATES = ("discharge_date", "window_end", "visit_due_99496", "visit_due_99495",
                  "med_rec_due")
_STEP_TIMES = ("not_before", "expires_at")
# recorded evidence (a contact, a visit, a med rec, each attempt): a dict of what its source
# gave, with its moment ``at`` (datetime) and, for a care-team record, its local ``date``
_EVIDENCE = ("contact", "visit", "med_rec")


@dataclass(frozen=True)
class PlannedStep:
    """One step of the §5 plan. ``stop_when`` names the facts that make it pointless
    (``contact``, ``reply``, ``visit``); ``to`` is the phone it was released to, so a cancel
    reaches the same outreach partition."""

    step: str
    channel: str
    template: str
    not_before: datetime
    expires_at: datetime
    purpose: str = "follow_up"  # or "reminder" (ADT-5 restrictions)
    stop_when: tuple[str, ...] = ()
    status: str = "planned"  # planned, released, cancelled, skipped, expired
    to: str | None = None
    reason: str | None = None  # why cancelled or skipped

    def to_dict(self) -> dict[str, Any]:
        return as_dict_with(self, _STEP_JSON)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlannedStep:
        values = _tuples(cls, data)
        for name in _STEP_TIMES:
            values[name] = datetime.fromisoformat(values[name])
        return cls(**values)


@dataclass(frozen=True)
class Episode:
    episode_id: str
    patient_key: str
    facility: str
    zone: str  # IANA zone of the facility: deadlines and plan times are local to it
    status: str
    reason: str
    discharge_at: datetime
    discharge_date: date
    window_end: date  # TCM-1: discharge date + 29 days (day 30)
    contact_due: datetime  # TCM-3: end of business day 2
    contact_escalation_at: datetime  # §5: start of business day 2, when contact_due_today is raised
    visit_due_99496: date  # TCM-4
    visit_due_99495: date
    med_rec_due: date  # TCM-5: no later than the visit; the 99496 date is the earliest it can be
    visit_numbers: tuple[str, ...] = ()  # PV1-19 of the opening discharge and any attached one
    flags: tuple[str, ...] = ()
    plan: tuple[PlannedStep, ...] = ()
    paused_by: str | None = None  # the control id that paused outreach (readmission)
    contact: dict[str, Any] | None = None
    attempts: tuple[dict[str, Any], ...] = ()
    visit: dict[str, Any] | None = None
    med_rec: dict[str, Any] | None = None
    readmissions: tuple[dict[str, Any], ...] = ()
    alerts_raised: tuple[str, ...] = ()  # kinds raised and not cleared: one per (episode, kind)
    alert_severity: dict[str, str] = field(default_factory=dict)  # kind -> its severity
    # kind -> how many times the open alert was sent (raised, then each update, e.g. a reply)
    alert_revisions: dict[str, int] = field(default_factory=dict)
    # kind -> how many times it was raised (cleared ones too): the next one gets a new id
    alert_occurrences: dict[str, int] = field(default_factory=dict)
    program: str = ""  # PV1-10 hospital service of the opening discharge (alert routing)
    # MSH-10 of the discharge that opened it: its commands and alerts carry it (hub trace)
    opened_by: str | None = None
    # TCM-4 / §5: when "visit not recorded" is raised (days before the 99495 date)
    visit_alert_at: datetime | None = None
    # MSG-6: numbers the provider said cannot take texts (a landline: calls go instead) or
    # calls; one in both leaves the patient unreachable there, and a person is told
    no_texts: tuple[str, ...] = ()
    no_calls: tuple[str, ...] = ()
    timeline: tuple[dict[str, Any], ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def readmitted(self) -> bool:
        """TCM-9: a readmission inside the window that no A11 retracted."""
        return any(not r.get("retracted_by") for r in self.readmissions)

    @property
    def window_close(self) -> datetime:
        return end_of_day(self.window_end, ZoneInfo(self.zone))

    def noted(self, at: datetime, what: str, cause: str, **facts: Any) -> Episode:
        entry = {"at": at.isoformat(), "what": what, "cause": cause,
                 **{k: plain(v) for k, v in facts.items()}}
        return replace(self, timeline=(*self.timeline, entry))

    def with_plan(self, plan: tuple[PlannedStep, ...]) -> Episode:
        return replace(self, plan=plan)

    def with_step(self, step: PlannedStep) -> Episode:
        return replace(self, plan=tuple(step if s.step == step.step else s for s in self.plan))

    def to_dict(self) -> dict[str, Any]:
        return as_dict_with(self, _EPISODE_JSON)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, listing: bool = False) -> Episode:
        """``listing``: without the plan and the timeline, for lists that never read them
        (the worklist of thousands of episodes decodes a quarter of the data)."""
        if listing:
            data = {**data, "plan": (), "timeline": ()}
        values = _tuples(cls, data)
        for name in _EPISODE_TIMES:
            values[name] = datetime.fromisoformat(values[name])
        for name in _EPISODE_DATES:
            values[name] = date.fromisoformat(values[name])
        if values.get("visit_alert_at"):
            values["visit_alert_at"] = datetime.fromisoformat(values["visit_alert_at"])
        values["plan"] = tuple(PlannedStep.from_dict(s) for s in data["plan"])
        for name in _EVIDENCE:
            values[name] = _typed(values.get(name))
        values["attempts"] = tuple(_typed(a) for a in values.get("attempts", ()))
        return cls(**values)


@dataclass(frozen=True)
class Contactable:
    """What outreach may use: first name, phones, language, restrictions (ADT-4/5/6, MSG-5)."""

    given_name: str | None = None
    phones: tuple[dict[str, Any], ...] = ()
    language: str | None = None
    publicity_code: str | None = None
    protection: bool | None = None
    deceased: bool = False
    caregivers: tuple[dict[str, Any], ...] = ()  # relationship and phones only (ADT-6)
    invalid_phones: int = 0
    # for the care team's worklist (a person must know whom they call), never in a text
    family_name: str | None = None
    birth_date: str | None = None  # PID-7, ISO date


@dataclass(frozen=True)
class PatientRecord:
    patient_key: str
    facility: str
    contactable: Contactable = field(default_factory=Contactable)
    episodes: tuple[Episode, ...] = ()
    applied: tuple[str, ...] = ()  # ADT dedupe keys and action ids already applied
    merged_into: str | None = None  # A40: this key was merged away into that one

    @property
    def open_episode(self) -> Episode | None:
        return next((e for e in reversed(self.episodes) if e.is_open), None)

    @property
    def latest_episode(self) -> Episode | None:
        return self.episodes[-1] if self.episodes else None

    def episode(self, episode_id: str | None) -> Episode | None:
        return next((e for e in self.episodes if e.episode_id == episode_id), None)

    def with_episode(self, episode: Episode) -> PatientRecord:
        """Replace the episode with the same id in place, or append a new one."""
        if self.episode(episode.episode_id) is None:
            return replace(self, episodes=(*self.episodes, episode))
        return replace(self, episodes=tuple(episode if e.episode_id == episode.episode_id else e
                                            for e in self.episodes))

    def remembering(self, applied_id: str) -> PatientRecord:
        return replace(self, applied=(*self.applied, applied_id)[-MAX_REMEMBERED_IDS:])

    def to_dict(self) -> dict[str, Any]:
        return as_dict_with(self, _RECORD_JSON)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, listing: bool = False) -> PatientRecord:
        return cls(patient_key=data["patient_key"], facility=data["facility"],
                   contactable=Contactable(**_tuples(Contactable, data["contactable"])),
                   episodes=tuple(Episode.from_dict(e, listing=listing)
                                  for e in data["episodes"]),
                   applied=tuple(data["applied"]), merged_into=data.get("merged_into"))


def _iso(value: date) -> str:
    return value.isoformat()


# what ``to_dict`` writes for the fields that are not plain data already
_STEP_JSON: dict[str, Callable[[Any], Any]] = {name: _iso for name in _STEP_TIMES}
_EPISODE_JSON: dict[str, Callable[[Any], Any]] = {
    **{name: _iso for name in (*_EPISODE_TIMES, *_EPISODE_DATES)},
    "visit_alert_at": lambda at: at.isoformat() if at is not None else None,
    **{name: plain for name in _EVIDENCE},
    "plan": lambda plan: tuple(step.to_dict() for step in plan),
    "attempts": lambda attempts: tuple(plain(a) for a in attempts)}
_RECORD_JSON: dict[str, Callable[[Any], Any]] = {
    "episodes": lambda episodes: tuple(e.to_dict() for e in episodes)}


def _typed(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """An evidence entry as stored (ISO strings) with its ``at`` and ``date`` typed again."""
    if entry is None:
        return None
    typed = dict(entry)
    if isinstance(typed.get("at"), str):
        typed["at"] = datetime.fromisoformat(typed["at"])
    if isinstance(typed.get("date"), str):
        typed["date"] = date.fromisoformat(typed["date"])
    return typed


def _tuples(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """JSON gives lists where the dataclass holds tuples; only the top-level fields change
    (values inside dicts are kept as lists on both sides, see ``plain``)."""
    names, tuples = _fields_of(cls)
    return {key: tuple(value) if key in tuples and value is not None else value
            for key, value in data.items() if key in names}


@cache
def _fields_of(cls: type) -> tuple[frozenset[str], frozenset[str]]:
    """(field names, names of tuple fields): looked up once per class, not once per record."""
    found = fields(cls)
    return (frozenset(f.name for f in found),
            frozenset(f.name for f in found if str(f.type).startswith("tuple")))


