"""Issue 9: a stage partition whose commit stops while records wait behind it and none of its
records is being handled is read again from its commit. The consumer is a fake exposing what the
watchdog reads of Faust's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faust.types import TP

from agents.offsets import Unstick

RAW = TP("hl7.adt.raw", 0)
CHANGELOG = TP("tcm-hub-episodes-changelog", 0)


@dataclass
class FakeConsumer:
    committed: int | None
    highwater_at: int
    unacked: list[Any] = field(default_factory=list)
    seeks: list[tuple[TP, int]] = field(default_factory=list)

    def assignment(self) -> set[TP]:
        return {RAW, CHANGELOG}

    @property
    def _committed_offset(self) -> dict[TP, int | None]:
        return {RAW: self.committed, CHANGELOG: None}

    @property
    def _unacked_messages(self) -> list[Any]:
        return self.unacked

    async def highwaters(self, *tps: TP) -> dict[TP, int]:
        return {tp: self.highwater_at for tp in tps}

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))


async def look(watch: Unstick, consumer: FakeConsumer) -> list[TP]:
    return await watch.look(consumer, frozenset({"hl7.adt.raw"}))  # type: ignore[arg-type]


async def test_a_commit_stuck_behind_skipped_records_is_read_again_from_the_commit() -> None:
    consumer, watch = FakeConsumer(committed=6, highwater_at=35), Unstick()
    assert await look(watch, consumer) == []  # one look is not yet "stuck"
    assert await look(watch, consumer) == [RAW]
    assert consumer.seeks == [(RAW, 6)]


async def test_a_partition_that_moves_or_has_records_in_flight_is_left_alone() -> None:
    consumer, watch = FakeConsumer(committed=6, highwater_at=35), Unstick()
    await look(watch, consumer)
    consumer.committed = 7  # progress since the last look
    assert await look(watch, consumer) == []
    consumer.unacked = [type("M", (), {"tp": RAW})()]  # a stage is still working on one
    assert await look(watch, consumer) == []
    caught_up = FakeConsumer(committed=35, highwater_at=35)
    await look(watch, caught_up)
    assert await look(watch, caught_up) == [] and consumer.seeks == []
