"""The routing file (``HUB_ALERT_ROUTING``): YAML a person edits, checked at start-up with every
error naming the line, as a typo must stop the deployment and not send an urgent alert nowhere.

    link: https://tcm.example.org          # the worklist; messages carry a link, not the patient
    escalate_after_minutes: 15             # urgent and not acknowledged: next on-call contact
    renotify_every_minutes: 0              # 0: notified again only when there is news
    default_team: general
    integration_team: integration          # feed silence and failing channels go here
    people:
      ana: {name: Ana Diaz, phone: "+15555550101", email: ana@example.org}
    teams:
      general:
        members: [ana]
        on_call: [ana]
        channels: [sms, webhook, email]
        webhook: https://chat.example.org/hooks/abc
        webhook_secret_env: HUB_WEBHOOK_SECRET_GENERAL   # the secret stays out of the file
        email: [care-team@example.org]
        names_on: [email]                  # channels approved for the patient's first name
    routes:
      - {facility: GENHOSP, program: CAR, team: cardiac}
    feeds:
      GENHOSP: {silence_minutes: 60, hours: "07:00-19:00", days: [mon, tue, wed, thu, fri]}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import yaml

from hub.domain.alerts.routing import (
    CHANNELS,
    SEVERITIES,
    FeedWatch,
    Person,
    Route,
    Routing,
    Team,
)
from hub.errors import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TOP = frozenset({"link", "escalate_after_minutes", "renotify_every_minutes", "default_team",
                 "integration_team", "people", "teams", "routes", "feeds"})
TEAM_KEYS = frozenset({"members", "on_call", "channels", "webhook", "webhook_secret_env",
                       "email", "names_on", "notify"})


class _Bad(Exception):
    def __init__(self, node: yaml.Node, message: str):
        super().__init__(message)
        self.line = node.start_mark.line + 1


def parse_routing(text: str, source: str, env: Mapping[str, str]) -> Routing:
    """The routing in ``text``; ``env``: where ``webhook_secret_env`` names are looked up."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{source}{where}: {problem}", code="bad_routing") from None
    if root is None:
        raise ConfigError(f"{source}: the routing file is empty", code="bad_routing")
    try:
        return _routing(root, env)
    except _Bad as bad:
        raise ConfigError(f"{source}, line {bad.line}: {bad}", code="bad_routing") from None


