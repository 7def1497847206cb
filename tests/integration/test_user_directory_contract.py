"""One contract for the account directory, the pages' port to the accounts (issue 12), run
against the in-memory fake the unit tests use (``MemoryDirectory``) and the real adapter on the
real broker (``UserDirectory`` on ``hub.users``): an account stored is what a reader that
starts later reads; a sign-out ends sessions on the directory that took it at once and on every
reader, moves only forward and never rewrites the account; a one-time link is taken once;
a broker that is gone is ``BrokerUnavailable`` for a store and a sign-out (which still holds
where it was taken)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer

from hub.adapters.kafka_topics import prepare_topics
from hub.adapters.user_directory import SIGNED_OUT, UserDirectory, read_directory
from hub.errors import BrokerUnavailable
from hub.topic_names import USERS
from hub.web import accounts
from hub.web.directory import Directory, MemoryDirectory
from tests.integration import servers

T0 = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
PASSWORD = "a long passphrase for the contract"


@dataclass
class Port:
    directory: Directory  # the one a worker holds (following, storing, signing out)
    reader: Callable[[], Awaitable[Directory]]  # one started later, caught up
    unreachable: Directory  # one whose broker is gone


@pytest.fixture(params=["memory", "kafka"])
async def port(request: pytest.FixtureRequest) -> AsyncIterator[Port]:
    if request.param == "memory":
        memory = MemoryDirectory()

        async def same() -> Directory:
            return memory

        yield Port(memory, same, MemoryDirectory(down=True))
        return
    kafka: servers.Kafka = request.getfixturevalue("kafka")
    await prepare_topics(kafka.bootstrap, [], "tcm-hub-directory", partitions=1,
                         replication=1, changelogs=[USERS])
    directory = UserDirectory(kafka.bootstrap, write_timeout=10.0)
    await directory.start()

    async def fresh() -> Directory:
        return await read_directory(kafka.bootstrap, timeout=30.0)

    try:
        yield Port(directory, fresh, UserDirectory(f"127.0.0.1:{servers.free_port()}",
                                                   write_timeout=3.0))
    finally:
        await directory.stop()


def someone(role: str = "nurse") -> accounts.User:
    return accounts.new_user(f"rn.{uuid.uuid4().hex[:12]}", "Rita Lee", role, ("care-team",),
                             PASSWORD, T0)


async def test_an_account_stored_is_read_by_a_reader_started_later(port: Port) -> None:
    user = someone()
    await port.directory.store(user)
    assert await port.directory.wait_for(user.username, 30.0) == user
    disabled = accounts.disable(user, T0 + timedelta(minutes=1))
    await port.directory.store(disabled)
    reader = await port.reader()
    assert reader.get(user.username) == disabled  # the latest, not the first
    assert not accounts.verify(reader.get(user.username), PASSWORD)


async def test_a_name_never_stored_is_none_after_the_wait(port: Port) -> None:
    assert await port.directory.wait_for(f"nobody.{uuid.uuid4().hex[:8]}", 0.5) is None


async def test_a_sign_out_holds_at_once_everywhere_counts_up_and_keeps_the_account(
        port: Port) -> None:
    user = someone()
    await port.directory.store(user)
    assert port.directory.signouts(user.username) == 0
    await port.directory.sign_out(user.username)
    assert port.directory.signouts(user.username) == 1  # here, before any round trip
    await port.directory.sign_out(user.username)
    reader = await port.reader()
    assert reader.signouts(user.username) == 2
    assert reader.get(user.username) == user  # the account is not rewritten by a sign-out
    assert reader.signouts(someone().username) == 0


async def test_a_broker_that_is_gone_is_broker_unavailable_and_the_sign_out_holds_here(
        port: Port) -> None:
    user = someone()
    with pytest.raises(BrokerUnavailable):
        await port.unreachable.store(user)
    with pytest.raises(BrokerUnavailable):
        await port.unreachable.sign_out(user.username)
    assert port.unreachable.signouts(user.username) == 1


async def test_a_one_time_link_is_taken_once_on_every_worker(port: Port) -> None:
    """``hub demo --serve``'s link: the first use takes it; the same directory and one that
    starts later (another worker) refuse it after; without the broker it is not taken."""
    nonce = uuid.uuid4().hex
    assert await port.directory.take_link(nonce) is True
    assert await port.directory.take_link(nonce) is False
    assert await (await port.reader()).take_link(nonce) is False
    with pytest.raises(BrokerUnavailable):
        await port.unreachable.take_link(uuid.uuid4().hex)


async def test_of_two_workers_taking_one_link_at_once_exactly_one_takes_it(
        kafka: servers.Kafka) -> None:
    """The link's race on the real broker: two workers' directories (each following the
    topic) are handed the same link at the same moment, many times over; for each link exactly
    one of them takes it (the first use read back from the topic, the same on both)."""
    import asyncio

    await prepare_topics(kafka.bootstrap, [], "tcm-hub-directory", partitions=1,
                         replication=1, changelogs=[USERS])
    workers = [UserDirectory(kafka.bootstrap, write_timeout=10.0) for _ in range(2)]
    for directory in workers:
        await directory.start()
    try:
        for directory in workers:
            await asyncio.wait_for(directory.ready.wait(), 30)
        for _ in range(10):
            nonce = uuid.uuid4().hex
            taken = await asyncio.gather(*(d.take_link(nonce) for d in workers))
            assert sorted(taken) == [False, True]
            assert [await d.take_link(nonce) for d in workers] == [False, False]
    finally:
        for directory in workers:
            await directory.stop()


async def test_a_stopped_directory_writes_nothing_more(kafka: servers.Kafka) -> None:
    """A worker stopping: once its directory has stopped, a sign-out or a link's use still
    arriving is BrokerUnavailable (the page says it was not stored) instead of starting a
    producer nobody would close; the sign-out still holds on this worker."""
    import asyncio

    await prepare_topics(kafka.bootstrap, [], "tcm-hub-directory", partitions=1,
                         replication=1, changelogs=[USERS])
    directory = UserDirectory(kafka.bootstrap, write_timeout=10.0)
    await directory.start()
    await asyncio.wait_for(directory.ready.wait(), 30)
    name = f"rn.{uuid.uuid4().hex[:12]}"
    await directory.sign_out(name)  # its producer started and kept
    await directory.stop()
    with pytest.raises(BrokerUnavailable, match="stopped"):
        await directory.sign_out(name)
    with pytest.raises(BrokerUnavailable, match="stopped"):
        await directory.take_link(uuid.uuid4().hex)
    assert directory.signouts(name) == 2


async def test_a_record_nobody_can_read_is_passed_over(kafka: servers.Kafka) -> None:
    """A damaged record on ``hub.users`` (an account, a sign-out) is skipped with a warning;
    the directory keeps following and reads the accounts after it."""
    await prepare_topics(kafka.bootstrap, [], "tcm-hub-directory", partitions=1,
                         replication=1, changelogs=[USERS])
    user = someone()
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(USERS, key=b"rn.damaged", value=b"{not json")
        await producer.send_and_wait(USERS, key=(SIGNED_OUT + user.username).encode(),
                                     value=b'{"username": "x", "count": "many"}')
    finally:
        await producer.stop()
    directory = UserDirectory(kafka.bootstrap)
    await directory.start()
    try:
        await directory.store(user)
        assert await directory.wait_for(user.username, 30.0) == user
        assert directory.get("rn.damaged") is None
        assert directory.signouts(user.username) == 0
    finally:
        await directory.stop()


async def test_the_accounts_cannot_be_read_without_a_broker() -> None:
    with pytest.raises(BrokerUnavailable, match="could not be read"):
        await read_directory(f"127.0.0.1:{servers.free_port()}", timeout=2.0)
