"""When a patient may be contacted: quiet hours (MSG-3), frequency caps and message size (MSG-1).

Everything is read on local wall clocks: the command's zone (the facility's), plus any zones
the patient's number points to (``also``: ``hub.domain.phone.zones``), so a patient with a
Honolulu mobile is never texted at 5 a.m. Hawaii time because the hospital is in New York. Caps
count days in the command's zone. Defaults follow tcm-rules; every value is a setting (§5).

- Quiet hours: a message may go when the local wall time is in ``[start, end)``; one due outside
  is deferred to the next allowed minute, never dropped (MSG-3).
- "Day" is the patient's local calendar day. "Week" is, by default, the **rolling** 7 local days
  ending on the day of the send: the stricter reading of "3 a week" (any 7 consecutive days hold at
  most 3, so every calendar week does too). ``week="calendar"`` counts per calendar week instead,
  starting on ``week_starts`` (0 = Monday ... 6 = Sunday).
- Caps count texts and calls together, per phone (the outreach stage is keyed by phone).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from hub.errors import ConfigError

WeekRule = Literal["rolling", "calendar"]


class NoCommonHours(ValueError):
    """Zones so far apart that no minute is allowed in all of them."""


CapReason = Literal["quiet_hours", "frequency_cap"]


def as_utc(at: datetime) -> datetime:
    """Aware datetimes only; kept in UTC inside the core because Python compares two datetimes
    of the *same* zone by wall time and ignores ``fold`` (wrong in the repeated 01:xx hour)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the outreach core needs aware datetimes")
    return at.astimezone(UTC)


@dataclass(frozen=True)
class QuietHours:
    start: time = time(8, 0)  # first allowed minute, patient's wall clock
    end: time = time(21, 0)  # first disallowed minute

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if value.tzinfo is not None or value.second or value.microsecond:
                raise ConfigError("quiet hours are whole local minutes, without a zone")
        if not self.start < self.end:
            raise ConfigError("quiet hours: start must be before end (no overnight windows)")

    def allows(self, at: datetime, zone: ZoneInfo) -> bool:
        return self.start <= at.astimezone(zone).time() < self.end

    def allows_all(self, at: datetime, zones: Sequence[ZoneInfo]) -> bool:
        return all(self.allows(at, zone) for zone in zones)

    def next_allowed_all(self, at: datetime, zones: Sequence[ZoneInfo]) -> datetime:
        """The first instant at or after ``at`` allowed in every zone, in the first one.
        ``NoCommonHours`` when the zones' windows never meet (over 13 hours apart)."""
        candidate = at
        for _ in range(8 * len(zones)):  # each pass moves to a window start; they meet fast
            moved = False
            for zone in zones:
                later = self.next_allowed(candidate, zone)
                if as_utc(later) != as_utc(candidate):
                    candidate, moved = later, True
            if not moved:
                return candidate.astimezone(zones[0])
        raise NoCommonHours("the quiet-hours windows of these zones never overlap")

    def next_allowed(self, at: datetime, zone: ZoneInfo) -> datetime:
        """``at`` (in ``zone``) when allowed, else the first later allowed minute. Across DST:
        on a fall-back day the first of the two ``start`` times; when ``start`` falls in a
        spring-forward gap, the moment the clock jumps past it."""
        if self.allows(at, zone):
            return at.astimezone(zone)
        after = as_utc(at)
        return min(c for c in self._candidates(at.astimezone(zone).date(), zone)
                   if c > after and self.allows(c, zone)).astimezone(zone)

    def opening(self, day: date, zone: ZoneInfo) -> datetime:
        """The first allowed instant of the local ``day`` (or of the next day that has one)."""
        return min(c for c in self._candidates(day, zone)
                   if c.astimezone(zone).date() >= day and self.allows(c, zone)).astimezone(zone)

    def _candidates(self, first_day: date, zone: ZoneInfo) -> list[datetime]:
        """Where "not allowed" can turn into "allowed": the clock reaching ``start``, or the
        clock jumping (a DST change). Four days always hold one for a valid window."""
        days = [first_day + timedelta(days=k) for k in range(4)]
        found = [i for d in days for i in _wall_instants(d, self.start, zone)]
        begin = as_utc(datetime.combine(first_day, time(0), tzinfo=zone)) - timedelta(days=1)
        return found + _transitions(begin, begin + timedelta(days=6), zone)


