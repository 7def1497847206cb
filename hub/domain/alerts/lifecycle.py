"""One alert's life, for the alerts stage and the dry run: raised (routed to a team, notified on
its channels), updated (news, notified again), acknowledged by a named person, escalated down
the team's on-call list while an urgent alert waits for an acknowledgement, re-notified only by
an explicit interval, cleared (the condition ended, or a person saw a fact that needs no more).

State is one *book* per table key (a patient key, or ``feed:<facility>``): plain JSON, so the
table stores it as it is. Every function takes ``now`` and returns a ``Step``: the new book, the
deliveries to make and the actions that happened (what the history, the log and ``hub
simulate`` show). Delivery ids are deterministic (``<alert id>/<round>/<channel>[/<person>]``):
a redelivered input gives the same ids, the SMS ledger and webhook receivers drop the second.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hub.domain.alerts.kinds import info
from hub.domain.alerts.notice import notice
from hub.domain.alerts.routing import Routing, Team
from hub.errors import HubError

MAX_ATTEMPTS = 6  # a delivery tried this often without success is given up, and that alerts
RETRY_FIRST, RETRY_MAX = timedelta(seconds=30), timedelta(hours=1)
KEEP_CLEARED = timedelta(days=45)  # a cleared alert's history stays this long, then goes
ENDINGS = frozenset({"episode_closed", "episode_voided", "patient_deceased"})
# notices about every discharge: the record on care.alerts and the worklist are enough; a book
# per patient for them would double the work of a burst of discharges for nothing
ROUTINE = frozenset({"episode_opened", "episode_closed"})
OPEN_STATES = ("open", "acknowledged")


class AlertRefusal(HubError):
    def __init__(self, message: str, *, code: str, status: int):
        super().__init__(message, code=code)
        self.status = status


@dataclass
class Step:
    book: dict[str, Any]
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    # (key, care.alerts record): an A40 merge's open cases, handed to the survivor's book
    handovers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def empty_book() -> dict[str, Any]:
    return {"cases": {}, "ended": []}


def _iso(at: datetime) -> str:
    return at.isoformat()


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def start(book: dict[str, Any] | None) -> Step:
    return Step(copy.deepcopy(book) if book else empty_book())


def _team(routing: Routing, case: dict[str, Any]) -> Team:
    return routing.teams.get(case["team"]) or routing.teams[routing.default_team]


def note(step: Step, case: dict[str, Any], now: datetime, what: str, **facts: Any) -> None:
    entry = {"at": _iso(now), "what": what, **facts}
    case["history"].append(entry)
    step.actions.append({"action": what, "alert_id": case["alert_id"], "kind": case["kind"],
                         "team": case["team"], "key": case["key"], "at": _iso(now), **facts})


# --- raised, updated, cleared (records from the episodes stage on care.alerts) -------------

def on_alert(book: dict[str, Any] | None, key: str, alert: dict[str, Any], routing: Routing,
             now: datetime) -> Step:
    step = start(book)
    cases = step.book["cases"]
    ends = alert["kind"] in ENDINGS or (alert.get("event") == "alert_cleared" and str(
        alert.get("reason") or "").startswith(("episode_", "patient_deceased", "merged")))
    if ends and alert["episode_id"] not in step.book["ended"]:
        step.book["ended"] = [*step.book["ended"], alert["episode_id"]][-50:]
    if alert["kind"] in ROUTINE:
        return step
    case = cases.get(alert["alert_id"])
    if alert.get("event") == "alert_moved":
        _take_over(step, key, alert, now)
        return step
    if alert.get("event") == "alert_cleared":
        into = (alert.get("detail") or {}).get("merged_into")
        if case is not None and case["state"] in OPEN_STATES and into:
            _hand_over(step, case, into, alert, now)
        elif case is not None and case["state"] in OPEN_STATES:
            clear(step, case, now, alert.get("reason") or "condition_ended", routing)
        elif case is None:  # a clear before the case it clears was handed over (A40)
            step.book["cleared_ids"] = [*step.book.get("cleared_ids", []),
                                        alert["alert_id"]][-50:]
        return step
    if case is None:
        team = routing.team_for(alert["kind"], alert["facility"], alert.get("program") or "")
        case = new_case(key, alert, team.name)
        cases[alert["alert_id"]] = case
        note(step, case, now, "alert", severity=case["severity"], revision=case["revision"])
        notify(step, case, "raised", routing, now)
        _schedule(case, routing, now)
    elif alert["revision"] > case["revision"] and case["state"] in OPEN_STATES:
        case.update(revision=alert["revision"], severity=alert["severity"],
                    detail=alert.get("detail") or {}, state="open", acked_by=None, acked_at=None)
        note(step, case, now, "alert_updated", revision=case["revision"])
        notify(step, case, "updated", routing, now)
        _schedule(case, routing, now)
    return step  # a redelivered record (same or lower revision) changes nothing


def _hand_over(step: Step, case: dict[str, Any], into: str, alert: dict[str, Any],
               now: datetime) -> None:
    """A40: the case goes on in the survivor's book as it is (acknowledgement, notification
    round, on-call level, pending retries), not raised there anew: nobody is told again and an
    acknowledged alert does not escalate. Here it ends without a "cleared" notice (it is not)."""
    moved = copy.deepcopy(case)
    moved.update(key=into, patient_key=into)
    step.handovers.append((into, {
        **{k: alert.get(k) for k in ("alert_id", "kind", "episode_id", "facility", "severity",
                                     "revision", "program", "patient_name", "control_id")},
        "patient_key": into, "at": _iso(now), "event": "alert_moved", "reason": "merged",
        "detail": {"case": moved}}))
    for delivery in case["deliveries"].values():
        if delivery["status"] == "pending":
            delivery.update(status="dropped", retry_at=None)  # retried from the survivor's
    case.update(state="cleared", cleared_at=_iso(now), cleared_reason="merged",
                escalate_at=None, renotify_at=None)
    note(step, case, now, "alert_moved")


def _take_over(step: Step, key: str, alert: dict[str, Any], now: datetime) -> None:
    """The survivor's side of ``_hand_over``; a redelivered hand-over changes nothing, and one
    whose alert was cleared here meanwhile stays cleared."""
    cases = step.book["cases"]
    if alert["alert_id"] in cases:
        return
    case = copy.deepcopy(alert["detail"]["case"])
    case.update(key=key, patient_key=key)
    if alert["alert_id"] in step.book.get("cleared_ids", []):
        case.update(state="cleared", cleared_at=_iso(now), cleared_reason="condition_ended",
                    escalate_at=None, renotify_at=None)
    cases[alert["alert_id"]] = case
    note(step, case, now, "alert_moved_in")


def new_case(key: str, alert: dict[str, Any], team: str) -> dict[str, Any]:
    return {"alert_id": alert["alert_id"], "key": key, "kind": alert["kind"],
            "severity": alert["severity"], "episode_id": alert.get("episode_id"),
            "patient_key": alert.get("patient_key"), "facility": alert["facility"],
            "program": alert.get("program") or "", "patient_name": alert.get("patient_name"),
            "team": team, "raised_at": alert["at"], "revision": alert.get("revision", 1),
            "detail": alert.get("detail") or {}, "state": "open", "acked_by": None,
            "acked_at": None, "cleared_at": None, "cleared_reason": None, "round": 0,
            "on_call_level": 0, "escalate_at": None, "renotify_at": None, "deliveries": {},
            "history": []}


def _schedule(case: dict[str, Any], routing: Routing, now: datetime) -> None:
    """Escalation for an urgent alert with an on-call list; reminders only by an interval."""
    team = routing.teams.get(case["team"])
    pushed = team is not None and case["severity"] in team.notify
    case["escalate_at"] = _iso(now + routing.escalate_after) if (
        pushed and case["severity"] == "urgent" and team is not None and team.on_call) else None
    case["renotify_at"] = _iso(now + routing.renotify_every) if (
        pushed and routing.renotify_every) else None


def clear(step: Step, case: dict[str, Any], now: datetime, reason: str,
           routing: Routing) -> None:
    was_notified = case["round"] > 0
    case.update(state="cleared", cleared_at=_iso(now), cleared_reason=reason,
                escalate_at=None, renotify_at=None)
    for delivery in case["deliveries"].values():
        if delivery["status"] == "pending":
            delivery.update(status="dropped", retry_at=None)
    note(step, case, now, "alert_cleared", reason=reason)
    if was_notified:  # whoever was told it is needed is told it is no longer
        notify(step, case, "cleared", routing, now, channels=("webhook", "email"))


# --- notifications ----------------------------------------------------------------------

def notify(step: Step, case: dict[str, Any], phase: str, routing: Routing, now: datetime, *,
            channels: tuple[str, ...] | None = None, person: str | None = None) -> None:
    team = _team(routing, case)
    if phase != "cleared" and case["severity"] not in team.notify:
        return  # a notice: the record and the worklist, no one is paged
    case["round"] += 1
    wanted = [c for c in team.channels if channels is None or c in channels]
    for channel in wanted:
        if channel == "sms":
            pid = person or (team.on_call[case["on_call_level"]] if team.on_call else None)
            who = routing.people.get(pid) if pid else None
            if who is None or who.phone is None:
                continue
            _deliver(step, case, routing, team, now, phase, "sms", who.phone, pid)
        elif channel == "webhook" and team.webhook:
            _deliver(step, case, routing, team, now, phase, "webhook", team.webhook, None)
        elif channel == "email" and team.email:
            _deliver(step, case, routing, team, now, phase, "email", ",".join(team.email), None)


def _deliver(step: Step, case: dict[str, Any], routing: Routing, team: Team, now: datetime,
             phase: str, channel: str, address: str, person: str | None) -> None:
    delivery_id = f"{case['alert_id']}/{case['round']}/{channel}" + (f"/{person}" if person
                                                                       else "")
    case["deliveries"][delivery_id] = {"channel": channel, "person": person, "phase": phase,
                                       "attempt": 1, "status": "pending", "retry_at": None,
                                       "error": None, "address": address}
    step.deliveries.append(_delivery(case, delivery_id, routing, team))


def _delivery(case: dict[str, Any], delivery_id: str, routing: Routing,
              team: Team) -> dict[str, Any]:
    entry = case["deliveries"][delivery_id]
    return {"delivery_id": delivery_id, "alert_id": case["alert_id"], "key": case["key"],
            "channel": entry["channel"], "team": team.name, "person": entry["person"],
            "address": entry["address"], "attempt": entry["attempt"],
            "facility": case["facility"],
            "notice": notice(case, entry["phase"], routing.link,
                             names=entry["channel"] in team.names_on)}


def on_result(book: dict[str, Any] | None, result: dict[str, Any], routing: Routing,
              now: datetime) -> Step:
    """A channel's answer: ``status`` sent, failed (tried again with backoff) or permanent."""
    step = start(book)
    case = step.book["cases"].get(result["alert_id"])
    entry = case["deliveries"].get(result["delivery_id"]) if case else None
    # an SMS page the provider took ("sent") may still come back undelivered
    late = entry is not None and entry["status"] == "sent" and entry["channel"] == "sms" and \
        result["status"] != "sent" and case is not None and case["state"] != "cleared"
    if case is None or entry is None or (entry["status"] != "pending" and not late) or \
            result.get("attempt", entry["attempt"]) != entry["attempt"]:
        return step  # an old or repeated answer
    if late:
        entry["status"] = "pending"
    if result["status"] == "sent":
        entry.update(status="sent", error=None)
        note(step, case, now, "alert_notified", channel=entry["channel"],
              person=entry["person"], phase=entry["phase"], delivery_id=result["delivery_id"])
        return step
    entry["error"] = str(result.get("error") or "failed")[:200]
    if result["status"] == "failed" and entry["attempt"] < MAX_ATTEMPTS:
        wait = min(RETRY_FIRST * 4 ** (entry["attempt"] - 1), RETRY_MAX)
        entry["retry_at"] = _iso(now + wait)
        note(step, case, now, "alert_delivery_retry", channel=entry["channel"],
              attempt=entry["attempt"], retry_at=entry["retry_at"], error=entry["error"])
        return step
    entry.update(status="given_up", retry_at=None)
    note(step, case, now, "alert_delivery_failed", channel=entry["channel"],
          attempts=entry["attempt"], error=entry["error"])
    if case["kind"] != "delivery_failed":  # the failure is itself an alert (never recursive)
        _raise_failure(step, case, entry, routing, now)
    return step


