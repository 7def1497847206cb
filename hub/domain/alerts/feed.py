"""Feed silence: no ADT from a sending facility for a configured time *inside its usual hours*
(the integration team's alert). Silence is counted only while the feed is expected to speak: a
last message at 18:50 with hours 07:00-19:00 and a 60-minute limit alerts at 07:50 the next
business day, not at 19:50 and not all night. The book of key ``feed:<facility>`` keeps when it
was last heard; the next message clears the alert."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.alerts.lifecycle import Step, clear, new_case, note, notify, on_tick, start
from hub.domain.alerts.routing import FeedWatch, Routing

LOOK_AHEAD_DAYS = 30  # hours that never open (no days listed) end the search


def feed_key(facility: str) -> str:
    return f"feed:{facility}"


def silent_at(last_seen: datetime, watch: FeedWatch) -> datetime | None:
    """The moment ``watch.silence`` of expected-hours time has passed since ``last_seen``."""
    zone = ZoneInfo(watch.zone)
    left, t = watch.silence, last_seen.astimezone(zone)
    for _ in range(LOOK_AHEAD_DAYS + 1):
        day = t.date()
        if day.weekday() in watch.days:
            opens = datetime.combine(day, watch.start, tzinfo=zone)
            closes = datetime.combine(day, watch.end, tzinfo=zone)
            t = max(t, opens)
            if t < closes:
                if closes - t >= left:
                    return t + left
                left -= closes - t
        t = datetime.combine(day + timedelta(days=1), watch.start.replace(hour=0, minute=0),
                             tzinfo=zone)
    return None


def on_seen(book: dict[str, Any] | None, facility: str, at: datetime, routing: Routing,
            now: datetime) -> Step:
    """An ADT from ``facility`` at ``at``: remember it, clear an open silence alert."""
    step = start(book)
    feed = step.book.setdefault("feed", {"facility": facility, "last_seen": None,
                                         "due_at": None, "silences": 0})
    if feed["last_seen"] is None or at > datetime.fromisoformat(feed["last_seen"]):
        feed["last_seen"] = at.isoformat()
    watch = routing.feed_watch(facility)
    due = silent_at(datetime.fromisoformat(feed["last_seen"]), watch) if watch else None
    feed["due_at"] = due.isoformat() if due else None
    for case in step.book["cases"].values():
        if case["kind"] == "feed_silence" and case["state"] != "cleared":
            clear(step, case, now, "feed_resumed", routing)
    return step


def check(step: Step, routing: Routing, now: datetime) -> None:
    """On a tick of a feed book: raise the silence alert when its moment has come."""
    feed = step.book.get("feed")
    if not feed or not feed.get("due_at") or datetime.fromisoformat(feed["due_at"]) > now:
        return
    feed["due_at"] = None  # once per silence; the next message starts the count again
    feed["silences"] = feed.get("silences", 0) + 1
    n = feed["silences"]
    alert_id = f"feed:{feed['facility']}:feed_silence" + (f":{n}" if n > 1 else "")
    alert = {"alert_id": alert_id, "kind": "feed_silence", "severity": "warning",
             "episode_id": None, "patient_key": None, "facility": feed["facility"],
             "at": now.isoformat(), "revision": 1,
             "detail": {"last_seen": feed["last_seen"]}}
    case = new_case(feed_key(feed["facility"]), alert, routing.integration_team)
    step.book["cases"][alert_id] = case
    note(step, case, now, "alert", severity="warning", revision=1)
    notify(step, case, "raised", routing, now)


def tick(book: dict[str, Any] | None, routing: Routing, now: datetime) -> Step:
    """Everything time does to a book: escalations, reminders, retries, feed silence."""
    step = on_tick(book, routing, now)
    check(step, routing, now)
    return step
