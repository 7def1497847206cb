"""What the worklist's pages show: the person's teams' rows with their urgency, actions from a
form, the report's CSV, and escaped templates (issue 12)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.alerts.routing import Route, Routing, Team
from hub.web import views
from hub.web.accounts import User

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=NY)
ROUTING = Routing(teams={"general": Team("general"), "cardiac": Team("cardiac")},
                  routes=(Route("GEN", "CAR", "cardiac"),), default_team="general")
NURSE = User("rn.lee", "Rita Lee", "nurse", ("cardiac",), "x")
ADMIN = User("boss", "Boss", "admin", (), "x")


def row(key: str, program: str, next_due: str, overdue: bool = False,
        name: str = "Jane Doe") -> dict[str, Any]:
    return {"patient_key": key, "facility": "GEN", "program": program, "patient_name": name,
            "mrn": key.split("|")[1], "contact_due": "2026-11-25T23:59:59.999999-05:00",
            "next_due": next_due, "overdue": overdue, "zone": "America/New_York",
            "missing": [], "open_alerts": [], "discharge_date": "2026-11-23",
            "status": "open", "supportable": [], "contact_recorded": False,
            "visit_due_99496": "2026-11-30", "visit_due_99495": "2026-12-07",
            "next_due_for": "contact", "age": 76, "phone": "+16175550100"}


ROWS = [row("GEN|1", "CAR", "2026-11-24T23:59:59-05:00", overdue=True),
        row("GEN|2", "CAR", "2026-11-25T23:59:59-05:00"),
        row("GEN|3", "MED", "2026-11-30T23:59:59-05:00")]


def test_a_person_sees_their_teams_rows_overdue_red_due_today_amber() -> None:
    mine = views.worklist_rows(ROWS, user=NURSE, routing=ROUTING, team=None, now=NOW)
    assert [(r["patient_key"], r["urgency"]) for r in mine] == [("GEN|1", "overdue"),
                                                                 ("GEN|2", "today")]
    every = views.worklist_rows(ROWS, user=ADMIN, routing=ROUTING, team=None, now=NOW)
    assert len(every) == 3
    assert [r["patient_key"] for r in views.worklist_rows(
        ROWS, user=ADMIN, routing=ROUTING, team="general", now=NOW)] == ["GEN|3"]


def test_a_form_becomes_the_api_action_by_the_signed_in_person_in_the_facility_zone() -> None:
    action = views.action_from_form({"kind": "contact", "channel": "phone",
                                     "at": "2026-11-25T10:30", "by": "someone else",
                                     "csrf": "x", "note": " called "}, NURSE, NY, NOW)
    assert action == {"kind": "contact", "channel": "phone", "note": "called", "by": "rn.lee",
                      "at": "2026-11-25T10:30:00-05:00"}
    assert views.action_from_form({"kind": "med_rec"}, NURSE, NY, NOW)["at"] == NOW.isoformat()


def test_the_report_csv_never_starts_a_cell_with_a_formula() -> None:
    rows = views.report_rows([row("GEN|4", "MED", "", name="=HYPERLINK(1)"), *ROWS], "2026-11")
    text = views.report_csv(rows)
    assert "'=HYPERLINK(1)" in text and text.splitlines()[0].startswith("patient,mrn")
    assert views.report_rows(ROWS, "2026-10") == []


def test_templates_escape_what_came_from_a_feed() -> None:
    rows = views.worklist_rows([row("GEN|5", "CAR", "2026-11-24T23:59:59-05:00",
                                    name="<script>alert(1)</script>")],
                               user=NURSE, routing=ROUTING, team=None, now=NOW)
    page = views.render("worklist.html", user=NURSE, csrf="c", page="worklist", query={},
                        teams=["cardiac"], rows=rows, rows_html=views.rows_html(rows))
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert 'href="/app/patients/GEN%7C5"' in page and 'href="tel:+16175550100"' in page
    assert "<script" not in page.replace('<script src="/app/static/alerts.js"', "")
    for label in ('for="q"', 'for="facility"', 'for="status"', 'for="due_before"'):
        assert label in page  # every field has its label


def test_the_patient_timeline_has_texts_with_status_replies_with_words_and_alerts() -> None:
    episode = {"episode_id": "ep-1", "timeline": [
        {"at": "2026-11-23T10:00:00-05:00", "what": "opened", "cause": "ADT A03 C1"},
        {"at": "2026-11-23T11:05:00-05:00", "what": "patient_replied", "cause": "sms reply",
         "channel": "sms", "text": "I fell"},
        {"at": "2026-11-24T09:00:00-05:00", "what": "recorded_contact",
         "cause": "care team: rn.lee"}],
        "attempts": [{"at": "2026-11-23T10:01:00-05:00", "channel": "sms", "by": "hub",
                      "outcome": "delivered", "command_id": "ep-1:welcome_sms"}]}
    alerts = [{"episode_id": "ep-1", "title": "Patient asked for help",
               "raised_at": "2026-11-23T11:05:01-05:00",
               "acknowledged_at": "2026-11-23T11:20:00-05:00", "acknowledged_by": "Rita Lee",
               "cleared_at": "2026-11-24T09:00:01-05:00", "cleared_reason": "contact_recorded"}]
    lines = [e["text"] for e in views.timeline(episode, alerts)]
    assert lines == [
        "alert cleared (contact_recorded): Patient asked for help",
        "recorded contact — care team: rn.lee",
        "alert acknowledged by Rita Lee: Patient asked for help",
        "alert raised: Patient asked for help",
        "patient replied by sms: “I fell”",
        "sms welcome sms: delivered",
        "opened — ADT A03 C1"]


def test_the_integration_role_reads_but_records_no_care_team_action() -> None:
    view = {"patient_key": "GEN|1", "episodes": [{
        "episode_id": "ep-1", "status": "open", "discharge_date": "2026-11-23",
        "facility": "GEN", "contact_due": "2026-11-25T23:59:59-05:00", "contact": None,
        "visit": None, "med_rec": None, "visit_due_99496": "2026-11-30",
        "visit_due_99495": "2026-12-07", "window_end": "2026-12-22",
        "billing": {"supportable": [], "missing": []}, "timeline": [], "attempts": []}]}
    it = User("it.ops", "Ops", "integration", ("integration",), "x")
    for user, forms in ((NURSE, True), (it, False)):
        page = views.render("patient.html", user=user, csrf="c", page="patient",
                            can_record=views.can_record(user),
                            **views.patient_context(view, []))
        assert ("Record contact" in page) is forms


def test_alert_times_are_shown_in_the_facilitys_zone() -> None:
    [alert] = views.alert_rows([{"kind": "urgent_reply", "facility": "GEN",
                                 "raised_at": "2026-11-25T13:05:00+00:00", "detail": {}}],
                               lambda _: NY)
    assert alert["raised_at"] == "2026-11-25T08:05:00-05:00"
    assert alert["raised_text"] == "Wed Nov 25 2026, 08:05"


def test_the_alerts_page_shows_the_views_cells_as_its_live_refresh_does() -> None:
    """The page and its JSON (alerts.js) show the same cells, computed once by the view: the
    patient's words and the raising time in the facility's zone."""
    rows = views.alert_rows([{"kind": "urgent_reply", "facility": "GEN", "severity": "urgent",
                              "alert_id": "ep-1:urgent_reply", "key": "GEN|1", "state": "open",
                              "raised_at": "2026-11-25T13:05:00+00:00",
                              "detail": {"reply_text": "chest pain since last night"}}],
                            lambda _: NY)
    page = views.render("alerts.html", user=NURSE, csrf="c", page="alerts", alerts=rows,
                        focus=None)
    assert "“chest pain since last night”" in page
    assert "Wed Nov 25 2026, 08:05" in page and "13:05" not in page