def _raise_failure(step: Step, case: dict[str, Any], entry: dict[str, Any], routing: Routing,
                   now: datetime) -> None:
    alert_id = f"{case['alert_id']}:delivery_failed:{entry['channel']}"
    if alert_id in step.book["cases"]:
        return
    failure = {"alert_id": alert_id, "kind": "delivery_failed", "severity": "warning",
               "episode_id": case["episode_id"], "patient_key": case["patient_key"],
               "facility": case["facility"], "at": _iso(now), "revision": 1,
               "detail": {"failed_alert": case["alert_id"], "channel": entry["channel"],
                          "team": case["team"], "error": entry["error"]}}
    new = new_case(case["key"], failure, routing.integration_team)
    step.book["cases"][alert_id] = new
    note(step, new, now, "alert", severity="warning", revision=1)
    notify(step, new, "raised", routing, now,
            channels=tuple(c for c in ("webhook", "email", "sms") if c != entry["channel"]))


# --- a person ---------------------------------------------------------------------------

def acknowledge(book: dict[str, Any] | None, alert_id: str, by: str, routing: Routing,
                now: datetime) -> Step:
    step = start(book)
    case = step.book["cases"].get(alert_id)
    if case is None:
        raise AlertRefusal("no such alert", code="unknown_alert", status=404)
    if case["state"] == "cleared":
        raise AlertRefusal(f"the alert already cleared ({case['cleared_reason']})",
                           code="already_cleared", status=409)
    if case["state"] == "acknowledged":
        return step  # the same acknowledgement twice (a retried request)
    case.update(state="acknowledged", acked_by=by, acked_at=_iso(now), escalate_at=None,
                renotify_at=None)
    note(step, case, now, "alert_acknowledged", by=by)
    if info(case["kind"]).clears_on_ack or case["episode_id"] in step.book["ended"]:
        clear(step, case, now, "acknowledged", routing)
    return step


