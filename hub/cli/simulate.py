"""``hub simulate`` and ``hub tcm preview``: the hub's core over a feed with a simulated clock and
no servers. The same functions the agents call decide every step; the clock jumps from one due
moment to the next, so 30 days of a feed run in a blink. The dry run a hospital does before going
live, and the easiest place to check the rules."""

from __future__ import annotations

import heapq
import itertools
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hub.cli.inputs import hl7_input
from hub.domain.alerts import feed as alert_time
from hub.domain.alerts.lifecycle import Step, on_alert, on_result
from hub.domain.alerts.lifecycle import next_due as alert_due
from hub.domain.alerts.routing import Routing
from hub.domain.episode import merge
from hub.domain.episode.actions import RuleViolation, apply_action, validate_action
from hub.domain.episode.processing import set_apart
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
from hub.errors import Hl7Error, InputError
from hub.hl7.extract import normalize
from hub.hl7.header import read_header
from hub.hl7.parse import parse, split_messages
from hub.hl7.phones import to_e164
from hub.hl7.timestamps import BadTimestamp, parse_timestamp

UNKNOWN_TIME = datetime.min.replace(tzinfo=UTC)  # a message that says nothing of when it was
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

    def _emit(self, at: datetime, action: str, patient: str | None, **fields: Any) -> None:
        self.actions.append({"at": at.isoformat(), "action": action, "patient": patient,
                             **fields})
        self.emitted += 1


def feed_events(paths: list[Any], zone_for: Callable[[str], ZoneInfo], phone_region: str
                ) -> Iterator[tuple[datetime, dict[str, Any] | None, dict[str, Any] | None]]:
    """(time, event, error) per message; the time is when the hospital recorded it."""
    for path in paths:
        for raw in split_messages(hl7_input(path)):
            try:
                event = normalize(raw, zone_for=zone_for, phone_region=phone_region)
            except Hl7Error as error:
                yield _refused_message_time(raw, zone_for), None, error.to_dict()
                continue
            event = set_apart(event)  # MSH-11 T/D: a test record, nobody contacted
            stamp = event["recorded_at"] or event["visit"]["discharge_at"]
            yield datetime.fromisoformat(stamp) if stamp else UNKNOWN_TIME, event, None


def _refused_message_time(raw: bytes, zone_for: Callable[[str], ZoneInfo]) -> datetime:
    """A refused message's time read as an accepted one's (EVN-2, else MSH-7, in the facility's
    zone), so it is reported where it was in the feed; whatever cannot be read is skipped."""
    try:
        header = read_header(raw)
    except Hl7Error:
        return UNKNOWN_TIME  # no MSH at all
    try:
        evn = parse(raw).segment("EVN")
    except Hl7Error:
        evn = None
    for value in (evn.field(2) if evn else "", header.message_time):
        try:
            if (moment := parse_timestamp(value, zone_for(header.sending_facility))) is not None:
                return moment
        except BadTimestamp:
            continue
    return UNKNOWN_TIME


def simulate(paths: list[Any], *, rules_for: Callable[[str], TcmRules],
             zone_for: Callable[[str], ZoneInfo], phone_region: str = "US", days: int = 30,
             start: datetime | None = None, replies: list[dict[str, str]] | None = None,
             actions: list[dict[str, Any]] | None = None, routing: Routing | None = None
             ) -> list[dict[str, Any]]:
    """Every action in time order (by instant: offsets differ between zones); a refused
    message at its own time, else at the start of the simulation."""
    return list(stream(paths, rules_for=rules_for, zone_for=zone_for, phone_region=phone_region,
                       days=days, start=start, replies=replies, actions=actions,
                       routing=routing))


