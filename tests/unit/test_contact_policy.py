"""Quiet hours (MSG-3) and frequency caps (MSG-1) on the patient's wall clock, DST days included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.phone.policy import ContactPolicy, QuietHours
from hub.errors import ConfigError

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
PHX = ZoneInfo("America/Phoenix")
HNL = ZoneInfo("Pacific/Honolulu")
ZONES = [NY, LA, PHX, HNL]
HOURS = QuietHours()
POLICY = ContactPolicy()


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int,
          second: int = 0, *, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=zone, fold=fold)


@pytest.mark.parametrize("zone", ZONES, ids=str)
@pytest.mark.parametrize("clock, allowed", [
    (time(7, 59), False), (time(8, 0), True), (time(12, 0), True), (time(20, 59), True),
    (time(21, 0), False), (time(23, 30), False), (time(0, 0), False),
])
def test_allowed_window_is_8_to_21_local(zone: ZoneInfo, clock: time, allowed: bool) -> None:
    """MSG-3: 08:00 is the first allowed minute and 21:00 the first disallowed one, locally."""
    at = datetime.combine(date(2026, 6, 10), clock, tzinfo=zone)
    assert HOURS.allows(at, zone) is allowed


@pytest.mark.parametrize("at, zone, expected", [
    # plain days: before the window, after it, a few seconds before it, inside it
    (local(NY, 2026, 11, 23, 2, 0), NY, local(NY, 2026, 11, 23, 8, 0)),
    (local(NY, 2026, 11, 23, 21, 0), NY, local(NY, 2026, 11, 24, 8, 0)),
    (local(NY, 2026, 11, 23, 7, 59, 30), NY, local(NY, 2026, 11, 23, 8, 0)),
    (local(NY, 2026, 11, 23, 10, 17), NY, local(NY, 2026, 11, 23, 10, 17)),
    # a New York evening is a Honolulu afternoon, and a New York morning is before dawn there
    (local(NY, 2026, 11, 23, 22, 0), HNL, local(HNL, 2026, 11, 23, 17, 0)),
    (local(NY, 2026, 11, 23, 10, 0), HNL, local(HNL, 2026, 11, 23, 8, 0)),
    # spring forward (2026-03-08): the night is an hour shorter, the window still opens at 08:00
    (local(NY, 2026, 3, 8, 1, 30), NY, local(NY, 2026, 3, 8, 8, 0)),
    (local(LA, 2026, 3, 7, 22, 0), LA, local(LA, 2026, 3, 8, 8, 0)),
    # fall back (2026-11-01): from the second 01:30 (EST) the window opens at 08:00 EST
    (local(NY, 2026, 11, 1, 1, 30, fold=1), NY, local(NY, 2026, 11, 1, 8, 0)),
    (local(LA, 2026, 10, 31, 23, 0), LA, local(LA, 2026, 11, 1, 8, 0)),
    # Arizona keeps standard time: US DST days change nothing there
    (local(PHX, 2026, 3, 8, 6, 0), PHX, local(PHX, 2026, 3, 8, 8, 0)),
    (datetime(2026, 11, 1, 12, 0, tzinfo=UTC), PHX, local(PHX, 2026, 11, 1, 8, 0)),
])
def test_next_allowed_minute(at: datetime, zone: ZoneInfo, expected: datetime) -> None:
    """MSG-3: a message due outside the window is deferred to the next allowed minute."""
    got = HOURS.next_allowed(at, zone)
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()


def test_start_in_the_spring_forward_gap_opens_when_the_clock_jumps() -> None:
    """MSG-3 / DST: 02:30 does not exist on 2026-03-08 in New York; the window opens at 03:00."""
    hours = QuietHours(start=time(2, 30))
    assert hours.next_allowed(local(NY, 2026, 3, 8, 0, 0), NY) == local(NY, 2026, 3, 8, 3, 0)


def test_start_in_the_repeated_hour_is_its_first_occurrence() -> None:
    """MSG-3 / DST: 01:30 happens twice on 2026-11-01; the first one (EDT) opens the window,
    and from 01:10 EST the next allowed minute is the second 01:30 (EST)."""
    hours = QuietHours(start=time(1, 30))
    first = hours.next_allowed(local(NY, 2026, 11, 1, 0, 0), NY)
    assert (first, first.utcoffset()) == (local(NY, 2026, 11, 1, 1, 30), timedelta(hours=-4))
    second = hours.next_allowed(local(NY, 2026, 11, 1, 1, 10, fold=1), NY)
    assert second.utcoffset() == timedelta(hours=-5) and second.hour == 1


@pytest.mark.parametrize("make", [
    lambda: QuietHours(start=time(21, 0), end=time(8, 0)),
    lambda: QuietHours(start=time(8, 0, 30)),
    lambda: ContactPolicy(max_per_day=0),
    lambda: ContactPolicy(max_per_day=4, max_per_week=3),
    lambda: ContactPolicy(week="monthly"),  # type: ignore[arg-type]
    lambda: ContactPolicy(sms_max_chars=0),
])
def test_invalid_settings_fail_at_start_up(make: object) -> None:
    """§5: every default is a setting, and a nonsensical one is refused before any send."""
    with pytest.raises(ConfigError):
        make()  # type: ignore[operator]


def test_one_message_a_local_day() -> None:
    """MSG-1: "day" is the patient's local calendar day: 23:00 UTC is still today in New York."""
    sent = [local(NY, 2026, 11, 23, 9, 0)]
    assert POLICY.cap_reached(date(2026, 11, 23), NY, sent)
    assert not POLICY.cap_reached(date(2026, 11, 24), NY, sent)
    evening = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 20:00 on the 23rd in New York
    assert POLICY.next_slot(evening, NY, sent) == local(NY, 2026, 11, 24, 8, 0)


