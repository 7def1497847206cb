"""Business days and the contact deadline (TCM-3)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.calendar import BusinessCalendar, contact_due

NY = ZoneInfo("America/New_York")
US = BusinessCalendar()


@pytest.mark.parametrize("discharged, due", [
    (datetime(2026, 11, 23, 9, 0, tzinfo=NY), date(2026, 11, 25)),    # Mon -> Wed
    (datetime(2026, 11, 20, 17, 0, tzinfo=NY), date(2026, 11, 24)),   # Fri -> Tue
    (datetime(2026, 11, 21, 12, 0, tzinfo=NY), date(2026, 11, 24)),   # Sat -> Tue
    (datetime(2026, 11, 25, 20, 0, tzinfo=NY), date(2026, 11, 30)),   # eve of Thanksgiving -> Mon
    (datetime(2026, 12, 31, 23, 30, tzinfo=NY), date(2027, 1, 5)),    # year end, New Year's Day
    (datetime(2026, 7, 2, 10, 0, tzinfo=NY), date(2026, 7, 7)),       # Jul 3 observed holiday
])
def test_contact_due_is_end_of_second_business_day(discharged: datetime, due: date) -> None:
    """TCM-3: discharge day is day 0; weekends and US federal holidays do not count."""
    deadline = contact_due(discharged, NY, US)
    assert deadline.date() == due
    assert (deadline.hour, deadline.minute) == (23, 59) and deadline.tzinfo == NY


def test_discharge_time_in_utc_is_read_as_the_facility_date() -> None:
    """TCM-3: the discharge date is the facility's date (late evening UTC is still that day)."""
    discharged = datetime(2026, 11, 24, 3, 0, tzinfo=ZoneInfo("UTC"))  # Mon 22:00 in New York
    assert contact_due(discharged, NY, US).date() == date(2026, 11, 25)


def test_dst_week_keeps_end_of_day_wall_clock() -> None:
    """TCM-3: across the fall-back change the deadline is still 23:59 local."""
    deadline = contact_due(datetime(2026, 10, 30, 12, 0, tzinfo=NY), NY, US)  # Fri before Nov 1
    assert deadline.date() == date(2026, 11, 3) and deadline.utcoffset() == timedelta(hours=-5)


def test_facility_override_closes_and_opens_days() -> None:
    """TCM-3 (CONTESTED holidays): a facility can add a closed day or work a federal holiday."""
    closed = BusinessCalendar(extra_closed=frozenset({date(2026, 11, 24)}))
    # Tue closed, Wed is day 1, Thu is Thanksgiving, so Fri is day 2
    assert contact_due(datetime(2026, 11, 23, 9, tzinfo=NY), NY, closed).date() == date(2026, 11, 27)
    open_thanksgiving = BusinessCalendar(extra_open=frozenset({date(2026, 11, 26)}))
    assert open_thanksgiving.is_business_day(date(2026, 11, 26))


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)))
def test_contact_due_invariants(naive: datetime) -> None:
    """TCM-3 property: due on a business day, after discharge, exactly 2 business days later."""
    discharged = naive.replace(tzinfo=NY)
    deadline = contact_due(discharged, NY, US)
    day0 = discharged.astimezone(NY).date()
    assert deadline > discharged
    assert US.is_business_day(deadline.date())
    between = [day0 + timedelta(days=i) for i in range(1, (deadline.date() - day0).days + 1)]
    assert sum(US.is_business_day(d) for d in between) == 2
    assert (deadline.hour, deadline.minute, deadline.second) == (23, 59, 59)
