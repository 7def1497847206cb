"""The demo's closing summary: what the hub did with the feed, as a care coordinator reads it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.cli.demo.inbox import Inbox
from hub.cli.demo.script import Scenario


def _local(value: str | None, zone: ZoneInfo) -> str:
    if not value:
        return "-"
    return datetime.fromisoformat(value).astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")


def render_summary(scenario: Scenario, acks: list[tuple[str, str]],
                   records: dict[str, list[dict[str, Any]]], *, zone: ZoneInfo,
                   complete: bool, replies: Sequence[tuple[str, int]] = (),
                   inbox: Inbox | None = None) -> str:
    who = scenario.patients
    lines = ["", "=" * 78, "tcm-hub demo summary" + ("" if complete else " (INCOMPLETE)"),
             "=" * 78, "", f"Feed sent over MLLP ({len(acks)} messages), and the hub's ACKs:"]
    for label, summary in acks:
        code, _, rest = summary.partition(" ")
        control, _, error = rest.partition("  ")
        lines.append(f"  {code} {control:<10} {label}")
        if error:
            lines.append(f"      {error}")
    if replies:
        lines += ["", "Replies posted to the Twilio webhook (signed as Twilio signs them):"]
        lines += [f"  HTTP {status}  {label}" for label, status in replies]

    alerts = [a for a in records["care.alerts"] if a.get("event", "alert") == "alert"]
    opened = [a for a in alerts if a["kind"] == "episode_opened"]
    lines += ["", f"Transitional-care episodes opened: {len(opened)}"]
    for alert in opened:
        d = alert["detail"]
        lines.append(f"  {who.get(alert['patient_key'], alert['patient_key'])}: "
                     f"contact due {_local(d.get('contact_due'), zone)}, "
                     f"visit by {d.get('visit_due_99496', '-')} (99496) / "
                     f"{d.get('visit_due_99495', '-')} (99495), "
                     f"window ends {d.get('window_end', '-')}")
    other = [a for a in alerts if a["kind"] != "episode_opened"]
    lines += ["", f"Alerts for the care team: {len(other)}"]
    lines += [f"  [{a['severity']}] {a['kind']}"
              + (f" (update {a['revision']})" if a.get("revision", 1) > 1 else "")
              + f": {who.get(a['patient_key'], a['patient_key'])}"
              + (f" ({a['detail'].get('reason')})" if a["detail"].get("reason") else "")
              + (f": \"{a['detail']['reply_text']}\"" if a["detail"].get("reply_text") else "")
              for a in other]
    lines += _delivered(records, inbox, zone)
    answers = [e for e in records["outreach.events"] if e["kind"] == "send_result"
               and str(e["command_id"]).startswith("answer:")]
    lines += ["", f"Answers to patients' texts (through the send ledger): {len(answers)}"]
    lines += [f"  {who.get(e['patient_key'], e['patient_key'])}: "
              f"{str(e['command_id']).split(':')[1]} {e['status']}" for e in answers]

    results = {e["command_id"]: e for e in records["outreach.events"]
               if e["kind"] == "send_result" and e["status"] != "cancelled"}
    commands = [c for c in records["outreach.commands"] if c["action"] == "send"
                and c["step"] != "alert_page"]  # the pages are shown with the alerts
    lines += ["", f"Messages planned: {len(commands)} (Twilio stand-in: nothing was really sent)"]
    for command in commands:
        result = results.get(command["command_id"])
        status = result["status"] if result else "pending"
        when = (f" until {_local(result.get('deferred_until'), zone)}"
                if result and result.get("deferred_until") else "")
        reason = f" ({result['reason']})" if result and result.get("reason") else ""
        lines.append(f"  {command['step']:<14} {command['channel']:<5} "
                     f"{_local(command['not_before'], zone)}  {status}{when}{reason}")
        if command["step"] == "welcome_sms":
            lines.append(f"      \"{command['body']}\"")

    lines += ["", f"Dead letters (accepted, then could not be normalized): "
                  f"{len(records['adt.deadletter'])}"]
    lines += [f"  {d['control_id']}: {d['code']} at {d['location'] or '-'}: {d['message']}"
              for d in records["adt.deadletter"]]
    lines += ["", f"Rejected at the door (kept in hl7.adt.rejected): "
                  f"{len(records['hl7.adt.rejected'])}"]
    lines += [f"  {r['control_id']}: {r['error']['code']} at {r['error'].get('location') or '-'}: "
              f"{r['error']['message']}" for r in records["hl7.adt.rejected"] if r.get("error")]
    lines.append("")
    return "\n".join(lines)


def _delivered(records: dict[str, list[dict[str, Any]]], inbox: Inbox | None,
               zone: ZoneInfo) -> list[str]:
    """The alerts' side: who was paged, what the team's chat received (signature checked, no
    PHI), who acknowledged, what cleared and why."""
    pages = [r for r in records.get("alerts.results", []) if r["channel"] == "sms"
             and r["status"] == "sent"]
    lines = ["", "Alerts delivered to the care team (routing file, on-call page, signed webhook):"]
    lines += [f"  SMS page to the on-call nurse (Twilio stand-in): {r['delivery_id']}"
              for r in pages]
    for message in (inbox.messages if inbox else []):
        lines.append(f"  webhook ({message['phase']}): {message['text']}")
    lines += [f"  acknowledged by {a['by']}: {a['alert_id']}"
              for a in records.get("alerts.actions", [])]
    cleared = [a for a in records["care.alerts"] if a.get("event") == "alert_cleared"
               and a["kind"] != "episode_opened"]
    lines += [f"  cleared ({a['reason']}): {a['alert_id']}" for a in cleared]
    if inbox is not None and inbox.refused:
        lines.append(f"  webhook requests refused for a bad signature: {inbox.refused}")
    return lines
