"""Scatter-gather: each worker holds only its own partitions of the ``episodes`` table, so a
list is this worker's rows plus every other worker's. A worker that does not answer makes the
whole answer a 503: a worklist that silently lacks patients is worse than a retry."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from hub.api.refusals import ApiRefusal
from hub.errors import HubError

Rows = list[dict[str, Any]]


async def gather(local: Rows, peers: Sequence[str],
                 fetch: Callable[[str], Awaitable[Rows]]) -> Rows:
    answers = await asyncio.gather(*(fetch(peer) for peer in peers), return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException) and not isinstance(answer, HubError):
            raise answer  # a bug, not an unreachable worker: let it be a 500 with its trace
    failed = sum(isinstance(answer, HubError) for answer in answers)
    if failed:
        raise ApiRefusal(f"{failed} of {len(peers) + 1} workers did not answer; try again",
                         code="worker_unavailable", status=503, retriable=True)
    return local + [row for answer in answers if isinstance(answer, list) for row in answer]
