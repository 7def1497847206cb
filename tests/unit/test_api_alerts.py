"""GET /alerts, GET /alerts/{key}/{id}, POST .../acknowledge over the alerts stage's books."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.api.alerts import AlertFilters, collect, history, parse_acknowledgement
from hub.api.refusals import ApiRefusal
from hub.domain.alerts.lifecycle import acknowledge, on_alert
from hub.domain.alerts.routing import Person, Route, Routing, Team

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("America/New_York"))
ROUTING = Routing(teams={"general": Team("general", members=("ana",)),
                         "cardiac": Team("cardiac", members=("ben",), on_call=("ben",))},
                  people={"ana": Person("ana", "Ana"), "ben": Person("ben", "Ben")},
                  routes=(Route("CARDIO", None, "cardiac"),), default_team="general")


def book(*alerts: tuple[str, str, str, int]) -> dict[str, Any]:
    state: dict[str, Any] | None = None
    for kind, severity, facility, minutes in alerts:
        state = on_alert(state, "GEN|1", {
            "alert_id": f"ep-1:{kind}", "kind": kind, "severity": severity,
            "episode_id": "ep-1", "patient_key": "GEN|1", "facility": facility,
            "at": (T0 + timedelta(minutes=minutes)).isoformat(), "revision": 1,
            "detail": {}}, ROUTING, T0 + timedelta(minutes=minutes)).book
    assert state is not None
    return state


BOOKS = [book(("contact_due_today", "warning", "GENHOSP", 0), ("episodes_merged", "info",
                                                                "GENHOSP", 1)),
         book(("urgent_reply", "urgent", "CARDIO", 5))]


def listed(**query: str) -> list[str]:
    return [r["kind"] for r in collect(BOOKS, AlertFilters.from_query(query, ROUTING), ROUTING)]


def test_the_default_list_is_what_needs_a_person_urgent_first() -> None:
    assert listed() == ["urgent_reply", "contact_due_today"]
    assert listed(severity="any") == ["urgent_reply", "contact_due_today", "episodes_merged"]


def test_per_team_and_per_persons_teams() -> None:
    assert listed(team="cardiac") == ["urgent_reply"]
    assert listed(person="ana") == ["contact_due_today"]
    with pytest.raises(ApiRefusal) as unknown:
        listed(team="nobody")
    assert unknown.value.status == 422
    with pytest.raises(ApiRefusal):
        listed(person="zed")


def test_acknowledged_alerts_stay_listed_with_who_and_when_until_they_clear() -> None:
    acked = acknowledge(BOOKS[0], "ep-1:contact_due_today", "nurse.lee", ROUTING,
                        T0 + timedelta(minutes=9)).book
    [row] = collect([acked], AlertFilters.from_query({}, ROUTING), ROUTING)
    assert (row["state"], row["acknowledged_by"]) == ("acknowledged", "nurse.lee")
    assert [r["kind"] for r in collect([acked], AlertFilters.from_query(
        {"state": "open"}, ROUTING), ROUTING)] == []


def test_the_history_of_one_alert() -> None:
    acked = acknowledge(BOOKS[1], "ep-1:urgent_reply", "dr.kim", ROUTING, T0).book
    story = history(acked, "ep-1:urgent_reply", ROUTING)
    assert [h["what"] for h in story["history"]] == ["alert", "alert_acknowledged"]
    assert story["link"] == "/alerts/GEN%7C1/ep-1%3Aurgent_reply"
    with pytest.raises(ApiRefusal) as missing:
        history(acked, "ep-1:nope", ROUTING)
    assert missing.value.status == 404


@pytest.mark.parametrize("body", [b"", b"{}", b'{"by": ""}', b'{"by": 3}', b"not json",
                                  b'{"by": "' + b"x" * 101 + b'"}'])
def test_an_acknowledgement_names_a_person(body: bytes) -> None:
    with pytest.raises(ApiRefusal) as refused:
        parse_acknowledgement(body)
    assert refused.value.status in (400, 422)
    assert parse_acknowledgement(b'{"by": " nurse.lee "}') == "nurse.lee"
