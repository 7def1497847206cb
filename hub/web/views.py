"""What each page shows, from what the care-team API answers (the pages are a client of it, so
they get the same gathering across workers and the same rules and refusals): plain functions
over rows and ``now``, and the Jinja2 templates that render them (autoescaped)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from hub.domain.alerts.kinds import info
from hub.domain.alerts.routing import Routing
from hub.web.accounts import User

ENVIRONMENT = Environment(loader=PackageLoader("hub.web", "templates"),
                          autoescape=select_autoescape(["html"]), trim_blocks=True,
                          lstrip_blocks=True)
def when(moment: Any) -> str:
    """An ISO time as a person reads it, in the zone it was given in (the facility's)."""
    if not isinstance(moment, str) or "T" not in moment:
        return str(moment or "")
    try:
        return datetime.fromisoformat(moment).strftime("%a %b %d %Y, %H:%M")
    except ValueError:
        return moment


ENVIRONMENT.filters["when"] = when
FORMS: list[dict[str, Any]] = [
    {"kind": "contact", "title": "Interactive contact (TCM-3)",
     "fields": [{"name": "channel", "label": "How",
                 "choices": ["phone", "video", "in_person", "portal", "email"]},
                {"name": "note", "label": "Note"}]},
    {"kind": "attempt", "title": "Attempt without contact",
     "fields": [{"name": "channel", "label": "How",
                 "choices": ["phone", "video", "in_person", "portal", "email"]},
                {"name": "outcome", "label": "What happened",
                 "choices": ["no_answer", "voicemail", "wrong_number", "busy"]}]},
    {"kind": "visit", "title": "Face-to-face visit (TCM-4)",
     "fields": [{"name": "complexity", "label": "Medical decision making",
                 "choices": ["high", "moderate"]}]},
    {"kind": "med_rec", "title": "Medication reconciliation (TCM-5)", "fields": []},
    {"kind": "close", "title": "Close the episode",
     "fields": [{"name": "reason", "label": "Why"}]},
]
FORM_FIELDS = ("kind", "episode_id", "channel", "note", "outcome", "complexity", "reason")


def render(template: str, **context: Any) -> str:
    return ENVIRONMENT.get_template(template).render(**context)


def team_of(routing: Routing, facility: str, program: str) -> str:
    return routing.team_for("", facility, program or "").name


def can_record(user: User) -> bool:
    """Care-team actions (contact, visit, ...) are the clinical roles' and the admin's; the
    integration team reads the list and acknowledges its own alerts (feed, channels)."""
    return user.role in ("coordinator", "nurse", "admin")


def my_teams(user: User, routing: Routing) -> list[str]:
    return sorted(routing.teams) if user.role == "admin" else list(user.teams)


def may_see(user: User, routing: Routing, view: dict[str, Any]) -> bool:
    """A patient is the person's when one of the patient's episodes is routed to one of the
    person's teams (by facility and program, as the worklist is): the same rule for the
    patient page, its actions and its alerts as for the lists."""
    episodes = view.get("episodes") or [{}]
    teams = {team_of(routing, view.get("facility", ""), e.get("program", "")) for e in episodes}
    return bool(teams & set(my_teams(user, routing)))


def worklist_rows(rows: Iterable[dict[str, Any]], *, user: User, routing: Routing,
                  team: str | None, now: datetime) -> list[dict[str, Any]]:
    """The signed-in person's teams' rows (an admin sees every team), with their urgency:
    overdue (red), due today (amber), in the facility's zone."""
    allowed = set(my_teams(user, routing))
    if team:
        allowed &= {team}
    out = []
    for row in rows:
        if team_of(routing, row["facility"], row.get("program", "")) not in allowed:
            continue
        view = dict(row)
        zone = _zone_of(row)
        urgency = ("overdue" if row["overdue"] else "today" if row["next_due"] and
                   datetime.fromisoformat(row["next_due"]).astimezone(zone).date()
                   == now.astimezone(zone).date() else "")
        # the cells as text here, once: the template only places them (10,000 rows < 1 s)
        view.update(
            urgency=urgency, name=row.get("patient_name") or "(no name)",
            href="/app/patients/" + quote(row["patient_key"], safe=""),
            age_text="" if row.get("age") is None else str(row["age"]),
            contact_text=_local(row["contact_due"], zone)
            + (" ✓" if row["contact_recorded"] else ""),
            visit_text=f"{row['visit_due_99496']} / {row['visit_due_99495']}",
            next_text=(f"{row['next_due_for']} by {_local(row['next_due'], zone)}"
                       + {"overdue": " (overdue)", "today": " (today)"}.get(urgency, "")
                       if row["next_due"] else ""),
            missing_text=", ".join(row["missing"]),
            alerts_text=", ".join(row["open_alerts"]))
        out.append(view)
    return out


def rows_html(rows: Iterable[dict[str, Any]]) -> Markup:
    """The worklist's table rows, every value escaped here (markupsafe, as the templates do):
    ten thousand rows through a template loop took 0.4 s, this a tenth of it."""
    e = escape
    parts = []
    for r in rows:
        phone = f'<a href="tel:{e(r["phone"])}">{e(r["phone"])}</a>' if r.get("phone") else ""
        parts.append(
            f'<tr class="{e(r["urgency"])}"><th scope="row"><a href="{e(r["href"])}">'
            f'{e(r["name"])}</a><br><small>MRN {e(r["mrn"])}</small></th>'
            f'<td>{e(r["age_text"])}</td><td>{phone}</td><td>{e(r["facility"])}</td>'
            f'<td>{e(r["discharge_date"])}</td><td>{e(r["contact_text"])}</td>'
            f'<td>{e(r["visit_text"])}</td><td>{e(r["next_text"])}</td>'
            f'<td>{e(r["missing_text"])}</td><td>{e(r["alerts_text"])}</td></tr>\n')
    return Markup("".join(parts))


def _zone_of(row: Mapping[str, Any]) -> ZoneInfo:
    offset = datetime.fromisoformat(row["contact_due"]).tzinfo
    return ZoneInfo(row["zone"]) if row.get("zone") else offset  # type: ignore[return-value]


def _local(moment: str, zone: Any) -> str:
    return datetime.fromisoformat(moment).astimezone(zone).strftime("%a %b %d %H:%M")


def timeline(episode: Mapping[str, Any],
             alerts: Iterable[Mapping[str, Any]] = ()) -> list[dict[str, str]]:
    """Everything that happened, newest first, in words a coordinator reads: the ADT events
    and care-team actions (who), each text and call with its delivery status, every reply with
    its words, and the episode's alerts raised, acknowledged (who) and cleared (why)."""
    entries = []
    for entry in episode.get("timeline", []):
        if entry["what"] == "patient_replied":
            said = f"“{entry.get('text')}”" if entry.get("text") else "(no words)"
            entries.append({"at": entry["at"], "text": f"patient replied by "
                            f"{entry.get('channel', 'sms')}: {said}"})
            continue
        facts = {k: v for k, v in entry.items() if k not in ("at", "what", "cause")}
        detail = ", ".join(f"{k}: {v}" for k, v in facts.items() if isinstance(v, (str, int)))
        text = f"{entry['what'].replace('_', ' ')} — {entry.get('cause', '')}"
        entries.append({"at": entry["at"], "text": text + (f" ({detail})" if detail else "")})
    for attempt in episode.get("attempts", []):
        if attempt.get("by") == "hub":
            step = str(attempt.get("command_id") or "").rsplit(":", 1)[-1].replace("_", " ")
            why = f" ({attempt['reason']})" if attempt.get("reason") else ""
            entries.append({"at": str(attempt["at"]), "text": f"{attempt['channel']} "
                            f"{step}: {attempt['outcome']}{why}"})
    for alert in alerts:
        if alert.get("episode_id") != episode.get("episode_id"):
            continue
        entries.append({"at": alert["raised_at"], "text": f"alert raised: {alert['title']}"})
        if alert.get("acknowledged_at"):
            entries.append({"at": alert["acknowledged_at"], "text": f"alert acknowledged by "
                            f"{alert['acknowledged_by']}: {alert['title']}"})
        if alert.get("cleared_at"):
            entries.append({"at": alert["cleared_at"], "text": f"alert cleared "
                            f"({alert['cleared_reason']}): {alert['title']}"})
    return sorted(entries, key=lambda e: _instant(e["at"]), reverse=True)


def _instant(moment: str) -> datetime:
    try:
        at = datetime.fromisoformat(moment)
    except ValueError:
        return datetime.min.replace(tzinfo=ZoneInfo("UTC"))
    return at if at.tzinfo else at.replace(tzinfo=ZoneInfo("UTC"))


def patient_context(view: Mapping[str, Any], alerts: list[dict[str, Any]]) -> dict[str, Any]:
    episodes = []
    for episode in reversed(view["episodes"]):
        forms = [f for f in FORMS if not (f["kind"] in ("contact", "visit", "med_rec")
                                          and episode.get(f["kind"]))]
        episodes.append({**episode, "timeline_view": timeline(episode, alerts),
                         "forms": forms})
    return {"person": view.get("person") or {"mrn": view["patient_key"].split("|")[-1]},
            "episodes": episodes, "alerts": alerts,
            "key": view["patient_key"]}


def action_from_form(form: Mapping[str, str], user: User, zone: ZoneInfo,
                     now: datetime) -> dict[str, Any]:
    """A form's fields as the API's action body; the signed-in person is who took it, and a
    time without an offset (the browser's datetime-local) is the facility's wall time."""
    action: dict[str, Any] = {k: form[k].strip() for k in FORM_FIELDS if form.get(k, "").strip()}
    action["by"] = user.username
    raw = form.get("at", "").strip()
    if not raw:
        action["at"] = now.astimezone(zone).isoformat()
    else:
        try:
            at = datetime.fromisoformat(raw)
        except ValueError:
            action["at"] = raw  # the API refuses it with its reason (bad_time)
        else:
            action["at"] = (at if at.tzinfo else at.replace(tzinfo=zone)).isoformat()
    return action


def alert_rows(rows: Iterable[dict[str, Any]],
               zone_for: Callable[[str], ZoneInfo] | None = None) -> list[dict[str, Any]]:
    """The alerts page's rows (and its JSON for the live refresh), urgent first; times in the
    facility's zone."""
    out = []
    for row in rows:
        words = row.get("detail", {}).get("reply_text")
        raised = row.get("raised_at")
        if zone_for is not None and isinstance(raised, str) and "T" in raised:
            raised = datetime.fromisoformat(raised).astimezone(
                zone_for(row.get("facility") or "")).isoformat()
        out.append({**row, "title": row.get("title") or info(row["kind"]).title,
                    "words": words, "raised_at": raised, "raised_text": when(raised)})
    return out


def report_rows(rows: Iterable[dict[str, Any]], month: str) -> list[dict[str, Any]]:
    return sorted((r for r in rows if r["discharge_date"].startswith(month)),
                  key=lambda r: (r["discharge_date"], r.get("patient_name") or ""))


def report_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["patient", "mrn", "facility", "discharge_date", "status", "supportable",
                     "missing"])
    for row in rows:
        writer.writerow([_cell(str(value)) for value in (
            row.get("patient_name") or "", row["mrn"], row["facility"], row["discharge_date"],
            row["status"], " ".join(row.get("supportable", [])), "; ".join(row["missing"]))])
    return out.getvalue()


def _cell(value: str) -> str:
    """A spreadsheet opens a cell that starts with = + - @ (or a tab or carriage return before
    one) as a formula: never from our data, in any column (the facility comes from the feed)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def this_month(now: datetime) -> str:
    return date(now.year, now.month, 1).isoformat()[:7]
