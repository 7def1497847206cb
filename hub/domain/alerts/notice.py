"""What leaves the hub about an alert: by default no PHI (kind, severity, facility, the due time
it is about and a link to the worklist), the patient's first name and words only on channels
the routing file approved for them. The same notice is a chat message, a webhook body, an
email and (shortened) a text to the on-call phone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from hub.domain.alerts.kinds import info

DUE_FACTS = ("contact_due", "visit_due_99496", "visit_due_99495", "visit_date")
PHASES = ("raised", "updated", "reminder", "escalated", "cleared")


def notice(case: dict[str, Any], phase: str, link_base: str, *, names: bool) -> dict[str, Any]:
    """``case``: an alert case as ``lifecycle`` keeps it (plain JSON)."""
    kind = info(case["kind"])
    body: dict[str, Any] = {
        "alert_id": case["alert_id"], "kind": case["kind"], "title": kind.title,
        "severity": case["severity"], "phase": phase, "facility": case["facility"],
        "team": case["team"], "rule": kind.rule, "raised_at": case["raised_at"],
        # the worklist's alerts page, this alert marked: an id, never the patient
        "link": f"{link_base}/app/alerts?alert={quote(case['alert_id'], safe='')}"
        if link_base else None}
    for fact in DUE_FACTS:
        if case["detail"].get(fact):
            body[fact] = _readable(str(case["detail"][fact]))
    if phase == "cleared":
        body["reason"] = case.get("cleared_reason")
    if names:
        body["patient_first_name"] = case.get("patient_name")
        if case["detail"].get("reply_text"):
            body["patient_words"] = case["detail"]["reply_text"]
    body["text"] = text(body)
    return body


def _readable(moment: str) -> str:
    """``2026-12-08T23:59:59.999999-05:00`` -> ``2026-12-08 23:59 -05:00`` (a date stays)."""
    try:
        at = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    if "T" not in moment:
        return moment
    offset = at.strftime("%z")
    return at.strftime("%Y-%m-%d %H:%M") + (f" {offset[:3]}:{offset[3:]}" if offset else "")


def text(body: dict[str, Any]) -> str:
    """One line a person reads on a phone or in a chat channel."""
    label = {"cleared": "CLEARED", "escalated": "ESCALATED", "reminder": "REMINDER"}.get(
        body["phase"], body["severity"].upper())
    parts = [f"[TCM {label}] {body['title']}", body["facility"]]
    due = next((body[f] for f in DUE_FACTS if body.get(f)), None)
    if due:
        parts.append(f"due {due}")
    if body.get("patient_first_name"):
        parts.append(str(body["patient_first_name"]))
    if body.get("patient_words"):
        parts.append(f'"{body["patient_words"]}"')
    if body.get("reason"):
        parts.append(f"({body['reason']})")
    if body.get("link"):
        parts.append(body["link"])
    return " · ".join(parts)


SMS_MAX = 160


def sms_text(body: dict[str, Any]) -> str:
    """The page to an on-call phone: one segment, no PHI (names never go by SMS here)."""
    label = {"cleared": "CLEARED", "escalated": "ESCALATED", "reminder": "REMINDER"}.get(
        body["phase"], body["severity"].upper())
    tail = f" · {body['facility']}" + (f" · {body['link']}" if body.get("link") else "")
    head = f"[TCM {label}] {body['title']}"
    return (head[:max(10, SMS_MAX - len(tail))] + tail)[:SMS_MAX]


def email_subject(body: dict[str, Any]) -> str:
    return text({**body, "link": None, "patient_words": None})