def stream(paths: list[Any], *, rules_for: Callable[[str], TcmRules],
           zone_for: Callable[[str], ZoneInfo], phone_region: str = "US", days: int = 30,
           start: datetime | None = None, replies: list[dict[str, str]] | None = None,
           actions: list[dict[str, Any]] | None = None, routing: Routing | None = None
           ) -> Iterator[dict[str, Any]]:
    """``simulate``'s actions as they become final: the simulated clock only moves forward,
    so once it has passed a moment nothing more is emitted before it."""
    simulation = Simulation(rules_for, routing=routing or Routing())
    items = list(feed_events(paths, zone_for, phone_region))
    inputs: list[tuple[datetime, str, Any]] = [(at, "adt", ev) for at, ev, _ in items if ev]
    inputs += [(datetime.fromisoformat(r["at"]), "reply", r) for r in replies or []]
    inputs += [(datetime.fromisoformat(a["at"]), "action", a) for a in actions or []]
    inputs.sort(key=lambda item: item[0])
    refused = [(at, error) for at, _, error in items if error]
    known = [at for at, *_ in inputs if at != UNKNOWN_TIME] or \
        [at for at, _ in refused if at != UNKNOWN_TIME]
    begin = start or min(known, default=UNKNOWN_TIME)
    ready: list[tuple[datetime, int, dict[str, Any]]] = []  # (instant, emitted as nth, action)
    taken = 0

    def final(until: datetime | None) -> Iterator[dict[str, Any]]:
        nonlocal taken
        for action in simulation.actions:
            heapq.heappush(ready, (datetime.fromisoformat(action["at"]), taken, action))
            taken += 1
        simulation.actions.clear()
        while ready and (until is None or ready[0][0] <= until):
            yield heapq.heappop(ready)[2]

    for at, error in refused:
        simulation.refused(error, begin if at == UNKNOWN_TIME else at)
    for at, kind, value in inputs:
        simulation.advance(at)
        if kind == "adt":
            simulation.adt(value, max(at, begin))
        elif kind == "action":
            simulation.care_team(value, at)
        else:
            simulation.reply(value["from"], value["text"], at)
        yield from final(max(at, begin))
    simulation.advance(begin + timedelta(days=days))
    yield from final(None)


def preview(paths: list[Any], *, rules_for: Callable[[str], TcmRules],
            zone_for: Callable[[str], ZoneInfo], phone_region: str = "US"
            ) -> list[dict[str, Any]]:
    """For each discharge: eligibility, deadlines and the outreach plan."""
    out = []
    for at, event, error in feed_events(paths, zone_for, phone_region):
        if event is None or event["event_type"] != "A03":
            if error:
                out.append({"eligible": False, "reason": f"rejected: {error['code']}",
                            "error": error})
            continue
        record = apply_adt(None, event, now=at, rules=rules_for(event["sending_facility"])).record
        episode = record.episodes[-1]
        out.append({
            "patient": record.patient_key, "control_id": event["control_id"],
            "eligible": episode.status == "open", "reason": episode.reason,
            "discharge_date": episode.discharge_date.isoformat(),
            "window_end": episode.window_end.isoformat(),
            "contact_due": episode.contact_due.isoformat(),
            "visit_due_99496": episode.visit_due_99496.isoformat(),
            "visit_due_99495": episode.visit_due_99495.isoformat(),
            "outreach": [{"at": s.not_before.isoformat(), "channel": s.channel,
                          "template": s.template, "step": s.step} for s in episode.plan],
        })
    return out


def _json_lines(path: Path, option: str, needed: tuple[str, ...]
                ) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(line number, where, object) for each line of ``option``'s file: a JSON object with the
    ``needed`` strings and an ``at`` with an offset; a line that is not one is refused with its
    number (a ``InputError``)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise InputError(f"{option} {path}: cannot read it ({why})") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{option} {path} line {number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not JSON ({exc.msg})") from exc
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in needed):
            names = ", ".join(f'"{k}"' for k in needed[:-1]) + f' and "{needed[-1]}"'
            raise InputError(f"{where}: needs {names} as strings")
        try:
            at = datetime.fromisoformat(item["at"])
        except ValueError as exc:
            raise InputError(f"{where}: \"at\" is not an ISO 8601 time") from exc
        if at.tzinfo is None:
            raise InputError(f"{where}: \"at\" needs an offset (Z or +hh:mm)")
        yield number, where, item


