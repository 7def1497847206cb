"""``hub trace CONTROL_ID`` (or a patient key): what happened to a message, told from the topics.

An analyst's first question: the message as it was received and answered, the event it became
(or why it was refused or dead-lettered), the episode it opened or changed, each text and call
planned for it with its Twilio SID and statuses, the patient's replies, and each alert with its
notices, acknowledgement and clearing. The control id (MSH-10) and the facility travel on the
stages' records (``control_id`` on commands and alerts; the episode ids in their ids), so the
story is gathered by following them, not by guessing from times.

The story keeps PHI to what an analyst needs to follow it: ids, codes, statuses and times; a
phone number shows its last four digits, a text its template, a reply its intent (its words are
on the patient's page of the worklist, where each view is audited).
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from hub.errors import InputError
from hub.topic_names import (
    ALERT_ACTIONS,
    ALERT_DELIVERIES,
    ALERT_RESULTS,
    ALERTS,
    DEADLETTER,
    EPISODE_ACTIONS,
    EVENTS,
    OUTREACH_COMMANDS,
    OUTREACH_EVENTS,
    RAW,
    REJECTED,
)

TOPICS = (RAW, REJECTED, EVENTS, DEADLETTER, ALERTS, OUTREACH_COMMANDS, OUTREACH_EVENTS,
          EPISODE_ACTIONS, ALERT_DELIVERIES, ALERT_RESULTS, ALERT_ACTIONS)
Records = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Line:
    at: str  # ISO time, by the clock of the stage that wrote the record
    stage: str
    what: str
    facts: dict[str, Any]
    written: str = ""  # the broker's time of the record: the order things happened in

    def text(self) -> str:
        facts = "  ".join(f"{k}={v}" for k, v in self.facts.items() if v not in (None, "", []))
        return f"{self.at}  {self.stage:<9} {self.what:<22} {facts}".rstrip()


def last4(phone: str | None) -> str | None:
    return f"…{phone[-4:]}" if phone else None


def story(records: Records, target: str, facility: str | None = None) -> list[Line]:
    """The lines about ``target`` (a control id, or a patient key ``FACILITY|MRN``), in time
    order; empty when nothing on the topics names it."""
    by_key = "|" in target

    def ours(event: dict[str, Any]) -> bool:
        if facility and event.get("sending_facility") != facility:
            return False
        return bool(event["patient"]["key"] == target if by_key
                    else event["control_id"] == target)

    lines: list[Line] = []
    keys = {target} if by_key else set()
    messages = set() if by_key else {target}  # the control ids to follow
    for event in records.get(EVENTS, []):
        if ours(event):
            keys.add(event["patient"]["key"])
            messages.add(event["control_id"])
            lines.append(_line(event, None, "normalize", f"event {event['event_type']}",
                               {"control_id": event["control_id"],
                                "patient": event["patient"]["key"],
                                "recorded_at": event.get("recorded_at"),
                                "warnings": event.get("warnings")}))

    def received(record: dict[str, Any]) -> bool:
        return record.get("control_id") in messages and (
            not facility or record.get("sending_facility") == facility)

    for record in records.get(RAW, []):
        if received(record):
            lines.append(_received(record, "AA" if record.get("transport") != "replay" else
                                   "as the replay asked", "kept on hl7.adt.raw"))
    for record in records.get(REJECTED, []):
        if received(record):
            error = record.get("error") or {}
            lines.append(_received(record, error.get("ack_code") or "AE",
                                   f"refused: {error.get('code')}", location=error.get(
                                       "location")))
    for letter in records.get(DEADLETTER, []):
        if letter.get("control_id") in messages or (
                (letter.get("record") or {}).get("patient_key") in keys):
            lines.append(_line(letter, None, letter.get("stage") or "?", "dead letter",
                               {"code": letter.get("code"),
                                "control_id": letter.get("control_id"),
                                "why": letter.get("message")}))
    episodes = _episodes(records, target, keys, by_key)
    alert_ids: set[str] = set()
    for alert in records.get(ALERTS, []):
        if alert.get("episode_id") in episodes:
            alert_ids.add(alert["alert_id"])
            lines.append(_alert(alert))
    planned = [c for c in records.get(OUTREACH_COMMANDS, []) if c.get("episode_id") in episodes]
    commands = {c["command_id"] for c in planned}  # a send and its cancel share the id
    for command in planned:
        if command.get("action") == "cancel":
            lines.append(_line(command, None, "episodes", "cancel planned",
                               {"command_id": command["command_id"]}))
            continue
        lines.append(_line(command, None, "episodes",
                           f"plan {command['channel']} {command['step']}",
                           {"command_id": command["command_id"],
                            "to": last4(command.get("to")), "template": command.get("template"),
                            "not_before": command.get("not_before")}))
    for event in records.get(OUTREACH_EVENTS, []):
        if event.get("command_id") in commands or (
                event.get("kind") == "reply" and event.get("episode_id") in episodes):
            lines.append(_outreach(event))
    for action in records.get(EPISODE_ACTIONS, []):  # what the care team recorded
        if action.get("_key") in keys and "kind" in action:
            lines.append(_line(action, action.get("at"), "care team", f"recorded {action['kind']}",
                               {"by": action.get("by"), "channel": action.get("channel"),
                                "outcome": action.get("outcome")}))
    lines += _alert_work(records, alert_ids)
    return sorted(lines, key=_instant)


def _instant(line: Line) -> datetime:
    """The order records were written in (the broker's time; a stage's own clock may run
    from another start in a rehearsal), by instant: offsets differ."""
    try:
        moment = datetime.fromisoformat(line.written or line.at)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _line(record: dict[str, Any], at: str | None, stage: str, what: str,
          facts: dict[str, Any]) -> Line:
    return Line(at or record.get("_written_at", ""), stage, what, facts,
                record.get("_written_at") or at or "")


def _received(record: dict[str, Any], ack: str, what: str, **facts: Any) -> Line:
    return _line(record, record.get("received_at"), "ingest", f"received, ACK {ack}", {
        "control_id": record.get("control_id"), "facility": record.get("sending_facility"),
        "type": record.get("message_type"), "transport": record.get("transport"),
        "peer": record.get("peer"), "size": record.get("size"), "outcome": what, **facts})


def _episodes(records: Records, target: str, keys: set[str], by_key: bool) -> set[str]:
    """The episodes the target opened (its commands and alerts carry its control id), or all
    of the patient's when the target is a patient key."""
    found = set()
    for topic in (ALERTS, OUTREACH_COMMANDS):
        for record in records.get(topic, []):
            if (by_key and record.get("patient_key") in keys) or (
                    not by_key and record.get("control_id") == target
                    and (not keys or record.get("patient_key") in keys)):  # --facility's
                found.add(record["episode_id"])
    return found


