"""Issue 9, speed with manners: Twilio requests are spaced evenly at the rate, whatever the
stage's concurrency, with room for a request that leaves late (times are monotonic seconds
handed in by the test)."""

from __future__ import annotations

import pytest

from hub.adapters.rate_limited import LATENESS, Pacer


def most_in_a_second(times: list[float]) -> int:
    return max(sum(1 for s in times if t <= s < t + 1.0) for t in times)


def test_requests_are_spaced_evenly_at_the_rate() -> None:
    pacer = Pacer(100)
    starts = [pacer.turn(10.0) for _ in range(5)]  # five callers at the same moment
    step = (1 + LATENESS) / 100
    assert starts == pytest.approx([10.0 + n * step for n in range(5)])


def test_no_second_holds_more_than_the_rate() -> None:
    pacer = Pacer(50)
    starts = [pacer.turn(0.0) for _ in range(500)]
    assert most_in_a_second(starts) <= 50 + 1
    assert most_in_a_second(starts) >= int(50 / (1 + LATENESS))  # paced, not throttled more


@pytest.mark.parametrize("stall", [0.0, 1.25, 2.5, 3.9])
def test_requests_held_up_by_a_busy_worker_still_fit_the_providers_second(stall: float) -> None:
    """The stage saturates the pacer; the worker is busy for LATENESS and every request due
    meanwhile leaves at its end, together with the one due then: the provider still sees no
    second above the rate (spaced exactly 1/rate apart, that second held 612)."""
    pacer = Pacer(600)
    starts = [pacer.turn(0.0) for _ in range(3_000)]

    def leaves(start: float) -> float:
        return stall + LATENESS if stall <= start < stall + LATENESS else start

    assert most_in_a_second(sorted(leaves(s) for s in starts)) <= 600 + 1


def test_an_idle_pacer_does_not_save_up_a_burst() -> None:
    pacer = Pacer(10)
    assert pacer.turn(0.0) == 0.0
    assert pacer.turn(60.0) == 60.0  # a minute later: at once
    assert pacer.turn(60.0) == pytest.approx(60.0 + (1 + LATENESS) / 10)  # the next: its turn


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Pacer(0)
