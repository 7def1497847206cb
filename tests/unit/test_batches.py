"""Issue 9, the guarantee: a batch's outputs are acknowledged by the broker before the state that
records them is written, and the batch is done only once that state is acknowledged too. The
broker is played by futures the test resolves, the table by a dict that hands out its changelog
futures as Faust's tables do."""

from __future__ import annotations

import asyncio
from typing import Any

from agents import batches
from agents.batches import Batch, Changelogged, acting_for


class FakeEvent:
    """What a table write needs of Faust's current event: the record's partition."""

    class message:
        partition = 3


class BrokerTopic:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any, asyncio.Future[None]]] = []

    async def send(self, *, key: str, value: Any) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sent.append((key, value, future))
        return future


class ChangelogTable(dict[str, Any]):
    """A dict whose writes send a changelog record (as ``Table.__setitem__`` does)."""

    def __init__(self) -> None:
        super().__init__()
        self.changelog: list[asyncio.Future[None]] = []

    def send_changelog(self, *_args: Any, **_kwargs: Any) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.changelog.append(future)
        return future

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.send_changelog(key, value)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)  # let the commit task run up to its next wait


def one_output_one_write(fenced: bool = False) -> tuple[BrokerTopic, ChangelogTable, Batch]:
    """A batch that emitted a command and recorded the event it came from as applied."""
    topic, table = BrokerTopic(), ChangelogTable()
    state = Changelogged(table)  # type: ignore[arg-type]
    batch = Batch(fenced=lambda: fenced)
    with acting_for(FakeEvent()):  # type: ignore[arg-type]
        batch.emit(topic, "GEN|1", {"command": "welcome"})  # type: ignore[arg-type]
        batch.put(state, "GEN|1", {"applied": ["ctl-1"]})
        assert batch.get(state, "GEN|1") == {"applied": ["ctl-1"]}  # the batch sees its write
    return topic, table, batch


async def test_state_is_written_only_after_every_output_is_acknowledged() -> None:
    topic, table, batch = one_output_one_write()
    commit = asyncio.ensure_future(batch.commit())
    await settle()
    assert len(topic.sent) == 1 and table == {}  # output sent, state not yet written
    topic.sent[0][2].set_result(None)  # the broker acknowledges the output
    await settle()
    assert table == {"GEN|1": {"applied": ["ctl-1"]}} and not commit.done()
    table.changelog[0].set_result(None)  # ... and the state's changelog record
    await settle()
    assert commit.done() and commit.exception() is None


async def test_a_fenced_batch_sends_its_outputs_and_writes_no_state() -> None:
    """agents.lanes: a lane still running when its worker gave the partition up must not
    overwrite what the key's next owner wrote; its outputs still go (consumers absorb them)."""
    topic, table, batch = one_output_one_write(fenced=True)
    commit = asyncio.ensure_future(batch.commit())
    await settle()
    topic.sent[0][2].set_result(None)
    await settle()
    assert commit.done() and commit.exception() is None
    assert table == {} and table.changelog == []


async def test_an_output_the_broker_refuses_is_sent_again_and_nothing_is_written_meanwhile(
        ) -> None:
    topic, table, batch = one_output_one_write()
    commit = asyncio.ensure_future(batch.commit())
    await settle()
    topic.sent[0][2].set_exception(ConnectionError("broker gone"))
    while len(topic.sent) < 2:  # the retry, after its backoff
        await asyncio.sleep(0.05)
    assert table == {}
    topic.sent[1][2].set_result(None)
    while not table.changelog:
        await asyncio.sleep(0)
    table.changelog[0].set_result(None)
    await commit
    assert table == {"GEN|1": {"applied": ["ctl-1"]}}


async def test_a_delete_in_a_batch_reads_as_gone_and_removes_the_key() -> None:
    table = ChangelogTable()
    table["GEN|1"] = 1.5
    table.changelog.clear()
    state = Changelogged(table)  # type: ignore[arg-type]
    batch = Batch()
    with acting_for(FakeEvent()):  # type: ignore[arg-type]
        batch.put(state, "GEN|1", None)
        assert batch.get(state, "GEN|1") is None
    commit = asyncio.ensure_future(batch.commit())
    await settle()
    assert "GEN|1" not in table
    await commit  # a dict's delete sends no changelog record here: nothing to wait for


