"""Issue 9, speed with manners: Twilio requests are spaced 1/rate apart, whatever the stage's
concurrency (times are monotonic seconds handed in by the test)."""

from __future__ import annotations

import pytest

from hub.adapters.rate_limited import Pacer


def test_requests_are_spaced_evenly_at_the_rate() -> None:
    pacer = Pacer(100)
    starts = [pacer.turn(10.0) for _ in range(5)]  # five callers at the same moment
    assert starts == pytest.approx([10.0, 10.01, 10.02, 10.03, 10.04])


def test_no_second_holds_more_than_the_rate() -> None:
    pacer = Pacer(50)
    starts = [pacer.turn(0.0) for _ in range(500)]
    assert max(sum(1 for s in starts if t <= s < t + 1.0) for t in starts) <= 50 + 1


def test_an_idle_pacer_does_not_save_up_a_burst() -> None:
    pacer = Pacer(10)
    assert pacer.turn(0.0) == 0.0
    assert pacer.turn(60.0) == 60.0  # a minute later: at once
    assert pacer.turn(60.0) == pytest.approx(60.1)  # ... and the next waits its turn


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Pacer(0)
