"""``until``: the one poll the demo and the tests wait with, for a count another task updates
or a coroutine that asks a server for a state."""

from __future__ import annotations

from hub.adapters.topic_reader import until


async def test_a_condition_or_a_coroutine_is_polled_until_it_holds_or_the_time_is_up() -> None:
    asked: list[int] = []

    async def state() -> bool:
        asked.append(1)
        return len(asked) >= 3

    assert await until(state, timeout=5, interval=0) and len(asked) == 3
    assert await until(lambda: len(asked) == 3, timeout=5)

    async def never() -> bool:
        return False

    assert not await until(never, timeout=0, interval=0)
    assert not await until(lambda: False, timeout=0, interval=0)