def _alert(alert: dict[str, Any]) -> Line:
    detail = alert.get("detail") or {}
    if alert.get("event") == "alert_cleared":
        return _line(alert, alert["at"], "episodes", f"alert cleared {alert['kind']}",
                     {"alert_id": alert["alert_id"], "reason": alert.get("reason")})
    if alert.get("event") == "alert_moved":  # A40: the prior key's book handed it over
        return _line(alert, alert["at"], "alerts", f"alert moved {alert['kind']}",
                     {"alert_id": alert["alert_id"], "reason": alert.get("reason")})
    facts = {"alert_id": alert["alert_id"], "severity": alert.get("severity"),
             "episode_id": alert.get("episode_id")}
    if alert["kind"] == "episode_opened":
        facts.update(contact_due=detail.get("contact_due"),
                     visit_due_99496=detail.get("visit_due_99496"),
                     window_end=detail.get("window_end"))
    opened = alert["kind"] == "episode_opened"
    return _line(alert, alert["at"], "episodes",
                 "episode opened" if opened else f"alert {alert['kind']}", facts)


def _outreach(event: dict[str, Any]) -> Line:
    what = {"reply": f"reply ({event.get('intent')})", "status": f"twilio {event['status']}"
            }.get(event["kind"], f"send {event['status']}")
    return _line(event, event["at"], "outreach", what, {
        "command_id": event.get("command_id"), "sid": event.get("provider_sid"),
        "error_code": event.get("error_code"), "reason": event.get("reason"),
        "deferred_until": event.get("deferred_until")})


