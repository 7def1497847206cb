"""``hub trace``: the story of one message (or one patient) gathered from the topics' records,
as the stages write them (the records here are built by the hub's own message types)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.cli.trace import print_story, story
from hub.domain.messages import CareAlert, OutreachCommand, OutreachEvent
from hub.errors import InputError

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 23, 9, 30, tzinfo=NY)
KEY, OTHER = "GENHOSP|558812", "GENHOSP|999"


def command(episode: str, key: str, phone: str, control_id: str) -> dict[str, Any]:
    return OutreachCommand(
        command_id=f"{episode}:welcome_sms", episode_id=episode, patient_key=key,
        step="welcome_sms", channel="sms", to=phone, template="welcome", language="en",
        body="Hi Ana, this is Riverside. Reply STOP to opt out.", not_before=AT,
        expires_at=AT + timedelta(days=29), zone="America/New_York", facility="GENHOSP",
        control_id=control_id).to_dict() | {"_written_at": "2026-11-23T14:30:02+00:00"}


def alert(episode: str, key: str, kind: str, control_id: str, minutes: int,
          event: str = "alert") -> dict[str, Any]:
    return CareAlert(alert_id=f"{episode}:{kind}", kind=kind, episode_id=episode,
                     patient_key=key, facility="GENHOSP", severity="urgent",
                     at=AT + timedelta(minutes=minutes, seconds=1), control_id=control_id,
                     event=event,
                     reason="contact_recorded" if event == "alert_cleared" else None).to_dict()


def outreach(episode: str, key: str, kind: str, status: str, minutes: int,
             **extra: Any) -> dict[str, Any]:
    return OutreachEvent(kind=kind, patient_key=key, episode_id=episode,  # type: ignore[arg-type]
                         command_id=None if kind == "reply" else f"{episode}:welcome_sms",
                         channel="sms", status=status, at=AT + timedelta(minutes=minutes),
                         **extra).to_dict()


def records() -> dict[str, list[dict[str, Any]]]:
    raw = {"received_at": "2026-11-23T14:30:00.100+00:00", "transport": "mllp",
           "peer": "10.0.0.7:51000", "size": 812, "control_id": "C1",
           "sending_facility": "GENHOSP", "message_type": "ADT^A03"}
    return {
        "hl7.adt.raw": [raw, {**raw, "control_id": "C2"}],
        "hl7.adt.rejected": [{**raw, "control_id": "C9", "error": {
            "code": "missing_segment", "location": "PID", "ack_code": "AE"}}],
        "adt.events": [
            {"control_id": "C1", "event_type": "A03", "patient": {"key": KEY},
             "recorded_at": "2026-11-23T09:30:00-05:00", "warnings": [],
             "_written_at": "2026-11-23T14:30:00.500+00:00"},
            {"control_id": "C2", "event_type": "A03", "patient": {"key": OTHER},
             "recorded_at": "2026-11-23T09:31:00-05:00", "warnings": [],
             "_written_at": "2026-11-23T14:31:00.500+00:00"}],
        "care.alerts": [alert("ep-1", KEY, "episode_opened", "C1", 0),
                        alert("ep-1", KEY, "urgent_reply", "C1", 90),
                        alert("ep-1", KEY, "urgent_reply", "C1", 200, "alert_cleared"),
                        alert("ep-2", OTHER, "episode_opened", "C2", 1)],
        "outreach.commands": [command("ep-1", KEY, "+16175550188", "C1"),
                              command("ep-2", OTHER, "+16175550199", "C2"),
                              command("ep-1", KEY, "+16175550188", "C1") | {
                                  "action": "cancel", "step": "day2_call",
                                  "command_id": "ep-1:day2_call",
                                  "_written_at": "2026-11-23T17:00:00+00:00"},
                              command("ep-1", KEY, "+16175550188", "C1") | {
                                  "action": "cancel",
                                  "_written_at": "2026-11-23T17:00:01+00:00"}],
        "outreach.events": [
            outreach("ep-1", KEY, "send_result", "sent", 1, provider_sid="SM" + "a" * 32),
            outreach("ep-1", KEY, "status", "delivered", 2, provider_sid="SM" + "a" * 32),
            outreach("ep-1", KEY, "reply", "received", 89, intent="urgent",
                     reply_text="I fell and my chest hurts"),
            outreach("ep-2", OTHER, "send_result", "sent", 3, provider_sid="SM" + "b" * 32)],
        "alerts.deliveries": [{"delivery_id": "d1", "alert_id": "ep-1:urgent_reply",
                               "channel": "sms", "team": "care", "person": "rn.lee",
                               "attempt": 1, "_written_at": "2026-11-23T16:00:01+00:00"}],
        "alerts.results": [{"delivery_id": "d1", "alert_id": "ep-1:urgent_reply",
                            "channel": "sms", "status": "sent", "error": None,
                            "_written_at": "2026-11-23T16:00:02+00:00"}],
        "alerts.actions": [{"alert_id": "ep-1:urgent_reply", "by": "rn.lee",
                            "_written_at": "2026-11-23T16:10:00+00:00"}],
        "episodes.actions": [
            {"kind": "contact", "by": "rn.lee", "at": "2026-11-23T12:40:00-05:00",
             "channel": "phone", "action_id": "a1", "_key": KEY,
             "_written_at": "2026-11-23T17:40:00+00:00"},
            {"kind": "contact", "by": "rn.kim", "at": "2026-11-23T12:41:00-05:00",
             "channel": "phone", "action_id": "a2", "_key": OTHER,
             "_written_at": "2026-11-23T17:41:00+00:00"}],
    }


def test_a_control_id_tells_the_discharge_s_story_in_time_order() -> None:
    lines = story(records(), "C1")
    whats = [line.what for line in lines]
    assert whats == ["received, ACK AA", "event A03", "episode opened", "plan sms welcome_sms",
                     "send sent", "twilio delivered", "reply (urgent)", "alert urgent_reply",
                     "notify sms", "sms sent", "acknowledged", "cancel planned",
                     "cancel planned", "recorded contact", "alert cleared urgent_reply"]
    assert [line.facts["by"] for line in lines if line.what == "recorded contact"] == ["rn.lee"]
    assert lines[4].facts["sid"] == "SM" + "a" * 32
    assert lines[-1].facts["reason"] == "contact_recorded"


def test_the_story_keeps_phi_to_what_an_analyst_needs() -> None:
    out = io.StringIO()
    print_story(story(records(), "C1"), "C1", False, out)
    text = out.getvalue()
    assert "…0188" in text and "+16175550188" not in text
    assert "chest" not in text and "Hi Ana" not in text  # words and bodies stay on the page
    assert "SM" + "b" * 32 not in text and "ep-2" not in text  # another patient's records


def test_a_patient_key_gathers_every_message_of_the_patient() -> None:
    lines = story(records(), KEY)
    assert {line.facts.get("control_id") for line in lines} - {None} == {"C1"}
    assert "episode opened" in [line.what for line in lines]


def test_a_refused_message_is_its_ack_and_reason() -> None:
    [line] = story(records(), "C9")
    assert (line.what, line.facts["outcome"], line.facts["location"]) == (
        "received, ACK AE", "refused: missing_segment", "PID")


def test_the_same_control_id_from_two_facilities_can_be_told_apart() -> None:
    """--facility keeps to that facility's message and to its episodes, plans and alerts (the
    other facility's episode, phone ending included, is not shown)."""
    both = records()
    north = "NORTH|7"
    both["hl7.adt.raw"].append({**both["hl7.adt.raw"][0], "sending_facility": "NORTH"})
    both["adt.events"].append({**both["adt.events"][0], "sending_facility": "NORTH",
                               "patient": {"key": north}})
    both["adt.events"][0]["sending_facility"] = "GENHOSP"
    both["care.alerts"].append(alert("ep-n", north, "episode_opened", "C1", 2))
    both["outreach.commands"].append(command("ep-n", north, "+16175550177", "C1"))
    assert len([x for x in story(both, "C1") if x.stage == "ingest"]) == 2
    north_only = story(both, "C1", facility="NORTH")
    assert len([x for x in north_only if x.stage == "ingest"]) == 1
    gen_only = story(both, "C1", facility="GENHOSP")
    shown = " ".join(str(x.facts) for x in gen_only)
    assert "ep-n" not in shown and "0177" not in shown and "ep-1" in shown
    assert "ep-n" in " ".join(str(x.facts) for x in north_only)


def test_nothing_found_is_one_line_naming_what_was_asked() -> None:
    with pytest.raises(InputError, match="NOPE: nothing on the topics"):
        print_story(story(records(), "NOPE"), "NOPE", False, io.StringIO())
