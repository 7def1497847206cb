"""SMS pages to the care team go through outreach's decision and ledger: at once whatever the
hour (a 2 a.m. page is wanted, a 2 a.m. patient text is not), never twice, never binding the
staff phone to a patient; what outreach says back becomes a delivery result."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from hub.domain.alerts.lifecycle import on_alert
from hub.domain.alerts.pages import page_command, page_result
from hub.domain.alerts.routing import Person, Routing, Team
from hub.domain.messages import OutreachCommand
from hub.domain.phone import ledger
from hub.domain.phone.decision import Defer, SendNow, Suppress, decide
from hub.domain.phone.policy import ContactPolicy

NY = ZoneInfo("America/New_York")
TWO_AM = datetime(2026, 11, 24, 2, 0, tzinfo=NY)
ROUTING = Routing(teams={"t": Team("t", on_call=("kim",), channels=("sms",))},
                  people={"kim": Person("kim", "Kim", "+16175550111")}, default_team="t",
                  link="https://tcm.example.org")
ALERT = {"alert_id": "ep-9:urgent_reply", "kind": "urgent_reply", "severity": "urgent",
         "episode_id": "ep-9", "patient_key": "GEN|9", "facility": "GEN", "revision": 1,
         "at": TWO_AM.isoformat(), "detail": {"reply_text": "I fell"}, "patient_name": "Ana"}


def page() -> OutreachCommand:
    [delivery] = on_alert(None, "GEN|9", ALERT, ROUTING, TWO_AM).deliveries
    return page_command(delivery, TWO_AM, "America/New_York")


def test_a_page_goes_at_2_am_and_a_patient_text_would_not() -> None:
    command = page()
    state, decision = decide(None, command, now=TWO_AM, policy=ContactPolicy())
    assert isinstance(decision, SendNow)
    assert state.patient_key is None and state.episodes == {}  # the phone is staff, not a patient
    assert command.command_id == "alert:ep-9:urgent_reply/1/sms/kim#1"
    assert len(command.body) <= 160 and "I fell" not in command.body
    assert "Ana" not in command.body
    patient = replace(command, command_id="ep-9:welcome_sms", step="welcome_sms")
    _, later = decide(None, patient, now=TWO_AM, policy=ContactPolicy())
    assert isinstance(later, Defer) and later.reason == "quiet_hours"


def test_a_page_is_never_sent_twice() -> None:
    command = page()
    state, _ = decide(None, command, now=TWO_AM, policy=ContactPolicy())
    state = ledger.mark_sending(state, command, TWO_AM)
    state = ledger.mark_sent(state, command.command_id, "SM1", "queued", TWO_AM)
    _, again = decide(state, command, now=TWO_AM, policy=ContactPolicy())
    assert isinstance(again, Suppress) and again.reason == "duplicate"


def test_what_outreach_says_becomes_a_delivery_result() -> None:
    cid = "alert:ep-9:urgent_reply/1/sms/kim#2"
    assert page_result(cid, "ep-9:urgent_reply", "sent", None, final=False) == {
        "delivery_id": "ep-9:urgent_reply/1/sms/kim", "alert_id": "ep-9:urgent_reply",
        "status": "sent", "attempt": 2, "channel": "sms", "error": None}
    for status, reason, final, outcome in (("failed", "provider_error", False, "failed"),
                                           ("failed", "21610", True, "permanent"),
                                           ("suppressed", "opted_out", False, "permanent")):
        result = page_result(cid, "a", status, reason, final=final)
        assert result is not None and result["status"] == outcome
    assert page_result(cid, "a", "suppressed", "duplicate", final=False) is None
    assert page_result(cid, "a", "deferred", "retry_backoff", final=False) is None
