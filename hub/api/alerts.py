"""The care team's alerts, from the alerts stage's books (``hub.domain.alerts``): the open ones
(raised and not cleared, acknowledged or not) per team or per person's teams, one alert's
history (raised, notified on which channels, acknowledged, escalated, cleared), and the
acknowledgement a named person gives.

By default the list shows what needs a person (``warning`` and ``urgent``); ``severity=any``
adds the notices. Urgent first, then the oldest first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from hub.api import query as q
from hub.api.refusals import ApiRefusal
from hub.domain.alerts.kinds import info
from hub.domain.alerts.lifecycle import OPEN_STATES
from hub.domain.alerts.routing import Routing

SEVERITIES = frozenset({"info", "warning", "urgent"})
STATES = frozenset(OPEN_STATES)  # the default: raised and not cleared
ALL_STATES = STATES | {"cleared"}  # a cleared alert is kept 45 days, with its history
RANK = {"urgent": 0, "warning": 1, "info": 2}
MAX_NAME = 100


@dataclass(frozen=True)
class AlertFilters:
    teams: frozenset[str] | None = None  # None: every team
    facility: str | None = None
    patient: str | None = None  # one patient's alerts
    severities: frozenset[str] = frozenset({"warning", "urgent"})
    states: frozenset[str] = STATES
    limit: int = q.DEFAULT_LIMIT

    @classmethod
    def from_query(cls, query: Mapping[str, str], routing: Routing) -> AlertFilters:
        teams: set[str] | None = None
        if team := query.get("team"):
            if team not in routing.teams:
                raise ApiRefusal(f"no team {team!r}", code="unknown_team", status=422)
            teams = {team}
        if person := query.get("person"):
            mine = set(routing.teams_of(person))
            if not mine:
                raise ApiRefusal(f"{person!r} is in no team", code="unknown_person", status=422)
            teams = mine if teams is None else teams & mine
        return cls(teams=frozenset(teams) if teams is not None else None,
                   facility=query.get("facility") or None,
                   patient=query.get("patient") or None,
                   severities=q.choices(query, "severity", SEVERITIES,
                                        frozenset({"warning", "urgent"})),
                   states=q.choices(query, "state", ALL_STATES, STATES), limit=q.limit(query))


def link(case: Mapping[str, Any]) -> str:
    return f"/alerts/{quote(case['key'], safe='')}/{quote(case['alert_id'], safe='')}"


def row(case: Mapping[str, Any], routing: Routing) -> dict[str, Any]:
    team = routing.teams.get(case["team"])
    paged = team.on_call[case["on_call_level"]] if team and team.on_call and \
        case["on_call_level"] < len(team.on_call) else None
    kind = info(case["kind"])
    return {"alert_id": case["alert_id"], "key": case["key"], "kind": case["kind"],
            "title": kind.title, "rule": kind.rule, "severity": case["severity"],
            "state": case["state"], "team": case["team"], "on_call": paged,
            "facility": case["facility"], "program": case["program"],
            "episode_id": case["episode_id"], "patient_key": case["patient_key"],
            "patient_name": case.get("patient_name"),
            "raised_at": case["raised_at"], "revision": case["revision"],
            "acknowledged_by": case["acked_by"], "acknowledged_at": case["acked_at"],
            "cleared_at": case["cleared_at"], "cleared_reason": case["cleared_reason"],
            "detail": case["detail"], "link": link(case)}


def alert_rows(book: Mapping[str, Any], filters: AlertFilters,
               routing: Routing) -> list[dict[str, Any]]:
    return [row(case, routing) for case in book["cases"].values()
            if case["state"] in filters.states and case["severity"] in filters.severities
            and (filters.teams is None or case["team"] in filters.teams)
            and filters.facility in (None, case["facility"])
            and filters.patient in (None, case["patient_key"])]


def ordered(rows: Iterable[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (RANK.get(r["severity"], 1), r["raised_at"],
                                       r["alert_id"]))[:limit]


def collect(books: Iterable[Mapping[str, Any]], filters: AlertFilters,
            routing: Routing) -> list[dict[str, Any]]:
    return ordered((r for book in books for r in alert_rows(book, filters, routing)),
                   filters.limit)


def history(book: Mapping[str, Any] | None, alert_id: str, routing: Routing) -> dict[str, Any]:
    case = (book or {}).get("cases", {}).get(alert_id)
    if case is None:
        raise ApiRefusal("no such alert", code="unknown_alert", status=404)
    deliveries = [{"delivery_id": delivery_id, "channel": d["channel"], "person": d["person"],
                   "phase": d["phase"], "status": d["status"], "attempts": d["attempt"],
                   "error": d["error"]} for delivery_id, d in case["deliveries"].items()]
    return {**row(case, routing), "history": case["history"], "deliveries": deliveries}


def parse_acknowledgement(body: bytes) -> str:
    """``{"by": "<the person's name>"}``: who acknowledges (kept, shown, never logged)."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ApiRefusal("the body is not JSON", code="bad_json", status=400) from None
    by = data.get("by") if isinstance(data, dict) else None
    if not isinstance(by, str) or not by.strip() or len(by) > MAX_NAME:
        raise ApiRefusal("say who acknowledges: {\"by\": \"name\"}", code="missing_by",
                         status=422)
    return by.strip()
