"""Open alerts: the kinds each episode raised and nothing has cleared (one per episode and kind).

The episode keeps only the kind (``alerts_raised``); the severity is the one the domain raises
it with, and ``care.alerts`` holds the full record with its detail. By default the list shows
what needs a person (``warning`` and ``urgent``); ``severity=any`` adds the ``info`` notices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hub.api import query as q
from hub.domain.episode import PatientRecord
from hub.domain.outreach_results import REPLY_ALERTS

SEVERITY: Mapping[str, str] = {
    "readmission": "urgent", "patient_deceased": "urgent", "contact_missed": "urgent",
    "contact_due_today": "warning", "ed_return": "warning", "eligibility_changed": "warning",
    "later_discharge_not_eligible": "warning", "restricted_contact": "warning",
    "no_reachable_phone": "warning", "discharge_not_eligible": "info",
    "episode_opened": "info", "episode_closed": "info", "episode_voided": "info",
    "episodes_merged": "info", "readmission_retracted": "info",
    **dict(REPLY_ALERTS.values()),
}
UNKNOWN = "warning"  # a kind this table does not know yet is shown, never hidden
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
    return [{"alert_id": f"{episode.episode_id}:{kind}", "kind": kind,
             "severity": SEVERITY.get(kind, UNKNOWN), "episode_id": episode.episode_id,
             "patient_key": episode.patient_key, "facility": episode.facility,
             "episode_status": episode.status}
            for episode in record.episodes if filters.facility in (None, episode.facility)
            for kind in episode.alerts_raised
            if SEVERITY.get(kind, UNKNOWN) in filters.severities]


def ordered(rows: Iterable[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Urgent first, then warning, then info; within one severity by patient and kind."""
    return sorted(rows, key=lambda r: (RANK[r["severity"]], r["patient_key"], r["alert_id"])
                  )[:limit]


def collect(records: Iterable[PatientRecord], filters: AlertFilters) -> list[dict[str, Any]]:
    return ordered((row for record in records for row in alert_rows(record, filters)),
                   filters.limit)
