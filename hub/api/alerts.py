"""Open alerts: the kinds each episode raised and nothing has cleared (one per episode and kind).

The episode keeps each kind with the severity it was raised with (``alert_severity``: the same
kind can be a notice or a warning, e.g. a discharge that needs review); ``care.alerts`` holds
the full record with its detail. An episode that has ended (completed, expired, closed,
voided, deceased) lists only what the patient said (a reply asking for help is never dropped);
open episodes and recorded ineligible discharges (which may need a review) list everything.
By default the list shows what needs a person (``warning`` and ``urgent``); ``severity=any``
adds the notices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hub.api import query as q
from hub.domain.episode.outreach_results import REPLY_ALERTS, replies_behind
from hub.domain.episode.record import (
    CLOSED_BY_CARE_TEAM,
    COMPLETED,
    DECEASED,
    EXPIRED,
    VOIDED,
    PatientRecord,
)

PATIENT_SAID = frozenset(kind for kind, _severity in REPLY_ALERTS.values())
ENDED = frozenset({COMPLETED, EXPIRED, CLOSED_BY_CARE_TEAM, VOIDED, DECEASED})
UNKNOWN = "warning"  # a record without a stored severity (never expected): shown, never hidden
SEVERITIES = frozenset({"info", "warning", "urgent"})
RANK = {"urgent": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class AlertFilters:
    facility: str | None = None
    severities: frozenset[str] = frozenset({"warning", "urgent"})
    limit: int = q.DEFAULT_LIMIT

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> AlertFilters:
        return cls(facility=query.get("facility") or None,
                   severities=q.choices(query, "severity", SEVERITIES,
                                        frozenset({"warning", "urgent"})),
                   limit=q.limit(query))


def alert_rows(record: PatientRecord, filters: AlertFilters) -> list[dict[str, Any]]:
    rows = []
    for episode in record.episodes:
        if filters.facility not in (None, episode.facility):
            continue
        for kind in episode.alerts_raised:
            severity = episode.alert_severity.get(kind, UNKNOWN)
            if severity in filters.severities and (
                    episode.status not in ENDED or kind in PATIENT_SAID):
                row = {"alert_id": f"{episode.episode_id}:{kind}", "kind": kind,
                       "severity": severity, "episode_id": episode.episode_id,
                       "patient_key": episode.patient_key, "facility": episode.facility,
                       "episode_status": episode.status,
                       "revision": episode.alert_revisions.get(kind, 1)}
                if kind in PATIENT_SAID:
                    row["replies"] = replies_behind(episode, kind)
                rows.append(row)
    return rows


def ordered(rows: Iterable[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Urgent first, then warning, then info; within one severity by patient and kind."""
    return sorted(rows, key=lambda r: (RANK[r["severity"]], r["patient_key"], r["alert_id"])
                  )[:limit]


def collect(records: Iterable[PatientRecord], filters: AlertFilters) -> list[dict[str, Any]]:
    return ordered((row for record in records for row in alert_rows(record, filters)),
                   filters.limit)