def _mapping(node: yaml.Node, what: str, known: frozenset[str] | None = None
             ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise _Bad(node, f"{what}: expected a mapping (name: value)")
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        name = _scalar(key, what)
        if known is not None and name not in known:
            raise _Bad(key, f"{what}: unknown setting {name!r} (known: {', '.join(sorted(known))})")
        if name in out:
            raise _Bad(key, f"{what}: {name!r} is given twice")
        out[name] = (key, value)
    return out


def _scalar(node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise _Bad(node, f"{what}: expected a value")
    return str(node.value).strip()


def _names(node: yaml.Node, what: str) -> tuple[str, ...]:
    if isinstance(node, yaml.ScalarNode):
        return (_scalar(node, what),)
    if not isinstance(node, yaml.SequenceNode):
        raise _Bad(node, f"{what}: expected a list")
    return tuple(_scalar(item, what) for item in node.value)


def _minutes(node: yaml.Node, what: str) -> timedelta:
    try:
        value = float(_scalar(node, what))
    except ValueError:
        raise _Bad(node, f"{what}: expected a number of minutes") from None
    if value < 0:
        raise _Bad(node, f"{what}: expected a number of minutes, 0 or more")
    return timedelta(minutes=value)


def _routing(root: yaml.Node, env: Mapping[str, str]) -> Routing:
    top = _mapping(root, "the routing file", TOP)
    people = {}
    if "people" in top:
        for pid, (_key, node) in _mapping(top["people"][1], "people").items():
            people[pid] = _person(pid, node)
    if "teams" not in top:
        raise _Bad(root, "teams: at least one team is needed")
    teams = {name: _team(name, node, people, env)
             for name, (_key, node) in _mapping(top["teams"][1], "teams").items()}

    def team_name(setting: str, fallback: str) -> str:
        if setting not in top:
            return fallback
        node = top[setting][1]
        name = _scalar(node, setting)
        if name not in teams:
            raise _Bad(node, f"{setting}: no team {name!r} (teams: {', '.join(teams)})")
        return name

    default = team_name("default_team", next(iter(teams)))
    routes = tuple(_route(node, teams) for node in _items(top.get("routes"), "routes"))
    feeds = {}
    if "feeds" in top:
        for facility, (_key, node) in _mapping(top["feeds"][1], "feeds").items():
            feeds[facility] = _feed(facility, node)
    renotify = _minutes(top["renotify_every_minutes"][1], "renotify_every_minutes") \
        if "renotify_every_minutes" in top else timedelta(0)
    return Routing(
        teams=teams, people=people, routes=routes, default_team=default,
        integration_team=team_name("integration_team", default),
        link=_scalar(top["link"][1], "link").rstrip("/") if "link" in top else "",
        escalate_after=_minutes(top["escalate_after_minutes"][1], "escalate_after_minutes")
        if "escalate_after_minutes" in top else timedelta(minutes=15),
        renotify_every=renotify or None, feeds=feeds)


def _items(node_pair: tuple[yaml.Node, yaml.Node] | None, what: str) -> list[yaml.Node]:
    if node_pair is None:
        return []
    node = node_pair[1]
    if not isinstance(node, yaml.SequenceNode):
        raise _Bad(node, f"{what}: expected a list")
    return list(node.value)


def _person(pid: str, node: yaml.Node) -> Person:
    what = f"people.{pid}"
    fields = _mapping(node, what, frozenset({"name", "phone", "email"}))
    phone = None
    if "phone" in fields:
        raw_node = fields["phone"][1]
        raw = _scalar(raw_node, f"{what}.phone")
        try:
            number = phonenumbers.parse(raw, None)
            valid = phonenumbers.is_valid_number(number)
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            raise _Bad(raw_node, f"{what}.phone: {raw!r} is not a valid number in +E.164 form")
        phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    email = None
    if "email" in fields:
        email = _scalar(fields["email"][1], f"{what}.email")
        if "@" not in email:
            raise _Bad(fields["email"][1], f"{what}.email: {email!r} is not an address")
    name = _scalar(fields["name"][1], f"{what}.name") if "name" in fields else pid
    return Person(pid, name, phone, email)


def _team(name: str, node: yaml.Node, people: dict[str, Person], env: Mapping[str, str]
          ) -> Team:
    what = f"teams.{name}"
    fields = _mapping(node, what, TEAM_KEYS)

    def listed(key: str, check: Callable[[yaml.Node, str], None] | None = None
               ) -> tuple[str, ...]:
        if key not in fields:
            return ()
        values_node = fields[key][1]
        values = _names(values_node, f"{what}.{key}")
        items = values_node.value if isinstance(values_node, yaml.SequenceNode) \
            else [values_node]
        if check is not None:
            for item, value in zip(items, values, strict=True):
                check(item, value)
        return values

    def person(item: yaml.Node, value: str) -> None:
        if value not in people:
            raise _Bad(item, f"{what}: {value!r} is not in people")

    def one_of(allowed: tuple[str, ...], key: str) -> Callable[[yaml.Node, str], None]:
        def check(item: yaml.Node, value: str) -> None:
            if value not in allowed:
                raise _Bad(item, f"{what}.{key}: {value!r} is not one of {', '.join(allowed)}")
        return check

    members, on_call = listed("members", person), listed("on_call", person)
    channels = listed("channels", one_of(CHANNELS, "channels"))
    for pid in on_call:
        if "sms" in channels and people[pid].phone is None:
            raise _Bad(fields["on_call"][1], f"{what}.on_call: {pid!r} has no phone for sms")
    webhook, secret = None, ""
    if "webhook" in channels:
        if "webhook" not in fields:
            raise _Bad(node, f"{what}: the webhook channel needs a webhook URL")
        webhook = _scalar(fields["webhook"][1], f"{what}.webhook")
        if not webhook.startswith(("https://", "http://")):
            raise _Bad(fields["webhook"][1], f"{what}.webhook: expected an http(s) URL")
        if "webhook_secret_env" not in fields:
            raise _Bad(node, f"{what}: a webhook needs webhook_secret_env (its signing key)")
        variable_node = fields["webhook_secret_env"][1]
        variable = _scalar(variable_node, f"{what}.webhook_secret_env")
        secret = env.get(variable, "")
        if len(secret) < 16:
            raise _Bad(variable_node, f"{what}.webhook_secret_env: {variable} is not set "
                                      "to a secret of 16 characters or more")
    email = listed("email")
    if "email" in channels and not email:
        raise _Bad(node, f"{what}: the email channel needs email addresses")
    if "sms" in channels and not on_call:
        raise _Bad(node, f"{what}: the sms channel pages the on-call list; it is empty")
    return Team(name, members, on_call, channels, webhook, secret, email,
                frozenset(listed("names_on", one_of(CHANNELS, "names_on"))),
                frozenset(listed("notify", one_of(SEVERITIES, "notify"))
                          or ("warning", "urgent")))


def _route(node: yaml.Node, teams: dict[str, Team]) -> Route:
    fields = _mapping(node, "routes", frozenset({"facility", "program", "team"}))
    for needed in ("facility", "team"):
        if needed not in fields:
            raise _Bad(node, f"routes: a route needs {needed}")
    team_node = fields["team"][1]
    team = _scalar(team_node, "routes.team")
    if team not in teams:
        raise _Bad(team_node, f"routes: no team {team!r} (teams: {', '.join(teams)})")
    program = _scalar(fields["program"][1], "routes.program").upper() \
        if "program" in fields else None
    return Route(_scalar(fields["facility"][1], "routes.facility"), program, team)


def _feed(facility: str, node: yaml.Node) -> FeedWatch:
    what = f"feeds.{facility}"
    fields = _mapping(node, what, frozenset({"silence_minutes", "hours", "days", "zone"}))
    watch = FeedWatch()
    silence = _minutes(fields["silence_minutes"][1], f"{what}.silence_minutes") \
        if "silence_minutes" in fields else watch.silence
    start, end = watch.start, watch.end
    if "hours" in fields:
        hours_node = fields["hours"][1]
        try:
            first, last = _scalar(hours_node, f"{what}.hours").split("-")
            start, end = time.fromisoformat(first.strip()), time.fromisoformat(last.strip())
        except ValueError:
            raise _Bad(hours_node, f"{what}.hours: expected HH:MM-HH:MM") from None
        if end <= start:
            raise _Bad(hours_node, f"{what}.hours: the end must come after the start")
    days = watch.days
    if "days" in fields:
        names = [d.lower()[:3] for d in _names(fields["days"][1], f"{what}.days")]
        if unknown := [d for d in names if d not in DAYS]:
            raise _Bad(fields["days"][1], f"{what}.days: unknown days {unknown}")
        days = frozenset(DAYS.index(d) for d in names)
    zone = watch.zone
    if "zone" in fields:
        zone = _scalar(fields["zone"][1], f"{what}.zone")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise _Bad(fields["zone"][1], f"{what}.zone: unknown time zone {zone!r}") from None
    if silence <= timedelta(0):
        raise _Bad(node, f"{what}.silence_minutes: must be more than 0")
    return FeedWatch(silence, start, end, days, zone)
