"""GET /alerts rows: the kinds each episode raised and nothing cleared, with the severity the
domain raises them with (one per episode and kind)."""

from __future__ import annotations

import ast

import pytest

from hub.api import alerts
from hub.api.alerts import SEVERITY, AlertFilters, alert_rows
from hub.api.refusals import ApiRefusal
from tests.conftest import REPO
from tests.unit.episode_events import opened


def test_the_default_list_is_what_needs_a_person() -> None:
    """ADT-4: no reachable phone (warning) is listed; episode_opened (info) is not."""
    [row] = alert_rows(opened(phones=[]), AlertFilters())
    episode = opened(phones=[]).episodes[0]
    assert row == {"alert_id": f"{episode.episode_id}:no_reachable_phone",
                   "kind": "no_reachable_phone", "severity": "warning",
                   "episode_id": episode.episode_id, "patient_key": "GEN|77",
                   "facility": "GEN", "episode_status": "open"}


def test_severity_any_adds_the_notices_and_urgent_sorts_first() -> None:
    """severity=any lists info too; the merged list is urgent, warning, info."""
    filters = AlertFilters.from_query({"severity": "any"})
    rows = alert_rows(opened(phones=[]), filters)
    assert {r["kind"] for r in rows} == {"episode_opened", "no_reachable_phone"}
    urgent = {**rows[0], "kind": "readmission", "severity": "urgent", "alert_id": "x:readmission"}
    assert [r["severity"] for r in alerts.ordered([*rows, urgent], 10)] == [
        "urgent", "warning", "info"]
    assert len(alerts.ordered([*rows, urgent], 2)) == 2


def test_facility_filter_and_bad_severity() -> None:
    """facility= keeps one facility; an unknown severity is 422 bad_query."""
    assert alert_rows(opened(phones=[]), AlertFilters(facility="OTHER")) == []
    with pytest.raises(ApiRefusal) as refused:
        AlertFilters.from_query({"severity": "loud"})
    assert (refused.value.status, refused.value.code) == (422, "bad_query")


def test_every_kind_the_domain_raises_has_its_severity_here() -> None:
    """The severity table cannot drift from the raise_alert calls in hub/domain."""
    raised: dict[str, str] = {}
    for path in (REPO / "hub" / "domain").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "raise_alert" \
                    and all(isinstance(a, ast.Constant) for a in node.args[2:4]):
                raised[node.args[2].value] = node.args[3].value  # type: ignore[attr-defined]
    assert len(raised) > 10  # the scan saw the domain
    assert {kind: SEVERITY.get(kind) for kind in raised} == raised
