"""hub.domain.alerts: one alert per situation, routed to its team, delivered on its channels,
acknowledged, escalated down the on-call list, re-notified only by an interval, cleared."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.domain.alerts.feed import on_seen, silent_at, tick
from hub.domain.alerts.lifecycle import (
    MAX_ATTEMPTS,
    AlertRefusal,
    acknowledge,
    next_due,
    on_alert,
    on_result,
    open_cases,
)
from hub.domain.alerts.routing import FeedWatch, Person, Route, Routing, Team

NY = ZoneInfo("America/New_York")
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=NY)
ROUTING = Routing(
    teams={"general": Team("general", members=("ana", "ben"), on_call=("ana", "ben"),
                           channels=("sms", "webhook", "email"), webhook="https://hooks/x",
                           webhook_secret="s" * 20, email=("team@example.org",),
                           names_on=frozenset({"email"})),
           "cardiac": Team("cardiac", on_call=("cy",), channels=("sms",)),
           "integration": Team("integration", channels=("email",), email=("it@example.org",))},
    people={"ana": Person("ana", "Ana", "+12025550101"),
            "ben": Person("ben", "Ben", "+12025550102"),
            "cy": Person("cy", "Cy", "+12025550103")},
    routes=(Route("GENHOSP", "CAR", "cardiac"),), default_team="general",
    integration_team="integration", link="https://tcm.example.org",
    escalate_after=timedelta(minutes=15),
    feeds={"GENHOSP": FeedWatch(timedelta(minutes=60))})


def alert(kind: str = "urgent_reply", severity: str = "urgent", revision: int = 1,
          **extra: Any) -> dict[str, Any]:
    return {"alert_id": f"ep-1:{kind}", "kind": kind, "severity": severity, "episode_id": "ep-1",
            "patient_key": "GEN|1", "facility": "GENHOSP", "program": "MED", "at": T0.isoformat(),
            "revision": revision, "patient_name": "Maria",
            "detail": {"reply_text": "I fell and my chest hurts"}, "event": "alert", **extra}


def raised(**extra: Any) -> Any:
    return on_alert(None, "GEN|1", alert(**extra), ROUTING, T0)


def test_one_alert_goes_to_each_channel_of_its_team_with_deterministic_ids() -> None:
    step = raised()
    assert [(d["channel"], d["address"]) for d in step.deliveries] == [
        ("sms", "+12025550101"), ("webhook", "https://hooks/x"), ("email", "team@example.org")]
    assert [d["delivery_id"] for d in step.deliveries] == [
        "ep-1:urgent_reply/1/sms/ana", "ep-1:urgent_reply/1/webhook", "ep-1:urgent_reply/1/email"]
    again = on_alert(step.book, "GEN|1", alert(), ROUTING, T0 + timedelta(seconds=5))
    assert again.deliveries == [] and again.book == step.book  # a redelivered record: nothing


def test_no_phi_leaves_by_default_names_only_on_approved_channels() -> None:
    """§5 / MSG-4: kind, facility and a link; the first name and words only where approved."""
    by_channel = {d["channel"]: d["notice"] for d in raised().deliveries}
    for channel in ("sms", "webhook"):
        assert "patient_first_name" not in by_channel[channel]
        assert "fell" not in by_channel[channel]["text"] and "Maria" not in str(by_channel[channel])
        assert by_channel[channel]["link"] == (
            "https://tcm.example.org/app/alerts?alert=ep-1%3Aurgent_reply")
    assert by_channel["email"]["patient_first_name"] == "Maria"
    assert "I fell" in by_channel["email"]["text"]


def test_routes_by_facility_and_program_then_the_default_team() -> None:
    assert on_alert(None, "k", alert(program="car"), ROUTING, T0).book["cases"][
        "ep-1:urgent_reply"]["team"] == "cardiac"
    assert on_alert(None, "k", alert(facility="OTHER"), ROUTING, T0).book["cases"][
        "ep-1:urgent_reply"]["team"] == "general"


def test_notices_are_recorded_but_page_no_one() -> None:
    step = on_alert(None, "k", alert("episodes_merged", "info"), ROUTING, T0)
    assert step.deliveries == [] and [a["action"] for a in step.actions] == ["alert"]
    routine = on_alert(None, "k", alert("episode_opened", "info"), ROUTING, T0)
    assert routine.actions == [] and routine.book == {"cases": {}, "ended": []}  # no book


def test_an_update_of_an_open_alert_is_delivered_again() -> None:
    """§5: a second urgent reply is news: the next revision is notified in a new round."""
    first = raised()
    second = on_alert(first.book, "GEN|1", alert(revision=2), ROUTING, T0 + timedelta(hours=1))
    assert {d["delivery_id"].split("/")[1] for d in second.deliveries} == {"2"}
    assert [a["action"] for a in second.actions] == ["alert_updated"]


def test_urgent_unacknowledged_escalates_down_the_on_call_list_at_its_time() -> None:
    book = raised().book
    assert next_due(book) == T0 + timedelta(minutes=15)
    early = tick(book, ROUTING, T0 + timedelta(minutes=14, seconds=59))
    assert early.deliveries == [] and early.actions == []
    step = tick(book, ROUTING, T0 + timedelta(minutes=15))
    assert [a["action"] for a in step.actions] == ["alert_escalated"]
    assert step.actions[0]["to_person"] == "ben"
    assert [d["address"] for d in step.deliveries if d["channel"] == "sms"] == ["+12025550102"]
    assert {d["notice"]["phase"] for d in step.deliveries} == {"escalated"}
    end = tick(step.book, ROUTING, T0 + timedelta(minutes=30))
    assert [a["action"] for a in end.actions] == ["alert_on_call_exhausted"]
    assert end.deliveries == [] and next_due(end.book) is None


def test_acknowledgement_names_the_person_and_stops_escalation() -> None:
    step = acknowledge(raised().book, "ep-1:urgent_reply", "nurse.lee", ROUTING,
                       T0 + timedelta(minutes=5))
    case = step.book["cases"]["ep-1:urgent_reply"]
    assert (case["state"], case["acked_by"]) == ("acknowledged", "nurse.lee")
    assert tick(step.book, ROUTING, T0 + timedelta(hours=1)).deliveries == []
    twice = acknowledge(step.book, "ep-1:urgent_reply", "nurse.lee", ROUTING, T0)
    assert twice.actions == []
    with pytest.raises(AlertRefusal) as refused:
        acknowledge(step.book, "ep-1:nope", "x", ROUTING, T0)
    assert refused.value.status == 404


def test_clearing_tells_the_channels_that_were_told_and_refuses_a_late_ack() -> None:
    first = raised()
    gone = on_alert(first.book, "GEN|1", alert(event="alert_cleared", reason="contact_recorded"),
                    ROUTING, T0 + timedelta(minutes=3))
    assert [a["action"] for a in gone.actions] == ["alert_cleared"]
    assert [(d["channel"], d["notice"]["phase"]) for d in gone.deliveries] == [
        ("webhook", "cleared"), ("email", "cleared")]
    assert gone.deliveries[0]["notice"]["reason"] == "contact_recorded"
    assert open_cases(gone.book) == [] and next_due(gone.book) is not None  # kept, then pruned
    with pytest.raises(AlertRefusal) as refused:
        acknowledge(gone.book, "ep-1:urgent_reply", "x", ROUTING, T0 + timedelta(minutes=4))
    assert refused.value.status == 409


def test_a_fact_ends_when_a_person_has_seen_it() -> None:
    """TCM-10: a death cannot clear by itself; the acknowledgement clears it."""
    book = on_alert(None, "k", alert("patient_deceased"), ROUTING, T0).book
    step = acknowledge(book, "ep-1:patient_deceased", "dr.kim", ROUTING, T0)
    assert [a["action"] for a in step.actions] == ["alert_acknowledged", "alert_cleared"]


def test_a_failing_channel_is_retried_with_backoff_then_given_up_and_that_alerts() -> None:
    step = raised()
    webhook = next(d for d in step.deliveries if d["channel"] == "webhook")
    book, now = step.book, T0
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        result = {"delivery_id": webhook["delivery_id"], "alert_id": webhook["alert_id"],
                  "status": "failed", "error": "HTTP 503", "attempt": attempt}
        step = on_result(book, result, ROUTING, now)
        book = step.book
        if attempt < MAX_ATTEMPTS:
            retry_at = datetime.fromisoformat(
                book["cases"]["ep-1:urgent_reply"]["deliveries"][webhook["delivery_id"]]
                ["retry_at"])
            waits.append(retry_at - now)
            now = retry_at
            again = tick(book, ROUTING, now)
            assert [d["attempt"] for d in again.deliveries
                    if d["delivery_id"] == webhook["delivery_id"]] == [
                attempt + 1]
            book = again.book
    assert waits == sorted(waits) and waits[0] == timedelta(seconds=30)
    assert "alert_delivery_failed" in [a["action"] for a in step.actions]
    failure = book["cases"]["ep-1:urgent_reply:delivery_failed:webhook"]
    assert failure["team"] == "integration" and failure["kind"] == "delivery_failed"
    assert [d["address"] for d in step.deliveries] == ["it@example.org"]


def test_a_delivered_channel_is_in_the_history() -> None:
    step = raised()
    sms = step.deliveries[0]
    done = on_result(step.book, {"delivery_id": sms["delivery_id"], "alert_id": sms["alert_id"],
                                 "status": "sent", "attempt": 1}, ROUTING, T0)
    history = done.book["cases"]["ep-1:urgent_reply"]["history"]
    assert [h["what"] for h in history] == ["alert", "alert_notified"]
    assert history[-1]["channel"] == "sms" and history[-1]["person"] == "ana"


def test_reminders_only_by_an_explicit_interval() -> None:
    quiet = tick(raised(kind="contact_due_today", severity="warning").book, ROUTING,
                 T0 + timedelta(days=2))
    assert quiet.deliveries == []
    every = Routing(**{**ROUTING.__dict__, "renotify_every": timedelta(hours=4)})
    book = on_alert(None, "k", alert("contact_due_today", "warning"), every, T0).book
    step = tick(book, every, T0 + timedelta(hours=4))
    assert {d["notice"]["phase"] for d in step.deliveries} == {"reminder"}


@pytest.mark.parametrize("last, expected", [
    # 60 minutes of usual hours (07:00-19:00, Mon-Fri, New York) after the last message
    ("2026-11-24 10:00", "2026-11-24 11:00"),
    ("2026-11-24 18:50", "2026-11-25 07:50"),   # 10 minutes today, 50 tomorrow
    ("2026-11-27 18:30", "2026-11-30 07:30"),   # Friday evening -> Monday
    ("2026-11-28 12:00", "2026-11-30 08:00"),   # a message on Saturday: counted from Monday
    ("2026-03-06 18:30", "2026-03-09 07:30"),   # across the spring-forward weekend (DST)
])
def test_feed_silence_counts_only_the_usual_hours(last: str, expected: str) -> None:
    watch = FeedWatch(timedelta(minutes=60))
    at = datetime.fromisoformat(last).replace(tzinfo=NY)
    assert silent_at(at, watch) == datetime.fromisoformat(expected).replace(tzinfo=NY)


def test_feed_silence_alerts_the_integration_team_and_the_next_message_clears_it() -> None:
    seen = on_seen(None, "GENHOSP", T0, ROUTING, T0)
    assert next_due(seen.book) == T0 + timedelta(hours=1)
    assert tick(seen.book, ROUTING, T0 + timedelta(minutes=59)).actions == []
    silent = tick(seen.book, ROUTING, T0 + timedelta(hours=1))
    [case] = open_cases(silent.book)
    assert (case["kind"], case["team"]) == ("feed_silence", "integration")
    assert [d["address"] for d in silent.deliveries] == ["it@example.org"]
    assert tick(silent.book, ROUTING, T0 + timedelta(hours=3)).actions == []  # once
    back = on_seen(silent.book, "GENHOSP", T0 + timedelta(hours=2), ROUTING,
                   T0 + timedelta(hours=2))
    assert [(a["action"], a.get("reason")) for a in back.actions] == [
        ("alert_cleared", "feed_resumed")]


def test_a_page_the_provider_took_but_could_not_deliver_is_sent_again() -> None:
    """An SMS page answered "sent", then "undelivered" by a status callback: tried again."""
    step = raised()
    sms = step.deliveries[0]
    ids = {"delivery_id": sms["delivery_id"], "alert_id": sms["alert_id"], "attempt": 1}
    book = on_result(step.book, {**ids, "status": "sent"}, ROUTING, T0).book
    back = on_result(book, {**ids, "status": "failed", "error": "undelivered"}, ROUTING,
                     T0 + timedelta(seconds=20))
    entry = back.book["cases"]["ep-1:urgent_reply"]["deliveries"][sms["delivery_id"]]
    assert entry["status"] == "pending" and entry["retry_at"] is not None
    again = tick(back.book, ROUTING, datetime.fromisoformat(entry["retry_at"]))
    assert [d["attempt"] for d in again.deliveries if d["delivery_id"] == sms["delivery_id"]] == [2]
    webhook = step.deliveries[1]  # a webhook that answered 2xx cannot come back
    done = on_result(step.book, {"delivery_id": webhook["delivery_id"], "attempt": 1,
                                 "alert_id": webhook["alert_id"], "status": "sent"}, ROUTING, T0)
    assert on_result(done.book, {"delivery_id": webhook["delivery_id"], "attempt": 1,
                                 "alert_id": webhook["alert_id"], "status": "failed"},
                     ROUTING, T0).actions == []