def _wall_instants(day: date, wall: time, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants at which the local clock of ``day`` reads ``wall``: none in a gap,
    two in a repeated hour."""
    local = datetime.combine(day, wall)
    instants = {as_utc(local.replace(tzinfo=zone, fold=fold)) for fold in (0, 1)}
    return sorted(i for i in instants if i.astimezone(zone).replace(tzinfo=None) == local)


def _transitions(begin: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """UTC instants (to the minute) in ``[begin, end)`` where the zone's offset changes."""
    found = []
    hour = timedelta(hours=1)
    at = begin
    while at < end:
        if at.astimezone(zone).utcoffset() != (at + hour).astimezone(zone).utcoffset():
            low, high = at, at + hour
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) // 2
                if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high)
        at += hour
    return found


@dataclass(frozen=True)
class ContactPolicy:
    quiet_hours: QuietHours = QuietHours()
    max_per_day: int = 1
    max_per_week: int = 3
    week: WeekRule = "rolling"
    week_starts: int = 6  # calendar weeks only: US calendars start on Sunday
    sms_max_chars: int = 160
    voice_max_seconds: int = 60
    voice_words_per_minute: int = 150  # a slow, clear text-to-speech pace
    # settled send-ledger entries older than this are forgotten (bounded state): a command
    # cannot come back after its expiry (30 days at most), so none is resent for lack of one
    ledger_retention_days: int = 90
    # a send left in doubt (a crash mid-call, no answer) is looked up at the provider this long
    # after it was started: long enough for the provider to list what it took
    in_doubt_seconds: int = 120

    def __post_init__(self) -> None:
        if self.max_per_day < 1 or self.max_per_week < self.max_per_day:
            raise ConfigError("caps: need 1 <= max_per_day <= max_per_week")
        if self.week not in ("rolling", "calendar") or not 0 <= self.week_starts <= 6:
            raise ConfigError("week: 'rolling' or 'calendar' with week_starts 0..6")
        if self.ledger_retention_days < 31:
            raise ConfigError("ledger retention: at least 31 days (past the 30-day window)")
        if not 1 <= self.in_doubt_seconds <= 3600:
            raise ConfigError("in-doubt look-up: 1 to 3600 seconds after the send")
        if min(self.sms_max_chars, self.voice_max_seconds, self.voice_words_per_minute) < 1:
            raise ConfigError("message limits must be positive")

    def content_problem(self, channel: str, body: str) -> str | None:
        """MSG-1: an SMS over 160 characters or a call script over a minute never goes."""
        if channel == "sms" and len(body) > self.sms_max_chars:
            return "sms_too_long"
        if channel == "voice" and self.voice_seconds(body) > self.voice_max_seconds:
            return "voice_too_long"
        return None

    def voice_seconds(self, body: str) -> float:
        return len(body.split()) * 60 / self.voice_words_per_minute

    def blocked_by(self, at: datetime, zone: ZoneInfo, sent: Iterable[datetime],
                   also: Sequence[ZoneInfo] = ()) -> CapReason | None:
        if not self.quiet_hours.allows_all(at, (zone, *also)):
            return "quiet_hours"
        if self.cap_reached(at.astimezone(zone).date(), zone, sent):
            return "frequency_cap"
        return None

    def cap_reached(self, day: date, zone: ZoneInfo, sent: Iterable[datetime]) -> bool:
        """Would one more message on the local ``day`` break a cap? (MSG-1)"""
        days = [s.astimezone(zone).date() for s in sent]
        if days.count(day) >= self.max_per_day:
            return True
        if self.week == "calendar":
            first = day - timedelta(days=(day.weekday() - self.week_starts) % 7)
            return sum(first <= d <= first + timedelta(days=6) for d in days) >= self.max_per_week
        # every rolling window that would hold ``day``, not only the one ending on it, so a send
        # recorded later than ``day`` (replays, a clock step) still counts
        ends = (day + timedelta(days=k) for k in range(7))
        return any(sum(end - timedelta(days=6) <= d <= end for d in days) >= self.max_per_week
                   for end in ends)

    def next_slot(self, at: datetime, zone: ZoneInfo, sent: Iterable[datetime],
                  also: Sequence[ZoneInfo] = ()) -> datetime:
        """The first moment at or after ``at`` inside quiet hours (in ``zone`` and every zone
        of ``also``) and under both caps, in ``zone``."""
        history, zones = list(sent), (zone, *also)
        candidate = self.quiet_hours.next_allowed_all(at, zones)
        for _ in range(8 + 7 * len(history)):  # each send blocks a week at most
            day = candidate.astimezone(zone).date()
            if not self.cap_reached(day, zone, history):
                return candidate
            candidate = self.quiet_hours.next_allowed_all(
                self.quiet_hours.opening(day + timedelta(days=1), zone), zones)
        raise AssertionError("caps never free a slot")  # unreachable: see the bound