def test_three_in_any_rolling_seven_days() -> None:
    """MSG-1: after Mon, Wed, Fri the next slot is the following Monday (7 days after Mon)."""
    sent = [local(NY, 2026, 11, d, 9, 0) for d in (23, 25, 27)]
    slot = POLICY.next_slot(local(NY, 2026, 11, 28, 9, 0), NY, sent)
    assert slot == local(NY, 2026, 11, 30, 8, 0)


def test_calendar_week_setting_starts_on_sunday() -> None:
    """MSG-1 (setting): calendar weeks free three new sends on Sunday, not seven days later."""
    calendar = ContactPolicy(week="calendar")
    sent = [local(NY, 2026, 11, d, 9, 0) for d in (25, 26, 27)]  # Wed, Thu, Fri
    assert calendar.next_slot(local(NY, 2026, 11, 28, 9, 0), NY, sent) == \
        local(NY, 2026, 11, 29, 8, 0)
    assert POLICY.next_slot(local(NY, 2026, 11, 28, 9, 0), NY, sent) == \
        local(NY, 2026, 12, 2, 8, 0)


def test_a_send_recorded_later_still_counts() -> None:
    """MSG-1: every 7-day window holding the day counts, not only the one ending on it."""
    sent = [local(NY, 2026, 11, d, 9, 0) for d in (25, 26, 27)]
    assert POLICY.cap_reached(date(2026, 11, 24), NY, sent)


@pytest.mark.parametrize("channel, body, problem", [
    ("sms", "x" * 160, None), ("sms", "x" * 161, "sms_too_long"),
    ("voice", " ".join(["word"] * 150), None), ("voice", " ".join(["word"] * 151),
                                                 "voice_too_long"),
])
def test_message_size_limits(channel: str, body: str, problem: str | None) -> None:
    """MSG-1: an SMS is at most 160 characters; a call script fits in one minute."""
    assert POLICY.content_problem(channel, body) == problem


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)
                        ).map(lambda d: d.replace(tzinfo=UTC))
windows = st.tuples(st.integers(0, 23 * 60 - 1), st.integers(1, 8 * 60)).map(
    lambda t: QuietHours(time(t[0] // 60, t[0] % 60),
                         time(min(t[0] + t[1], 24 * 60 - 1) // 60,
                              min(t[0] + t[1], 24 * 60 - 1) % 60)))
dst_nights = st.sampled_from([datetime(2026, 3, 8, 9), datetime(2026, 11, 1, 8),
                              datetime(2027, 3, 14, 9), datetime(2027, 11, 7, 8)]).flatmap(
    lambda d: st.integers(-600, 600).map(
        lambda m: (d + timedelta(minutes=m)).replace(tzinfo=UTC)))


@settings(max_examples=300, deadline=None)
@given(st.one_of(instants, dst_nights), st.sampled_from(ZONES), st.one_of(st.just(HOURS),
                                                                          windows))
def test_next_allowed_is_the_first_allowed_minute(at: datetime, zone: ZoneInfo,
                                                  hours: QuietHours) -> None:
    """MSG-3 property: next_allowed is allowed, not before ``at``, and no allowed minute lies
    between, whatever the instant, zone, window and DST change."""
    got = hours.next_allowed(at, zone)
    assert hours.allows(got, zone) and got >= at
    probe = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while probe < got:
        assert not hours.allows(probe, zone)
        probe += timedelta(minutes=1)
