"""Business days for TCM-3: Monday to Friday except holidays (US federal by default, per facility
configurable; CMS does not define them). Deadlines end at the end of a business day in the
facility's zone; local times are built with the zone, so DST weeks need no special case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

END_OF_DAY = time(23, 59, 59, 999999)


@dataclass(frozen=True)
class BusinessCalendar:
    country: str = "US"
    subdivision: str | None = None
    extra_closed: frozenset[date] = frozenset()
    extra_open: frozenset[date] = frozenset()

    def is_holiday(self, day: date) -> bool:
        if day in self.extra_open:
            return False
        return day in self.extra_closed or day in _holidays(self.country, self.subdivision, day.year)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and not self.is_holiday(day)

    def add_business_days(self, day: date, count: int) -> date:
        """The ``count``-th business day after ``day`` (``day`` itself is day 0)."""
        current = day
        remaining = count
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_business_day(current):
                remaining -= 1
        return current


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holiday_calendars.country_holidays(country, subdiv=subdivision, years=year))


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=zone)


def contact_due(discharge_at: datetime, zone: ZoneInfo, calendar: BusinessCalendar) -> datetime:
    """TCM-3: the end of the 2nd business day after the discharge date, in the facility's zone
    (the discharge day is day 0: a Friday discharge is due by the end of Tuesday)."""
    discharge_date = discharge_at.astimezone(zone).date()
    return end_of_day(calendar.add_business_days(discharge_date, 2), zone)