def _alert_work(records: Records, alert_ids: set[str]) -> list[Line]:
    lines = []
    for delivery in records.get(ALERT_DELIVERIES, []):
        if delivery.get("alert_id") in alert_ids:
            lines.append(_line(delivery, None, "alerts", f"notify {delivery.get('channel')}",
                               {"alert_id": delivery["alert_id"], "team": delivery.get("team"),
                                "person": delivery.get("person"),
                                "attempt": delivery.get("attempt")}))
    for result in records.get(ALERT_RESULTS, []):
        if result.get("alert_id") in alert_ids:
            lines.append(_line(result, None, "notify",
                               f"{result.get('channel')} {result.get('status')}",
                               {"alert_id": result["alert_id"], "error": result.get("error")}))
    for action in records.get(ALERT_ACTIONS, []):
        if action.get("alert_id") in alert_ids:
            lines.append(_line(action, None, "api", "acknowledged",
                               {"alert_id": action["alert_id"], "by": action.get("by")}))
    return lines


async def read_topics(bootstrap: str, since: datetime | None = None) -> Records:
    from hub.adapters.topic_reader import TopicReader

    reader = TopicReader(bootstrap, list(TOPICS), stamped=True)
    await reader.start()
    try:
        return await reader.read_to_end(timeout=120.0, since=since)
    finally:
        await reader.stop()


def _since(text: str) -> datetime:
    """``7`` (days back from now) or an ISO time (UTC when it has no offset)."""
    if text.isdigit():
        try:
            return datetime.now(UTC) - timedelta(days=int(text))
        except OverflowError:
            raise ValueError(text) from None
    moment = datetime.fromisoformat(text)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment < datetime(1970, 1, 2, tzinfo=UTC):
        raise ValueError(text)  # the broker's time index starts in 1970 (a later time: nothing)
    return moment


_since.__name__ = "ISO time or number of days"


def register(sub: Any) -> None:
    trace = sub.add_parser("trace", help="what happened to a message (or a patient), from the "
                                         "topics")
    trace.add_argument("target", metavar="CONTROL_ID",
                       help="the message's MSH-10, or a patient key FACILITY|MRN")
    trace.add_argument("--facility", help="only messages from this sending facility (MSH-4), "
                                          "when two send the same control id")
    trace.add_argument("--json", action="store_true", help="one JSON object a line")
    trace.add_argument("--since", type=_since, metavar="ISO|DAYS",
                       help="read only what was written from this time (an ISO time, or a number "
                            "of days back); default: the topics from their start")
    trace.set_defaults(run=_run)


def _run(args: Any) -> int:
    from hub.config import Settings

    settings = Settings.from_env()
    records = asyncio.run(read_topics(settings.kafka_bootstrap, args.since))
    return print_story(story(records, args.target, args.facility), args.target, args.json,
                       sys.stdout)


def print_story(lines: list[Line], target: str, as_json: bool, out: TextIO) -> int:
    if not lines:
        raise InputError(f"{target}: nothing on the topics names it (a control id is MSH-10; "
                         "a patient key is FACILITY|MRN)")
    for line in lines:
        print(json.dumps({"at": line.at, "stage": line.stage, "what": line.what,
                          **{k: v for k, v in line.facts.items() if v not in (None, "", [])}})
              if as_json else line.text(), file=out)
    return 0
