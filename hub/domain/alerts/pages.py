"""An SMS delivery as a command for the outreach stage: the same Twilio path and send ledger as
the patients' texts (never twice), keyed by the on-call phone, marked as a care-team page so
the patient rules (quiet hours, caps, binding the phone to a patient) do not apply."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hub.domain.alerts.notice import sms_text
from hub.domain.messages import CARE_TEAM_PREFIX, OutreachCommand

PAGE_EXPIRES = timedelta(hours=6)  # a page the provider could not take by then is given up


def page_command(delivery: dict[str, Any], now: datetime, zone: str) -> OutreachCommand:
    return OutreachCommand(
        command_id=f"{CARE_TEAM_PREFIX}{delivery['delivery_id']}#{delivery['attempt']}",
        episode_id=delivery["alert_id"], patient_key=delivery["key"], step="alert_page",
        channel="sms", to=delivery["address"], template="alert_page", language="en",
        body=sms_text(delivery["notice"]), not_before=now, expires_at=now + PAGE_EXPIRES,
        zone=zone, facility=delivery["facility"])


def page_result(command_id: str, alert_id: str | None, status: str, reason: str | None,
                final: bool) -> dict[str, Any] | None:
    """What outreach said about a page, as an alert delivery result; None when it is not an
    answer (a redelivery suppressed as a duplicate, a delivery receipt after "sent")."""
    delivery_id, _, attempt = command_id[len(CARE_TEAM_PREFIX):].rpartition("#")
    if status == "sent":
        outcome = "sent"
    elif status in ("failed", "undelivered"):
        outcome = "permanent" if final else "failed"
    elif status == "suppressed" and reason not in ("duplicate", "in_doubt", "cancelled"):
        outcome = "permanent"  # opted out (the person texted STOP), expired
    else:
        return None
    return {"delivery_id": delivery_id, "alert_id": alert_id, "status": outcome,
            "attempt": int(attempt) if attempt.isdigit() else 1, "channel": "sms",
            "error": reason}
