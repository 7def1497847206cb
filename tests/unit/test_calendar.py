"""Business days and the contact deadline (TCM-3), in the facility's zone, across DST and years."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.calendar import BusinessCalendar, contact_due, end_of_day, local_moment
from hub.errors import ConfigError

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
UTC = ZoneInfo("UTC")
US = BusinessCalendar.for_country("US")


@pytest.mark.parametrize("discharged, due", [
    (datetime(2026, 11, 23, 9, 0, tzinfo=NY), date(2026, 11, 25)),    # Mon -> Wed
    (datetime(2026, 11, 17, 9, 0, tzinfo=NY), date(2026, 11, 19)),    # Tue -> Thu
    (datetime(2026, 11, 18, 9, 0, tzinfo=NY), date(2026, 11, 20)),    # Wed -> Fri
    (datetime(2026, 11, 19, 9, 0, tzinfo=NY), date(2026, 11, 23)),    # Thu -> Mon
    (datetime(2026, 11, 20, 17, 0, tzinfo=NY), date(2026, 11, 24)),   # Fri -> Tue
    (datetime(2026, 11, 21, 12, 0, tzinfo=NY), date(2026, 11, 24)),   # Sat -> Tue
    (datetime(2026, 11, 22, 23, 59, tzinfo=NY), date(2026, 11, 24)),  # Sun night -> Tue
])
def test_weekends_do_not_count(discharged: datetime, due: date) -> None:
    """TCM-3: discharge day is day 0; Saturday and Sunday are not business days."""
    assert contact_due(discharged, NY, US) == end_of_day(due, NY)


@pytest.mark.parametrize("discharged, due", [
    (datetime(2026, 11, 25, 20, 0, tzinfo=NY), date(2026, 11, 30)),   # eve of Thanksgiving
    (datetime(2026, 11, 10, 22, 0, tzinfo=NY), date(2026, 11, 13)),   # eve of Veterans Day
    (datetime(2026, 1, 18, 21, 0, tzinfo=NY), date(2026, 1, 21)),     # Sunday before MLK Day
    (datetime(2026, 6, 18, 10, 0, tzinfo=NY), date(2026, 6, 23)),     # Juneteenth is a Friday
    (datetime(2026, 7, 2, 10, 0, tzinfo=NY), date(2026, 7, 7)),       # Jul 3 observed
    (datetime(2026, 12, 24, 18, 0, tzinfo=NY), date(2026, 12, 29)),   # Christmas Eve
])
def test_federal_holidays_do_not_count(discharged: datetime, due: date) -> None:
    """TCM-3: US federal holidays (observed days included) are not business days."""
    assert contact_due(discharged, NY, US).date() == due


@pytest.mark.parametrize("discharged, due", [
    (datetime(2026, 12, 31, 23, 30, tzinfo=NY), date(2027, 1, 5)),    # New Year's Day Friday
    (datetime(2021, 12, 30, 12, 0, tzinfo=NY), date(2022, 1, 4)),     # Jan 1 2022 observed Dec 31
    (datetime(2027, 12, 30, 12, 0, tzinfo=NY), date(2028, 1, 4)),     # Jan 1 2028 observed Dec 31
])
def test_year_end(discharged: datetime, due: date) -> None:
    """TCM-3: the count crosses the year; a New Year's Day observed in December counts as one."""
    assert contact_due(discharged, NY, US).date() == due


def test_discharge_time_in_utc_is_read_as_the_facility_date() -> None:
    """TCM-3 / ADT-2: the discharge date is the facility's date (late evening is still that day)."""
    late_evening = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Monday 22:00 in New York
    assert contact_due(late_evening, NY, US).date() == date(2026, 11, 25)
    pacific = datetime(2026, 11, 23, 23, 30, tzinfo=LA)  # already Tuesday in New York
    assert contact_due(pacific, LA, US) == end_of_day(date(2026, 11, 25), LA)


@pytest.mark.parametrize("discharged, due, offset", [
    (datetime(2026, 3, 6, 15, 0, tzinfo=NY), date(2026, 3, 10), -4),   # spring forward Mar 8
    (datetime(2026, 3, 8, 3, 30, tzinfo=NY), date(2026, 3, 10), -4),   # the morning of the change
    (datetime(2026, 10, 30, 12, 0, tzinfo=NY), date(2026, 11, 3), -5),  # fall back Nov 1
    (datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY), date(2026, 11, 3), -5),  # the repeated hour
])
def test_dst_weeks_keep_the_wall_clock_end_of_day(discharged: datetime, due: date,
                                                  offset: int) -> None:
    """TCM-3: across a DST change the deadline is still 23:59:59.999999 local, new offset."""
    deadline = contact_due(discharged, NY, US)
    assert deadline.date() == due and deadline.time() == time(23, 59, 59, 999999)
    assert deadline.utcoffset() == timedelta(hours=offset)


