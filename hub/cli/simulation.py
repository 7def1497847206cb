"""The dry run's engine (``hub simulate``): the stages' state in memory and the hub's own
decisions, driven by a simulated clock that jumps from one due moment to the next."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.alerts import feed as alert_time
from hub.domain.alerts.lifecycle import Step, on_alert, on_result
from hub.domain.alerts.lifecycle import next_due as alert_due
from hub.domain.alerts.routing import Routing
from hub.domain.episode import merge
from hub.domain.episode.actions import RuleViolation, apply_action, validate_action
from hub.domain.episode.record import PatientRecord
from hub.domain.episode.rules import TcmRules
from hub.domain.episode.transitions import (
    Outcome,
    apply_adt,
    apply_outreach_event,
    apply_tick,
    next_due,
)
from hub.domain.messages import CareAlert, OutreachCommand
from hub.domain.phone import decision as policy_core
from hub.domain.phone import ledger
from hub.domain.phone.inbound import receive
from hub.domain.phone.policy import ContactPolicy
from hub.domain.phone.state import PhoneState

RECORD, BOOK, SEND = 0, 1, 2  # what falls due, in the order a tick handles them


@dataclass
class Simulation:
    """The stages' state in memory, and an agenda of what falls due when: a heap of
    (moment, kind, order, key) entries pushed whenever a record, a book or a waiting send
    changes; an entry whose moment no longer matches is stale and dropped. Each step costs
    log n, so a feed runs in time linear in its size (a scan of every record per step made
    20,000 discharges take hours)."""

    rules_for: Callable[[str], TcmRules]
    policy: ContactPolicy = field(default_factory=ContactPolicy)
    records: dict[str, PatientRecord] = field(default_factory=dict)
    phones: dict[str, PhoneState] = field(default_factory=dict)
    pending: dict[str, OutreachCommand] = field(default_factory=dict)  # deferred sends
    actions: list[dict[str, Any]] = field(default_factory=list)
    routing: Routing = field(default_factory=Routing)
    books: dict[str, dict[str, Any]] = field(default_factory=dict)  # the alerts stage's
    agenda: list[tuple[datetime, int, int, str]] = field(default_factory=list)
    order: dict[tuple[int, str], int] = field(default_factory=dict)  # first seen, per kind
    sequence: Iterator[int] = field(default_factory=itertools.count)
    emitted: int = 0  # actions emitted so far (``actions`` is drained as the output streams)

    def _due_of(self, kind: int, key: str) -> datetime | None:
        if kind == RECORD:
            record = self.records.get(key)
            return next_due(record) if record is not None else None
        if kind == BOOK:
            book = self.books.get(key)
            return alert_due(book) if book is not None else None
        waiting = self.pending.get(key)
        return self._send_time(waiting) if waiting is not None else None

    def _schedule(self, kind: int, key: str) -> None:
        # a record or a book keeps its place (a table's order); a send deferred again goes
        # to the back of the queue
        order = (next(self.sequence) if kind == SEND
                 else self.order.setdefault((kind, key), next(self.sequence)))
        if (moment := self._due_of(kind, key)) is not None:
            heapq.heappush(self.agenda, (moment, kind, order, key))

    def _set_record(self, key: str, record: PatientRecord) -> None:
        self.records[key] = record
        self._schedule(RECORD, key)

    def adt(self, event: dict[str, Any], at: datetime) -> None:
        key = event["patient"]["key"]
        self._absorb(apply_adt(self.records.get(key), event, now=at,
                               rules=self.rules_for(event["sending_facility"])), at)
        if (request := merge.merge_out_request(event)) is not None:
            self._merge(request[0], request[1]["merge_out"], at)

    def _merge(self, prior_key: str, surviving_key: str, at: datetime) -> None:
        """§2 A40 by the episodes agent's two steps (``hub.domain.episode.merge``), no Kafka
        between."""
        emptied, handed = merge.hand_over(self.records.get(prior_key), surviving_key, at)
        if emptied is not None:
            self._set_record(prior_key, emptied)
        if handed is not None:
            self._absorb(merge.fold_in(self.records.get(surviving_key), handed["merge_in"],
                                       surviving_key, now=at, rules_for=self.rules_for), at)

    def reply(self, phone: str, text: str, at: datetime) -> None:
        """A patient's text, decided as the outreach stage decides it (``inbound.receive``):
        consent, the episodes it reaches, and the answer, sent through the same ledger."""
        state = self.phones.get(phone)
        record = self.records.get(state.patient_key or "") if state else None
        rules = self.rules_for(record.facility if record else "")
        value = {"kind": "sms_reply", "phone": phone, "body": text, "opt_out_type": None,
                 "provider_sid": f"SMIN{self.emitted}"}
        received = receive(state, phone, value, at, {"practice": rules.practice_name,
                                                     "callback": rules.callback_number})
        self.phones[phone] = received.state
        self._emit(at, "reply", received.events[0].patient_key if received.events else None,
                   to=phone, text=text, intent=received.intent.intent,
                   reason=received.intent.reason, opted_out=received.state.opted_out,
                   episodes=[e.episode_id for e in received.events])
        for event in received.events:
            target = self.records.get(event.patient_key)
            if target is not None:
                self._absorb(apply_outreach_event(target, event.to_dict(), now=at,
                                                  rules=self.rules_for(target.facility)), at)
        if received.answer is not None:
            self._send(received.answer, at)

    def care_team(self, item: dict[str, Any], at: datetime) -> None:
        """A recorded action (``--actions``), checked as the API checks it, applied as the
        episodes agent applies it."""
        record = self.records.get(item["patient"])
        action = {k: v for k, v in item.items() if k != "patient"}
        try:
            if record is None:
                raise RuleViolation("no such patient", code="no_patient", status=404)
            validate_action(record, action, now=at)
        except RuleViolation as refusal:
            self._emit(at, "action_refused", item["patient"], kind=action.get("kind"),
                       code=refusal.code, reason=refusal.message)
            return
        self._emit(at, "care_team_action", item["patient"], kind=action["kind"],
                   by=action["by"])
        self._absorb(apply_action(record, action, now=at, rules=self.rules_for(record.facility)),
                     at)

    def refused(self, error: dict[str, Any], at: datetime) -> None:
        self._emit(at, "rejected", None, **error)

    def advance(self, until: datetime) -> None:
        """Run every due tick and send up to ``until``, in time order."""
        while (moment := self._next_moment()) is not None and moment <= until:
            self._tick(moment)

    def _next_moment(self) -> datetime | None:
        while self.agenda:
            moment, kind, _order, key = self.agenda[0]
            if self._due_of(kind, key) == moment:
                return moment
            heapq.heappop(self.agenda)  # stale: the thing changed since
        return None

    def _due_by(self, at: datetime, kind: int) -> list[str]:
        """The keys of ``kind`` due by ``at``, in the order they were first seen (the order
        the stages' tables would be walked in); their entries leave the agenda."""
        due: list[tuple[int, str]] = []
        kept = []
        while self.agenda and self.agenda[0][0] <= at:
            entry = heapq.heappop(self.agenda)
            if entry[1] != kind:
                kept.append(entry)
            elif self._due_of(kind, entry[3]) == entry[0]:
                due.append((entry[2], entry[3]))
        for entry in kept:
            heapq.heappush(self.agenda, entry)
        return [key for _order, key in sorted(set(due))]

    def _send_time(self, command: OutreachCommand) -> datetime:
        entry = self.phones.get(command.to, PhoneState(command.to)).entry(command.command_id)
        if entry is not None and entry.deferred_until:
            return entry.deferred_until
        return command.not_before

    def _tick(self, at: datetime) -> None:
        for key in self._due_by(at, RECORD):
            record = self.records[key]
            self._absorb(apply_tick(record, now=at, rules=self.rules_for(record.facility)), at)
        for key in self._due_by(at, BOOK):
            self._alerts(key, alert_time.tick(self.books[key], self.routing, at), at)
        for command_id in self._due_by(at, SEND):
            command = self.pending.pop(command_id)
            self._send(command, at)

    def _send(self, command: OutreachCommand, at: datetime) -> None:
        state, decision = policy_core.decide(self.phones.get(command.to), command, now=at,
                                             policy=self.policy)
        if isinstance(decision, policy_core.Defer):
            self.phones[command.to] = state
            self.pending[command.command_id] = command
            self._schedule(SEND, command.command_id)
            return
        if isinstance(decision, policy_core.SendNow):
            state = ledger.mark_sending(state, command, at)
            state = ledger.mark_sent(state, command.command_id, f"SIM{self.emitted}",
                                          "queued", at)
            self._emit(at.astimezone(ZoneInfo(command.zone)),
                       command.channel if command.channel == "sms" else "call",
                       command.patient_key, to=command.to, channel=command.channel,
                       template=command.template, text=command.body, step=command.step)
        elif command.action == "send":
            self._emit(at, "suppressed", command.patient_key, step=command.step,
                       reason=decision.reason)
        self.phones[command.to] = state

    def _absorb(self, outcome: Outcome, at: datetime) -> None:
        record = outcome.record
        self._set_record(record.patient_key, record)
        for command in outcome.commands:
            if command.action == "cancel":
                self.pending.pop(command.command_id, None)
                state, _ = policy_core.decide(self.phones.get(command.to), command, now=at,
                                              policy=self.policy)
                self.phones[command.to] = state
            else:
                self.phones.setdefault(command.to, PhoneState(command.to))
                self._send(command, at)
        for alert in outcome.alerts:
            self._alert_record(alert, at)
            self._alerts(alert.patient_key, on_alert(self.books.get(alert.patient_key),
                                                     alert.patient_key, alert.to_dict(),
                                                     self.routing, at), at)

    def _alert_record(self, alert: CareAlert, at: datetime) -> None:
        """What the episodes stage put on ``care.alerts``."""
        if alert.event == "alert_cleared":
            self._emit(at, "alert_cleared", alert.patient_key, kind=alert.kind,
                       alert_id=alert.alert_id, episode_id=alert.episode_id,
                       reason=alert.reason)
            return
        kind = {"episode_opened": "episode_opened", "episode_voided": "episode_voided",
                "episode_closed": "episode_closed"}.get(alert.kind)
        if kind:
            self._emit(at, kind, alert.patient_key, episode_id=alert.episode_id,
                       **alert.detail)
        else:
            self._emit(at, "alert", alert.patient_key, kind=alert.kind, alert_id=alert.alert_id,
                       severity=alert.severity, episode_id=alert.episode_id,
                       revision=alert.revision, **alert.detail)

    def _alerts(self, key: str, step: Step, at: datetime) -> None:
        """The alerts stage's part: routing, notifications (every channel answers at once in
        a dry run), escalation; ``alert`` and ``alert_cleared`` are printed from the episodes
        stage's records already."""
        self.books[key] = step.book
        self._schedule(BOOK, key)
        for action in step.actions:
            if action["action"] not in ("alert", "alert_cleared", "alert_updated"):
                self._emit(at, action["action"], key, **{
                    k: v for k, v in action.items() if k not in ("action", "key", "at")})
        for delivery in step.deliveries:
            self._alerts(key, on_result(self.books[key], {
                "delivery_id": delivery["delivery_id"], "alert_id": delivery["alert_id"],
                "status": "sent", "attempt": delivery["attempt"]}, self.routing, at), at)
        for target, record in step.handovers:  # A40: the case goes on in the survivor's book
            self._alerts(target, on_alert(self.books.get(target), target, record, self.routing,
                                          at), at)

    def _emit(self, at: datetime, action: str, patient: str | None, **fields: Any) -> None:
        self.actions.append({"at": at.isoformat(), "action": action, "patient": patient,
                             **fields})
        self.emitted += 1
