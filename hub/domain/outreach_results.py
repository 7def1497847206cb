"""What came back from outreach (``OutreachEvent`` dicts on ``outreach.events``): delivery results
of the hub's own messages, logged as attempts by ``hub`` (TCM-3: every attempt is logged), and
patient replies, routed to the care team by intent (§5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from hub.domain.billing import HUB
from hub.domain.episode import Episode, PatientRecord
from hub.domain.outcome import Outcome, raise_alert
from hub.domain.release import stop_steps
from hub.domain.rules import TcmRules

# a later status never overwrites a final one: callbacks arrive out of order (MSG-6)
FINAL = frozenset({"delivered", "undelivered", "failed", "canceled", "cancelled", "suppressed",
                   "completed", "busy", "no-answer", "read"})
REPLY_ALERTS = {"urgent": ("urgent_reply", "urgent"), "unclassified": ("unclassified_reply",
                                                                       "warning"),
                "opt_out": ("patient_opted_out", "warning")}


def apply_outreach_event(record: PatientRecord | None, event: dict[str, Any], *, now: datetime,
                         rules: TcmRules) -> Outcome:
    if record is None:
        return Outcome(PatientRecord(event["patient_key"], ""), notes=["no record"])
    key = "out:" + "|".join(str(event.get(k) or "") for k in (
        "kind", "command_id", "status", "provider_sid", "at", "intent"))
    if key in record.applied:
        return Outcome(record, notes=[f"already applied: {key}"])
    outcome = Outcome(record.remembering(key))
    episode = record.episode(event.get("episode_id")) or record.open_episode
    if episode is None:
        outcome.notes.append("outreach event with no episode")
        return outcome
    if event["kind"] == "reply":
        outcome.save(_reply(outcome, episode, event, rules, now))
    else:
        outcome.save(_result(episode, event))
    return outcome


def _reply(outcome: Outcome, episode: Episode, event: dict[str, Any], rules: TcmRules,
           now: datetime) -> Episode:
    """§5: any reply makes the business-day-1 call unnecessary; urgent words, unclassified text
    and opt-outs go to the care team (even after the episode closed: a patient asking for help
    is never dropped)."""
    intent = event.get("intent") or "unclassified"
    episode = episode.noted(now, "patient_replied", f"{event['channel']} reply", intent=intent)
    if episode.is_open:
        episode, cancels = stop_steps(episode, outcome.record.contactable, rules, "reply",
                                      lambda step: "reply" in step.stop_when)
        outcome.commands += cancels
    if intent in REPLY_ALERTS:
        kind, severity = REPLY_ALERTS[intent]
        detail: dict[str, Any] = {"channel": event["channel"], "intent": intent}
        if intent != "opt_out":
            detail["reply_text"] = event.get("reply_text")  # the care team must read it (§5)
        episode = raise_alert(outcome, episode, kind, severity, now,  # type: ignore[arg-type]
                              **detail)
    if event.get("reason") == "also_opt_out":  # "stop texting me, I fell": both are news
        episode = raise_alert(outcome, episode, "patient_opted_out", "warning", now,
                              channel=event["channel"], intent="opt_out")
    return episode


def _result(episode: Episode, event: dict[str, Any]) -> Episode:
    """One attempt entry per command, updated in place as its statuses arrive."""
    command_id = event.get("command_id")
    entry = {"at": event["at"], "channel": event["channel"], "outcome": event["status"],
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
