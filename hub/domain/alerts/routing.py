"""Who gets an alert: per facility and program (PV1-10) a care team, with a default team; the
integration team gets the feed's and the channels' own alerts. Each team has members, an
on-call list (escalation walks it in order) and channels. Read from a file a person edits
(``routing_file``); with no file, every alert is only the record on ``care.alerts``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

from hub.domain.alerts.kinds import INTEGRATION, info

CHANNELS = ("sms", "webhook", "email")
SEVERITIES = ("info", "warning", "urgent")


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str
    phone: str | None = None  # E.164, for SMS pages
    email: str | None = None


@dataclass(frozen=True)
class Team:
    name: str
    members: tuple[str, ...] = ()
    on_call: tuple[str, ...] = ()  # person ids; the first is paged, escalation moves down
    channels: tuple[str, ...] = ()
    webhook: str | None = None
    webhook_secret: str = ""  # the value, read from the variable the file names
    email: tuple[str, ...] = ()
    # channels the hospital approved for the patient's first name and reply words (PHI)
    names_on: frozenset[str] = frozenset()
    notify: frozenset[str] = frozenset({"warning", "urgent"})  # severities pushed to channels


@dataclass(frozen=True)
class Route:
    facility: str  # MSH-4, or "*"
    program: str | None  # PV1-10 hospital service; None: any
    team: str


@dataclass(frozen=True)
class FeedWatch:
    """Feed silence: no ADT from a facility for ``silence`` inside its usual hours."""

    silence: timedelta = timedelta(hours=1)
    start: time = time(7, 0)
    end: time = time(19, 0)
    days: frozenset[int] = frozenset(range(5))  # Monday=0
    zone: str = "America/New_York"


@dataclass(frozen=True)
class Routing:
    teams: dict[str, Team] = field(default_factory=lambda: {"care-team": Team("care-team")})
    people: dict[str, Person] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()
    default_team: str = "care-team"
    integration_team: str = "care-team"
    link: str = ""  # base URL of the worklist; messages carry a link, not the patient
    escalate_after: timedelta = timedelta(minutes=15)  # urgent and not acknowledged
    renotify_every: timedelta | None = None  # None: never notified again without news
    feeds: dict[str, FeedWatch] = field(default_factory=dict)  # facility (or "*") -> watch

    def team_for(self, kind: str, facility: str, program: str = "") -> Team:
        if info(kind).audience == INTEGRATION:
            return self.teams[self.integration_team]
        program = program.upper()
        for wanted in ((facility, program), (facility, None), ("*", program), ("*", None)):
            for route in self.routes:
                if (route.facility, route.program) == wanted:
                    return self.teams[route.team]
        return self.teams[self.default_team]

    def teams_of(self, person_id: str) -> list[str]:
        return [t.name for t in self.teams.values() if person_id in t.members
                or person_id in t.on_call]

    def feed_watch(self, facility: str) -> FeedWatch | None:
        return self.feeds.get(facility) or self.feeds.get("*")
