"""The worklist: one compact row per episode, ordered by its next deadline (TCM-1, 3, 4, 5).

``next_due`` is the earliest deadline of what is still missing:

- the interactive contact (``contact_due``, TCM-3) until a contact is recorded;
- the face-to-face visit (TCM-4) until one is recorded: the 99496 date, or the 99495 date once
  the 99496 date has passed;
- medication reconciliation (TCM-5) until recorded: by the visit's date, or by the visit deadline;
- with nothing missing, the window end (day 30, TCM-1), when the episode closes.

Deadlines are the end of their day in the facility's zone. A passed deadline stays the next one
(``overdue``), so what was missed sorts first. Closed episodes have no next deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.api import query as q
from hub.domain.alerts.lifecycle import ROUTINE
from hub.domain.calendar import end_of_day
from hub.domain.episode import record as ep
from hub.domain.episode.billing import billing_readiness, recorded_day
from hub.domain.episode.record import OPEN, Episode, PatientRecord
from hub.domain.episode.release import best_phone
from hub.domain.episode.rules import TcmRules

STATUSES = frozenset({ep.OPEN, ep.VOIDED, ep.INELIGIBLE, ep.COMPLETED, ep.EXPIRED, ep.DECEASED,
                      ep.CLOSED_BY_CARE_TEAM})
LAST = "9999-12-31T23:59:59+00:00"  # where rows without a deadline sort


@dataclass(frozen=True)
class WorklistFilters:
    facility: str | None = None
    statuses: frozenset[str] = frozenset({OPEN})
    due_before: date | datetime | None = None  # a date: by the end of that facility-local day
    limit: int = q.DEFAULT_LIMIT
    search: str | None = None  # part of the name or the MRN, any case

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> WorklistFilters:
        return cls(facility=query.get("facility") or None,
                   statuses=q.choices(query, "status", STATUSES, frozenset({OPEN})),
                   due_before=q.moment(query, "due_before"), limit=q.limit(query),
                   search=(query.get("q") or "").strip().lower() or None)


def next_deadline(episode: Episode, now: datetime) -> tuple[datetime, str] | None:
    """(when, what) of the earliest deadline still open; None for a closed episode."""
    if not episode.is_open:
        return None
    zone = ZoneInfo(episode.zone)

    def day_end(day: date) -> datetime:
        return end_of_day(day, zone)

    visit_by = day_end(episode.visit_due_99496)
    if now > visit_by:
        visit_by = day_end(episode.visit_due_99495)
    candidates = []
    if episode.contact is None:
        candidates.append((episode.contact_due, "contact"))
    if episode.visit is None:
        candidates.append((visit_by, "visit"))
    if episode.med_rec is None:
        done = recorded_day(episode.visit)
        candidates.append((end_of_day(done, zone) if done else visit_by, "med_rec"))
    if not candidates:
        candidates.append((episode.window_close, "window_end"))
    return min(candidates, key=lambda c: c[0])  # ties keep the order above


def worklist_rows(record: PatientRecord, filters: WorklistFilters, *, now: datetime,
                  rules: TcmRules) -> list[dict[str, Any]]:
    rows = []
    for episode in record.episodes:
        if episode.status not in filters.statuses or \
                filters.facility not in (None, episode.facility):
            continue
        due = next_deadline(episode, now)
        person = demographics(record, now)
        if filters.search and filters.search not in (
                f"{person['patient_name']} {person['mrn']}".lower()):
            continue
        if filters.due_before is not None and (due is None or due[0] > _limit_of(
                filters.due_before, episode)):
            continue
        readiness = billing_readiness(episode, rules)
        rows.append({
            "patient_key": episode.patient_key, "episode_id": episode.episode_id,
            **person, "program": episode.program,
            "facility": episode.facility, "status": episode.status,
            "discharge_date": episode.discharge_date.isoformat(),
            "contact_due": episode.contact_due.isoformat(),
            "contact_recorded": episode.contact is not None,
            "visit_due_99496": episode.visit_due_99496.isoformat(),
            "visit_due_99495": episode.visit_due_99495.isoformat(),
            "window_end": episode.window_end.isoformat(),
            "next_due": due[0].isoformat() if due else None,
            "next_due_for": due[1] if due else None, "overdue": bool(due and due[0] < now),
            "missing": readiness["missing"], "supportable": readiness["supportable"],
            "zone": episode.zone,
            "open_alerts": [k for k in episode.alerts_raised if k not in ROUTINE]})
    return rows


def demographics(record: PatientRecord, now: datetime) -> dict[str, Any]:
    """Who to call: the name, age, the number the hub texts and calls, the MRN."""
    who = record.contactable
    name = " ".join(p for p in (who.given_name, who.family_name) if p) or None
    age = None
    if who.birth_date:
        try:
            born = date.fromisoformat(who.birth_date[:10])
            today = now.date()
            age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        except ValueError:
            age = None
    phone = best_phone(who.phones)  # the number the hub texts and calls (never a fax)
    return {"patient_name": name, "age": age, "phone": phone,
            "mrn": record.patient_key.split("|", 1)[-1]}


def ordered(rows: Iterable[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Rows from every worker, earliest deadline first, then by patient and episode."""
    def key(row: dict[str, Any]) -> tuple[datetime, str, str]:
        return (datetime.fromisoformat(row["next_due"] or LAST), row["patient_key"],
                row["episode_id"])

    return sorted(rows, key=key)[:limit]


def collect(records: Iterable[PatientRecord], filters: WorklistFilters, *, now: datetime,
            rules: Callable[[str], TcmRules]) -> list[dict[str, Any]]:
    """One worker's share: its records' rows, ordered and cut to the limit."""
    return ordered((row for record in records for row in worklist_rows(
        record, filters, now=now, rules=rules(record.facility))), filters.limit)


def _limit_of(due_before: date | datetime, episode: Episode) -> datetime:
    if isinstance(due_before, datetime):
        return due_before
    return end_of_day(due_before, ZoneInfo(episode.zone))