def test_facility_override_closes_and_opens_days() -> None:
    """TCM-3 (CONTESTED holidays): a facility adds closed days or works a federal holiday."""
    closed = BusinessCalendar.for_country("US", extra_closed=frozenset({date(2026, 11, 24)}))
    # Tue closed, Wed is day 1, Thu is Thanksgiving, so Fri is day 2
    monday = datetime(2026, 11, 23, 9, tzinfo=NY)
    assert contact_due(monday, NY, closed).date() == date(2026, 11, 27)
    working = BusinessCalendar.for_country("US", extra_open=frozenset({date(2026, 11, 26)}))
    assert working.is_business_day(date(2026, 11, 26))
    wednesday = datetime(2026, 11, 25, 9, tzinfo=NY)
    assert contact_due(wednesday, NY, working).date() == date(2026, 11, 27)


def test_state_calendar_adds_state_holidays() -> None:
    """TCM-3 (CONTESTED): a Massachusetts site also closes on Patriots' Day (Mon 20 Apr 2026)."""
    friday = datetime(2026, 4, 17, 12, 0, tzinfo=NY)
    assert contact_due(friday, NY, US).date() == date(2026, 4, 21)
    massachusetts = BusinessCalendar.for_country("US", "MA")
    assert contact_due(friday, NY, massachusetts).date() == date(2026, 4, 22)


def test_unknown_calendar_fails_at_start_up() -> None:
    """TCM-3: a holiday calendar that does not exist is a configuration error, not a guess."""
    with pytest.raises(ConfigError):
        BusinessCalendar.for_country("XX")


def test_local_moment_is_a_real_instant_on_dst_days() -> None:
    """TCM-3: plan times are built from the date and the wall clock, never by adding hours."""
    assert local_moment(date(2026, 3, 8), time(10), NY).utcoffset() == timedelta(hours=-4)
    assert local_moment(date(2026, 3, 7), time(10), NY).utcoffset() == timedelta(hours=-5)
    skipped = local_moment(date(2026, 3, 8), time(2, 30), NY)
    assert (skipped.hour, skipped.minute) == (3, 30)


ZONES = st.sampled_from([NY, LA, ZoneInfo("America/Chicago"), ZoneInfo("America/Phoenix"),
                         ZoneInfo("Pacific/Honolulu")])


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2032, 12, 31),
                    timezones=ZONES, allow_imaginary=False))
def test_contact_due_invariants(discharged: datetime) -> None:
    """TCM-3 property: a business day, after discharge, exactly 2 business days, 23:59:59 local."""
    zone = discharged.tzinfo
    assert isinstance(zone, ZoneInfo)
    deadline = contact_due(discharged, zone, US)
    day0 = discharged.astimezone(zone).date()
    assert deadline > discharged
    assert US.is_business_day(deadline.date())
    assert US.business_days_between(day0, deadline.date()) == 2
    assert US.business_days_between(day0, deadline.date() - timedelta(days=1)) == 1
    assert deadline.time() == time(23, 59, 59, 999999)
    # the offset is the zone's own on that day: the wall clock never shifts across DST
    assert deadline.utcoffset() == zone.utcoffset(deadline.replace(tzinfo=None))


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)),
       st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)))
def test_later_discharge_never_has_an_earlier_deadline(first: date, second: date) -> None:
    """TCM-3 property: the deadline is monotonic in the discharge date."""
    early, late = sorted((first, second))
    noon = time(12)
    assert contact_due(datetime.combine(early, noon, NY), NY, US) <= \
        contact_due(datetime.combine(late, noon, NY), NY, US)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)),
       st.integers(min_value=0, max_value=15))
def test_add_business_days_counts_exactly(day: date, count: int) -> None:
    """TCM-3 property: the n-th business day after d has exactly n business days in (d, it]."""
    result = US.add_business_days(day, count)
    assert US.business_days_between(day, result) == count
    assert count == 0 or US.is_business_day(result)


def test_calendar_spec_names_a_country_or_none_with_exceptions() -> None:
    """TCM-3 (CONTESTED holidays): ``none`` keeps only weekends; ``+day`` closes, ``-day`` opens."""
    weekends_only = BusinessCalendar.from_spec("none")
    assert weekends_only.is_business_day(date(2026, 11, 26))  # Thanksgiving
    assert not weekends_only.is_business_day(date(2026, 11, 28))  # a Saturday
    site = BusinessCalendar.from_spec("us-MA +2026-12-24 -2026-11-26")
    assert (site.country, site.subdivision) == ("US", "MA")
    assert site.is_holiday(date(2026, 12, 24)) and site.is_business_day(date(2026, 11, 26))
    assert site.is_holiday(date(2026, 4, 20))  # Patriots' Day
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        BusinessCalendar.from_spec("US 24/12/2026")
