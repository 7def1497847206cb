"""Every reply that needs a person reaches one, with its words and time (§5, MSG-2): the open
alert is updated and sent again, the timeline keeps each reply, a shared number is flagged."""

from __future__ import annotations

from typing import Any

from hub.api.alerts import AlertFilters, alert_rows
from hub.domain.alerts.lifecycle import on_alert
from hub.domain.alerts.routing import Routing
from hub.domain.episode.actions import apply_action
from hub.domain.episode.outreach_results import apply_outreach_event
from hub.domain.episode.record import PatientRecord
from hub.domain.episode.transitions import Outcome
from tests.unit.episode_events import KEY, RULES, at, opened


def reply(record: PatientRecord, intent: str, text: str, when: str = "2026-11-23 11:00",
          sid: str | None = None, **extra: Any) -> Outcome:
    moment = at(when)
    return apply_outreach_event(record, {
        "kind": "reply", "patient_key": KEY, "episode_id": record.episodes[0].episode_id,
        "command_id": None, "channel": "sms", "status": "received", "at": moment.isoformat(),
        "intent": intent, "reply_text": text, "provider_sid": sid or f"SM-{text}", **extra},
        now=moment, rules=RULES)


def test_a_second_urgent_reply_updates_and_resends_the_open_alert() -> None:
    """§5: after "1" raised an urgent alert, "I fell and my chest hurts" is sent to the care
    team too: same alert, next revision, with both replies' words and times."""
    first = reply(opened(), "urgent", "1", "2026-11-23 11:00")
    second = reply(first.record, "urgent", "I fell and my chest hurts", "2026-11-23 11:20")
    [raised], [updated] = first.alerts, second.alerts
    assert raised.alert_id == updated.alert_id and (raised.revision, updated.revision) == (1, 2)
    assert updated.severity == "urgent" and updated.at == at("2026-11-23 11:20")
    assert updated.detail["reply_text"] == "I fell and my chest hurts"
    assert [(r["text"], r["received_at"]) for r in updated.detail["replies"]] == [
        ("1", at("2026-11-23 11:00").isoformat()),
        ("I fell and my chest hurts", at("2026-11-23 11:20").isoformat())]


def test_the_timeline_keeps_every_replys_words() -> None:
    """§5: the episode's record holds each reply's text, intent and time."""
    record = opened()
    for text, intent in (("2", "doing_well"), ("1", "urgent"), ("who is this?", "unclassified")):
        record = reply(record, intent, text).record
    said = [e for e in record.episodes[0].timeline if e["what"] == "patient_replied"]
    assert [(e["text"], e["intent"]) for e in said] == [
        ("2", "doing_well"), ("1", "urgent"), ("who is this?", "unclassified")]


def test_a_redelivered_reply_is_applied_once() -> None:
    """§5: the same inbound message (its provider id) received twice raises one alert."""
    first = reply(opened(), "urgent", "I fell", "2026-11-23 11:00", sid="SM1")
    again = reply(first.record, "urgent", "I fell", "2026-11-23 11:03", sid="SM1")
    assert again.alerts == [] and again.record == first.record


def test_help_and_unclassified_replies_reach_a_person_each_time() -> None:
    """§5 / MSG-2: HELP may be a patient in trouble: an urgent alert; each unclassified reply
    updates its open alert."""
    [help_alert] = reply(opened(), "help_keyword", "HELP").alerts
    assert (help_alert.kind, help_alert.severity) == ("urgent_reply", "urgent")
    first = reply(opened(), "unclassified", "when is my visit?")
    second = reply(first.record, "unclassified", "hello?", "2026-11-23 12:00")
    assert [a.revision for a in first.alerts + second.alerts] == [1, 2]


def test_after_a_recorded_contact_the_next_urgent_reply_is_a_new_alert() -> None:
    """§5 / TCM-3: a person spoke with the patient: the alert cleared; a later cry for help
    raises it anew (revision 1)."""
    first = reply(opened(), "urgent", "1")
    contacted = apply_action(first.record, {"kind": "contact", "by": "rn.lee",
                                            "channel": "phone",
                                            "at": "2026-11-23T12:00:00-05:00"},
                             now=at("2026-11-23 12:05"), rules=RULES).record
    [again] = reply(contacted, "urgent", "pain again", "2026-11-23 15:00").alerts
    assert again.revision == 1 and [r["text"] for r in again.detail["replies"]] == ["pain again"]


def test_a_shared_number_doing_well_goes_to_a_person_and_stops_nothing() -> None:
    """§5 (one number, several patients): "2" from a household's number may be the other
    patient's: it is not filed as this patient's answer and the call still goes."""
    outcome = reply(opened(), "doing_well", "2", reason="shared_phone")
    [alert] = outcome.alerts
    assert (alert.kind, alert.detail["shared_phone"]) == ("unclassified_reply", True)
    assert outcome.commands == []
    plan = {s.step: s.status for s in outcome.record.episodes[0].plan}
    assert plan["bd1_call"] == "planned"


def test_opting_back_in_clears_the_opt_out_alert() -> None:
    """MSG-2: START after STOP: the next revocation is news again."""
    stopped = reply(opened(), "opt_out", "stop")
    back = reply(stopped.record, "opt_in", "START", "2026-11-23 12:00")
    again = reply(back.record, "opt_out", "cancel", "2026-11-23 13:00")
    assert [a.revision for a in stopped.alerts + again.alerts] == [1, 1]


def test_the_alert_list_shows_the_replies_behind_an_open_alert() -> None:
    """§5: GET /alerts puts the words and times in front of the care team."""
    first = reply(opened(), "urgent", "1", "2026-11-23 11:00")
    second = reply(first.record, "urgent", "I fell", "2026-11-23 11:20")
    book = None
    for outcome in (first, second):  # what the alerts stage gets on care.alerts
        for alert in outcome.alerts:
            book = on_alert(book, KEY, alert.to_dict(), Routing(), alert.at).book
    assert book is not None
    [row] = alert_rows(book, AlertFilters(), Routing())
    assert row["revision"] == 2
    assert [r["text"] for r in row["detail"]["replies"]] == ["1", "I fell"]