async def test_an_acknowledgement_that_never_comes_does_not_hold_the_stage_for_ever(
        monkeypatch: Any) -> None:
    monkeypatch.setattr(batches, "ATTEMPT_TIMEOUT", 0.05)
    topic, table = BrokerTopic(), ChangelogTable()
    batch = Batch()
    batch.emit(topic, "GEN|1", {"alert": "episode_opened"})  # type: ignore[arg-type]
    commit = asyncio.ensure_future(batch.commit())
    while len(topic.sent) < 2:  # the first send is never acknowledged: it is sent again
        await asyncio.sleep(0.01)
    topic.sent[1][2].set_result(None)
    await commit
    assert table == {} and [key for key, _, _ in topic.sent] == ["GEN|1", "GEN|1"]


async def test_a_web_request_s_record_is_delivered_only_once_the_broker_acknowledges_it() -> None:
    """Webhooks and care-team actions answer 200/202 only on True: a broker that never
    acknowledges within the deadline is a False (the caller answers 503), not a hang."""
    topic: Any = BrokerTopic()
    assert await batches.delivered(topic, "+16175550188", {"kind": "sms"}, timeout=0.05) is False
    acknowledged = asyncio.ensure_future(
        batches.delivered(topic, "+16175550188", {"kind": "sms"}, timeout=5))
    while len(topic.sent) < 2:
        await asyncio.sleep(0)
    topic.sent[1][2].set_result(None)
    assert await acknowledged is True


class SweptTable:
    """What ``Changelogged.forget`` uses of a Faust table: its keys, its store (``data``) and
    the changelog, whose records are kept with their partition."""

    def __init__(self, entries: dict[str, Any]):
        self.data = dict(entries)
        self.tombstones: list[tuple[int, str]] = []

    def keys(self) -> list[str]:
        return list(self.data)

    def send_changelog(self, partition: int, key: str, value: Any,
                       **_options: Any) -> asyncio.Future[None]:
        assert value is None
        self.tombstones.append((partition, key))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def test_a_sweep_forgets_stale_entries_of_the_shards_it_owns_when_it_reaches_them(
        monkeypatch: Any) -> None:
    """ADT-1 memory bounded: stale entries go from the store with a tombstone on their own
    changelog partition; fresh ones stay; ownership is asked again for each chunk, so a shard
    a rebalance took away meanwhile (or every shard, while it runs) is left alone."""
    monkeypatch.setattr(batches, "FORGET_CHUNK", 2)
    table = SweptTable({"a": ("old", 1), "b": ("new", 1), "c": ("old", 2), "d": ("old", 1)})
    owned = iter([{1, 2}, {1}])  # the first chunk (a, b) then the second (c, d)
    forgotten = await Changelogged(table).forget(  # type: ignore[arg-type]
        lambda value: value[1] if value[0] == "old" else None, owned=lambda: next(owned))
    assert forgotten == 2 and table.tombstones == [(1, "a"), (1, "d")]
    assert sorted(table.data) == ["b", "c"]  # fresh, and no longer ours when reached


async def test_a_long_batch_lets_the_event_loop_serve_others_between_records(
        monkeypatch: Any) -> None:
    """A stage handling hundreds of records without an await would hold up every MLLP ACK
    meanwhile: ``in_turns`` hands the loop back once a turn's time is used up."""
    served: list[int] = []

    async def other() -> None:  # an MLLP connection waiting for its turn
        served.append(len(handled))

    handled: list[int] = []
    monkeypatch.setattr(batches, "TURN_SECONDS", 0.0)  # every record uses up a turn
    waiting = asyncio.ensure_future(other())
    async for record in batches.in_turns([1, 2, 3]):
        handled.append(record)
    await waiting
    assert handled == [1, 2, 3] and served == [1]  # served after the first record, not the last

    served.clear()
    handled.clear()
    monkeypatch.setattr(batches, "TURN_SECONDS", 60.0)  # a turn long enough for all three
    waiting = asyncio.ensure_future(other())
    async for record in batches.in_turns([1, 2, 3]):
        handled.append(record)
    await waiting
    assert served == [3]
