"""What came back from outreach (``OutreachEvent`` dicts on ``outreach.events``): delivery results
of the hub's own messages, logged as attempts by ``hub`` (TCM-3: every attempt is logged), and
patient replies, routed to the care team by intent (§5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from hub.domain.episode.billing import HUB
from hub.domain.episode.outcome import Outcome, clear_alerts, raise_alert
from hub.domain.episode.reachability import after_failure
from hub.domain.episode.record import Episode, PatientRecord
from hub.domain.episode.release import stop_steps
from hub.domain.episode.rules import TcmRules
from hub.domain.messages import is_answer

# a later status never overwrites a final one: callbacks arrive out of order (MSG-6)
FINAL = frozenset({"delivered", "undelivered", "failed", "canceled", "cancelled", "suppressed",
                   "completed", "busy", "no-answer", "read"})
# §5: what a person must read, by intent; HELP alone may be a patient in trouble, not only a
# question about the program, so it is put in front of a person like "help me".
REPLY_ALERTS = {"urgent": ("urgent_reply", "urgent"), "help_keyword": ("urgent_reply", "urgent"),
                "unclassified": ("unclassified_reply", "warning"),
                "opt_out": ("patient_opted_out", "warning")}


def apply_outreach_event(record: PatientRecord | None, event: dict[str, Any], *, now: datetime,
                         rules: TcmRules) -> Outcome:
    if record is None:
        return Outcome(PatientRecord(event["patient_key"], ""), notes=["no record"])
    key = outreach_key(event)
    if key in record.applied:
        return Outcome(record, notes=[f"already applied: {key}"])
    outcome = Outcome(record.remembering(key))
    episode = record.episode(event.get("episode_id")) or record.open_episode
    if episode is None:
        outcome.notes.append("outreach event with no episode")
        return outcome
    if event["kind"] == "reply":
        outcome.save(_reply(outcome, episode, event, rules, now))
    elif is_answer(event.get("command_id") or ""):
        outcome.save(episode.noted(now, "answered_patient", str(event.get("command_id")),
                                   status=event["status"]))
    else:
        outcome.save(after_failure(outcome, _result(episode, event), event, rules, now))
    return outcome


def outreach_key(event: dict[str, Any]) -> str:
    """A reply is one inbound message (its provider id): the webhook redelivered, received
    again at another time, is applied once."""
    if event.get("kind") == "reply" and event.get("provider_sid"):
        return "reply:" + "|".join(str(event.get(k) or "") for k in (
            "channel", "provider_sid", "reply_text"))
    return "out:" + "|".join(str(event.get(k) or "") for k in (
        "kind", "command_id", "status", "provider_sid", "at", "intent"))


def _reply(outcome: Outcome, episode: Episode, event: dict[str, Any], rules: TcmRules,
           now: datetime) -> Episode:
    """§5: a reply makes the business-day-1 call unnecessary; urgent words, HELP, unclassified
    text and opt-outs go to the care team with the reply's words and time, every one of them:
    while an alert of the same kind is open, it is updated and sent again (the next
    ``revision``), so a second cry for help is never swallowed by the first. Also after the
    episode closed: a patient asking for help is never dropped. On a number a household
    shares (``shared_phone``) the reply may be another patient's: it stops nothing, and a
    "doing well" goes to a person to attribute instead of being filed."""
    intent = event.get("intent") or "unclassified"
    reasons = set((event.get("reason") or "").split(","))
    shared = "shared_phone" in reasons
    if shared and intent == "doing_well":
        intent = "unclassified"
    said = {"channel": event["channel"], "intent": event.get("intent"),
            "text": event.get("reply_text"), "received_at": event["at"],
            "provider_sid": event.get("provider_sid"), "shared_phone": shared}
    alert = REPLY_ALERTS.get(intent)
    episode = episode.noted(now, "patient_replied", f"{event['channel']} reply",
                            alert=alert[0] if alert else None, **said)
    if episode.is_open and not shared:
        episode, cancels = stop_steps(episode, outcome.record.contactable, rules, "reply",
                                      lambda step: "reply" in step.stop_when)
        outcome.commands += cancels
    if intent == "opt_in":
        episode = clear_alerts(outcome, episode, now, "patient_opted_in", "patient_opted_out")
    if alert is not None:
        kind, severity = alert
        episode = raise_alert(outcome, episode, kind, severity, now,  # type: ignore[arg-type]
                              renotify=True, reply_text=event.get("reply_text"),
                              received_at=event["at"], channel=event["channel"],
                              intent=event.get("intent"), shared_phone=shared,
                              replies=replies_behind(episode, kind, _next_revision(episode, kind)))
    if "also_opt_out" in reasons:  # "stop texting me, I fell": both are news
        episode = raise_alert(outcome, episode, "patient_opted_out", "warning", now,
                              renotify=True, reply_text=event.get("reply_text"),
                              received_at=event["at"], channel=event["channel"],
                              intent="opt_out", shared_phone=shared)
    return episode


def _next_revision(episode: Episode, kind: str) -> int:
    return episode.alert_revisions.get(kind, 0) + 1 if kind in episode.alerts_raised else 1


def replies_behind(episode: Episode, kind: str, count: int | None = None
                   ) -> list[dict[str, Any]]:
    """The patient's words and times behind the open reply alert of ``kind``, oldest first:
    one reply per revision of the alert (``count``, by default the alert's revision)."""
    said = [e for e in episode.timeline if e.get("what") == "patient_replied"
            and e.get("alert") == kind]
    count = episode.alert_revisions.get(kind, 1) if count is None else count
    return [{"text": e.get("text"), "received_at": e.get("received_at"),
             "channel": e.get("channel"), "intent": e.get("intent"),
             "shared_phone": e.get("shared_phone", False)} for e in said[-count:]]


def _result(episode: Episode, event: dict[str, Any]) -> Episode:
    """One attempt entry per command, updated in place as its statuses arrive. A redelivered
    command the ledger refused (``suppressed: duplicate``) is no attempt: a sent text stays
    sent in the log."""
    command_id = event.get("command_id")
    if event["status"] == "suppressed" and event.get("reason") in ("duplicate", "in_doubt"):
        return episode
    entry = {"at": datetime.fromisoformat(event["at"]), "channel": event["channel"],
             "outcome": event["status"],
             "by": HUB, "command_id": command_id, "reason": event.get("reason"),
             "error_code": event.get("error_code")}
    attempts = list(episode.attempts)
    for index, old in enumerate(attempts):
        if old.get("command_id") == command_id and old.get("by") == HUB:
            if old["outcome"] in FINAL and event["status"] not in FINAL:
                return episode
            attempts[index] = {**entry, "at": old["at"]}  # when the attempt was made
            return replace(episode, attempts=tuple(attempts))
    return replace(episode, attempts=(*attempts, entry))