def read_replies(path: Path, phone_region: str = "US") -> list[dict[str, str]]:
    """``--replies``: one JSON object a line, ``{"at": ISO time with offset, "from": phone,
    "text": ...}``."""
    replies = []
    for _number, where, item in _json_lines(path, "--replies", ("at", "from", "text")):
        phone, problem = to_e164(item["from"], phone_region)
        if phone is None:
            raise InputError(f"{where}: \"from\" is not a phone number ({problem})")
        replies.append({"at": item["at"], "from": phone, "text": item["text"]})
    return replies


def read_actions(path: Path) -> list[dict[str, Any]]:
    """``--actions``: one JSON object a line, ``{"at", "patient", "kind", "by", ...}``: the body
    of ``POST /episodes/{patient}/actions`` with the patient key and the time it is recorded."""
    actions = [{**item, "action_id": f"simulated-{number}"} for number, _where, item
               in _json_lines(path, "--actions", ("at", "patient", "kind", "by"))]
    if not actions:
        raise InputError(f"--actions {path}: no actions in it")
    return actions


def print_json_lines(items: Iterable[dict[str, Any]], out: Any) -> None:
    """One JSON object a line, each written as it comes (a long dry run shows its progress as
    the output buffer fills, not only at the end)."""
    for item in items:
        print(json.dumps(item, ensure_ascii=False, default=str), file=out)


def register(sub: Any) -> None:
    dry_run = sub.add_parser("simulate", help="dry-run the TCM rules over a feed, no servers")
    dry_run.add_argument("feeds", nargs="+", type=Path, metavar="FEED",
                         help="HL7 files (one or many messages, batches), in any order")
    dry_run.add_argument("--replies", type=Path, metavar="FILE",
                         help="JSON lines of patient texts: {at, from, text}")
    dry_run.add_argument("--actions", type=Path, metavar="FILE",
                         help="JSON lines of care-team actions: {at, patient, kind, by, ...}")
    dry_run.add_argument("--days", type=positive_int, default=30,
                         help="how long to run the clock after the start (default 30)")
    dry_run.add_argument("--start", type=instant, metavar="ISO",
                         help="start the clock here (default: the first message's time); "
                              "without an offset, read in HUB_FACILITY_TZ, as HL7 times are")
    dry_run.set_defaults(run=_dry_run)
    tcm = sub.add_parser("tcm", help="TCM tools")
    tcm_sub = tcm.add_subparsers(dest="tcm_command", required=True)
    preview_parser = tcm_sub.add_parser("preview",
                                        help="eligibility, deadlines and plan per discharge")
    preview_parser.add_argument("files", nargs="+", type=Path, metavar="FEED",
                                help="HL7 files (one or many messages, batches)")
    preview_parser.set_defaults(run=_dry_run)


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


positive_int.__name__ = "positive whole"  # argparse: "invalid positive whole value: '0'"


def instant(text: str) -> datetime:
    """An ISO time; one without an offset stays naive here and is read in the facility's zone
    once the settings are known."""
    return datetime.fromisoformat(text)


instant.__name__ = "ISO time"


def _dry_run(args: Any) -> int:
    from hub.config import Settings
    from hub.domain.episode.rules import rules_for_settings
    from hub.domain.templates import install_from

    settings = Settings.from_env()
    install_from(settings.templates_dir)
    rules_for = rules_for_settings(settings)
    for feed in args.files if args.command == "tcm" else args.feeds:
        hl7_input(feed)  # a missing, unreadable or empty file stops here, named
    if args.command == "tcm":
        print_json_lines(preview(args.files, rules_for=rules_for, zone_for=settings.zone_for,
                                 phone_region=settings.phone_region), sys.stdout)
        return 0
    start = args.start
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=settings.default_zone)
    replies = read_replies(args.replies, settings.phone_region) if args.replies else None
    actions = read_actions(args.actions) if args.actions else None
    print_json_lines(stream(args.feeds, rules_for=rules_for, zone_for=settings.zone_for,
                            phone_region=settings.phone_region, days=args.days,
                            start=start, replies=replies, actions=actions,
                            routing=settings.routing), sys.stdout)
    return 0
