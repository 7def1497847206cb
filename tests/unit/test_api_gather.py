"""Scatter-gather of the list endpoints: every worker's share, or a 503 when one is missing."""

from __future__ import annotations

from typing import Any

import pytest

from hub.api.gather import gather
from hub.api.refusals import ApiRefusal


async def test_rows_of_every_worker_are_joined() -> None:
    """This worker's rows plus each peer's answer."""
    answers = {"http://a:6066": [{"n": 2}], "http://b:6066": [{"n": 3}]}

    async def fetch(peer: str) -> list[dict[str, Any]]:
        return answers[peer]

    rows = await gather([{"n": 1}], list(answers), fetch)
    assert sorted(r["n"] for r in rows) == [1, 2, 3]


async def test_a_single_worker_answers_alone() -> None:
    """No peers: the local rows as they are."""
    async def fetch(peer: str) -> list[dict[str, Any]]:
        raise AssertionError("no peer to ask")

    assert await gather([{"n": 1}], [], fetch) == [{"n": 1}]


async def test_a_worker_that_does_not_answer_makes_it_a_503() -> None:
    """A worklist silently missing patients is worse than a retry: 503 worker_unavailable."""
    async def fetch(peer: str) -> list[dict[str, Any]]:
        if peer == "http://b:6066":
            raise ApiRefusal("down", code="worker_unavailable", status=503)
        return [{"n": 2}]

    with pytest.raises(ApiRefusal) as refused:
        await gather([], ["http://a:6066", "http://b:6066"], fetch)
    assert (refused.value.status, refused.value.code) == (503, "worker_unavailable")
    assert refused.value.retriable and "1 of 3 workers" in refused.value.message


async def test_a_bug_is_not_disguised_as_an_unreachable_worker() -> None:
    """An unexpected exception propagates (a 500 with its trace), not a 503."""
    async def fetch(peer: str) -> list[dict[str, Any]]:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        await gather([], ["http://a:6066"], fetch)