# --- time -------------------------------------------------------------------------------

def on_tick(book: dict[str, Any] | None, routing: Routing, now: datetime) -> Step:
    step = start(book)
    for alert_id, case in list(step.book["cases"].items()):
        if case["state"] == "cleared":
            if now - (_at(case["cleared_at"]) or now) > KEEP_CLEARED:
                del step.book["cases"][alert_id]
            continue
        _retry_due(step, case, routing, now)
        if case["state"] == "open" and (at := _at(case["escalate_at"])) and at <= now:
            _escalate(step, case, routing, now)
        if case["state"] == "open" and (at := _at(case["renotify_at"])) and at <= now:
            notify(step, case, "reminder", routing, now)
            case["renotify_at"] = _iso(now + (routing.renotify_every or RETRY_MAX))
    return step


def _retry_due(step: Step, case: dict[str, Any], routing: Routing, now: datetime) -> None:
    for delivery_id, entry in case["deliveries"].items():
        if entry["status"] == "pending" and (at := _at(entry["retry_at"])) and at <= now:
            entry.update(attempt=entry["attempt"] + 1, retry_at=None)
            step.deliveries.append(_delivery(case, delivery_id, routing, _team(routing, case)))


def _escalate(step: Step, case: dict[str, Any], routing: Routing, now: datetime) -> None:
    """Urgent and not acknowledged in time: the next contact of the on-call list."""
    team = _team(routing, case)
    level = case["on_call_level"]
    if level + 1 >= len(team.on_call):
        case["escalate_at"] = None
        note(step, case, now, "alert_on_call_exhausted", contacts=len(team.on_call))
        return
    case["on_call_level"] = level + 1
    case["escalate_at"] = _iso(now + routing.escalate_after)
    target = team.on_call[level + 1]
    note(step, case, now, "alert_escalated", from_person=team.on_call[level], to_person=target)
    notify(step, case, "escalated", routing, now, person=target)


def next_due(book: dict[str, Any] | None) -> datetime | None:
    if not book:
        return None
    moments: list[datetime] = []
    for case in book["cases"].values():
        if case["state"] == "cleared":
            moments.append((_at(case["cleared_at"]) or datetime.max) + KEEP_CLEARED
                           + timedelta(seconds=1))
            continue
        for name in ("escalate_at", "renotify_at"):
            if case["state"] == "open" and (at := _at(case[name])):
                moments.append(at)
        moments += [at for e in case["deliveries"].values()
                    if e["status"] == "pending" and (at := _at(e["retry_at"]))]
    if (feed := book.get("feed")) and feed.get("due_at"):
        moments.append(datetime.fromisoformat(feed["due_at"]))
    return min(moments) if moments else None


def open_cases(book: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [c for c in (book or empty_book())["cases"].values() if c["state"] in OPEN_STATES]
