"""``hub simulate`` and ``hub tcm preview``: the hub's core over a feed with a simulated clock and
no servers. The same functions the agents call decide every step; the clock jumps from one due
moment to the next, so 30 days of a feed run in a blink. The dry run a hospital does before going
live, and the easiest place to check the rules."""

from __future__ import annotations

import heapq
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hub.cli.inputs import hl7_input, hl7_inputs, read_actions, read_replies, whole_in
from hub.cli.simulation import Simulation
from hub.domain.alerts.routing import Routing
from hub.domain.episode.processing import set_apart
from hub.domain.episode.rules import TcmRules
from hub.domain.episode.transitions import apply_adt
from hub.errors import Hl7Error
from hub.hl7.extract import normalize
from hub.hl7.header import read_header
from hub.hl7.parse import parse, split_messages
from hub.hl7.timestamps import BadTimestamp, parse_timestamp

UNKNOWN_TIME = datetime.min.replace(tzinfo=UTC)  # a message that says nothing of when it was


def feed_events(paths: list[Any], zone_for: Callable[[str], ZoneInfo], phone_region: str
                ) -> Iterator[tuple[datetime, dict[str, Any] | None, dict[str, Any] | None]]:
    """(time, event, error) per message; the time is when the hospital recorded it. A feed is
    a file or its bytes, already read (and checked)."""
    for path in paths:
        for raw in split_messages(path if isinstance(path, bytes) else hl7_input(path)):
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
    dry_run.add_argument("--days", type=whole_in(1, 3650), default=30,
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
    # each feed read once, all of them before anything is printed: a missing, unreadable or
    # empty file stops here, named
    feeds = [raw for _, raw in hl7_inputs(args.files if args.command == "tcm" else args.feeds)]
    if args.command == "tcm":
        print_json_lines(preview(feeds, rules_for=rules_for, zone_for=settings.zone_for,
                                 phone_region=settings.phone_region), sys.stdout)
        return 0
    start = args.start
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=settings.default_zone)
    replies = read_replies(args.replies, settings.phone_region) if args.replies else None
    actions = read_actions(args.actions) if args.actions else None
    print_json_lines(stream(feeds, rules_for=rules_for, zone_for=settings.zone_for,
                            phone_region=settings.phone_region, days=args.days,
                            start=start, replies=replies, actions=actions,
                            routing=settings.routing), sys.stdout)
    return 0
