"""Business days for TCM-3: Monday to Friday except holidays (US federal by default, configurable
per facility; CMS does not define them).

Deadlines are the *end* of a business day in the facility's zone, represented as the last
microsecond of that day (23:59:59.999999 local), so ``moment <= deadline`` means "on time".
Local times are always built from a date and a wall-clock time with the zone attached, never by
adding a timedelta to an instant, so a DST change inside the week moves nothing on the wall.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

from hub.errors import ConfigError

END_OF_DAY = time(23, 59, 59, 999999)


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekends plus a holiday set: ``country``/``subdivision`` from the ``holidays`` package
    (``country=""``: no public holidays), then the facility's own ``extra_closed`` days, then
    ``extra_open`` days it works anyway."""

    country: str = "US"
    subdivision: str | None = None
    extra_closed: frozenset[date] = frozenset()
    extra_open: frozenset[date] = frozenset()

    @classmethod
    def for_country(cls, country: str = "US", subdiv: str | None = None, *,
                    extra_closed: frozenset[date] = frozenset(),
                    extra_open: frozenset[date] = frozenset()) -> BusinessCalendar:
        """A checked calendar: an unknown country or subdivision fails at start-up."""
        try:
            if country:
                holiday_calendars.country_holidays(country, subdiv=subdiv, years=2026)
        except NotImplementedError as exc:
            raise ConfigError(f"no holiday calendar for {country!r}/{subdiv!r}") from exc
        return cls(country, subdiv, frozenset(extra_closed), frozenset(extra_open))

    @classmethod
    def from_spec(cls, spec: str) -> BusinessCalendar:
        """``US``, ``US-CA`` (country-subdivision, as the ``holidays`` package names them) or
        ``none``, then any ``+YYYY-MM-DD`` (closed as well) and ``-YYYY-MM-DD`` (open anyway),
        separated by spaces: ``US-MA +2026-12-24 -2026-11-11``."""
        head, *days = spec.split() or [""]
        if not head or head[0] in "+-":
            raise ConfigError(f"expected a country such as US or US-CA, or none, got {spec!r}")
        extra: dict[str, set[date]] = {"+": set(), "-": set()}
        for token in days:
            try:
                extra[token[0]].add(date.fromisoformat(token[1:]))
            except (KeyError, ValueError):
                raise ConfigError(f"expected +YYYY-MM-DD or -YYYY-MM-DD, got {token!r}") from None
        country, _, subdivision = ("" if head.lower() == "none" else head).partition("-")
        return cls.for_country(country.upper(), subdivision or None,
                               extra_closed=frozenset(extra["+"]),
                               extra_open=frozenset(extra["-"]))

    def is_holiday(self, day: date) -> bool:
        if day in self.extra_open:
            return False
        return day in self.extra_closed or (
            bool(self.country) and day in _holidays(self.country, self.subdivision, day.year))

    def is_business_day(self, day: date) -> bool:
        if day in self.extra_open:
            return True  # a facility that works a Saturday or a holiday says so explicitly
        return day.weekday() < 5 and not self.is_holiday(day)

    def add_business_days(self, day: date, count: int) -> date:
        """The ``count``-th business day after ``day`` (``day`` itself is day 0, whatever it is)."""
        if count < 0:
            raise ValueError("count must be zero or more")
        current, remaining = day, count
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_business_day(current):
                remaining -= 1
        return current

    def business_days_between(self, start: date, end: date) -> int:
        """Business days in (start, end]: how far into the TCM-3 count ``end`` is."""
        return sum(self.is_business_day(start + timedelta(days=i))
                   for i in range(1, (end - start).days + 1))


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    # ask for the neighbouring years too: an observed day can fall in the previous year
    # (New Year's Day on a Saturday is observed on Friday 31 December)
    found = holiday_calendars.country_holidays(country, subdiv=subdivision,
                                               years=(year - 1, year, year + 1))
    return frozenset(d for d in found if d.year == year)


def local_moment(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """``clock`` on ``day`` in ``zone``, as a real instant: a wall time that spring-forward skips
    (02:30) comes out as the instant the old offset gives (03:30); an ambiguous one (fall-back
    01:30) is its first occurrence."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC).astimezone(zone)


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    return local_moment(day, time(0), zone)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The last microsecond of ``day`` in ``zone`` (inclusive deadline)."""
    return datetime.combine(day, END_OF_DAY, tzinfo=zone)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The facility's calendar date of an instant (ADT-2: times carry their offset)."""
    return moment.astimezone(zone).date()


def contact_due(discharge_at: datetime, zone: ZoneInfo, calendar: BusinessCalendar) -> datetime:
    """TCM-3: the end of the 2nd business day after the discharge date, in the facility's zone
    (the discharge day is day 0: a Friday discharge is due by the end of Tuesday)."""
    return end_of_day(calendar.add_business_days(local_date(discharge_at, zone), 2), zone)
