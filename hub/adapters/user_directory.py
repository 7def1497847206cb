"""The care-team accounts on ``hub.users`` (compacted): every worker keeps all of them in
memory, following the topic from its start (no consumer group: each worker reads everything), so
a disabled account or a reset password takes effect on every worker within a moment; ``hub
users`` writes them (``acks=all``). Three kinds of record, each its own key so compaction keeps
them all: the account (key = user name); how many times the person signed out (key =
``signed-out/`` + user name; a name can have no ``/``), written by the pages; each one-time
sign-in link used (``link-used/`` + its nonce, with the directory that used it). Implements
``hub.web.directory.Directory``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from hub.errors import BrokerUnavailable
from hub.logs import get_logger
from hub.topic_names import USERS
from hub.web.accounts import User
from hub.web.directory import until_found

SIGNED_OUT = "signed-out/"  # key prefix of a person's sign-out count
LINK_USED = "link-used/"  # key prefix of a one-time sign-in link taken (hub demo --serve)

log = get_logger("hub.adapters.user_directory")


class UserDirectory:
    def __init__(self, bootstrap: str, write_timeout: float = 15.0):
        self._bootstrap, self._write_timeout = bootstrap, write_timeout
        self._users: dict[str, User] = {}
        self._signouts: dict[str, int] = {}
        self._links: dict[str, str] = {}  # nonce -> the writer whose use was read first
        self._me = secrets.token_hex(8)  # this directory, as a writer of link uses
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()  # caught up with the topic as it was at start
        self._changed = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None  # the pages' writes, kept while following
        self._starting = asyncio.Lock()
        self._stopped = False

    def get(self, username: str) -> User | None:
        return self._users.get(username)

    async def wait_for(self, username: str, timeout: float) -> User | None:
        """The account, waiting a moment for one just written (``hub users add`` a second
        ago) to arrive; None if it does not."""
        return await until_found(self._changed, lambda: self._users.get(username), timeout)

    def signouts(self, username: str) -> int:
        return self._signouts.get(username, 0)

    def all(self) -> dict[str, User]:
        return dict(self._users)

    async def store(self, user: User) -> None:
        await publish(self._bootstrap, user.username, user.to_dict(), self._write_timeout)

    async def sign_out(self, username: str) -> None:
        count = self.signouts(username) + 1
        self._note_sign_outs(username, count)  # this worker at once, whatever the broker does
        await self._publish(SIGNED_OUT + username, {"username": username, "count": count})

    async def take_link(self, nonce: str) -> bool:
        """Taken when this directory's use is the first one read back from the topic (every
        worker reads the same order), so of two workers at once exactly one takes it."""
        if nonce in self._links:
            return False
        await self._publish(LINK_USED + nonce, {"nonce": nonce, "by": self._me})
        first = await until_found(self._changed, lambda: self._links.get(nonce),
                                  self._write_timeout)
        if first is None:
            raise BrokerUnavailable(f"the link's use was not read back from {USERS}")
        return first == self._me

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if value is None or key is None:
            return
        try:
            name, data = key.decode(), json.loads(value)
            if name.startswith(LINK_USED):
                self._links.setdefault(name[len(LINK_USED):], str(data["by"]))
            elif name.startswith(SIGNED_OUT):
                self._note_sign_outs(str(data["username"]), int(data["count"]))
            else:
                user = User.from_dict(data)
                self._users[user.username] = user
                if self.ready.is_set():
                    log.info("users.changed", count=len(self._users))
        except (ValueError, KeyError, TypeError):
            log.warning("users.unreadable_record")
            return
        self._changed.set()

    def _note_sign_outs(self, username: str, count: int) -> None:
        if count > self._signouts.get(username, 0):
            self._signouts[username] = count

    async def _publish(self, key: str, value: dict[str, Any]) -> None:
        """A sign-out or a link's use, on the directory's own producer: started at the first
        write and kept, so a sign-out does not start a producer of its own; one that failed is
        closed, and the next write starts afresh. (A write that shared it at that moment may
        fail with it: the person tries again.)"""
        producer = await self._started_producer()
        try:
            await _send(producer, self._bootstrap, key, value, self._write_timeout)
        except BrokerUnavailable:
            async with self._starting:
                if self._producer is producer:
                    await self._drop_producer()
            raise

    async def _started_producer(self) -> AIOKafkaProducer:
        """The kept producer, started now if there is none; kept only once it has started (a
        start that fails, times out or is cancelled leaves nothing behind)."""
        async with self._starting:
            if self._stopped:
                raise BrokerUnavailable("the account directory has stopped: nothing is written")
            if self._producer is None:
                producer = _producer(self._bootstrap, self._write_timeout)
                try:
                    await asyncio.wait_for(producer.start(), self._write_timeout)
                except BaseException as exc:
                    with contextlib.suppress(Exception):
                        await producer.stop()
                    if isinstance(exc, (KafkaError, TimeoutError)):
                        raise _not_stored(self._bootstrap, exc) from None
                    raise
                self._producer = producer
            return self._producer

    async def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        async with self._starting:  # after a start in progress; no write starts one after
            self._stopped = True
            await self._drop_producer()

    async def _follow(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(USERS, bootstrap_servers=self._bootstrap,
                                        group_id=None, auto_offset_reset="earliest",
                                        enable_auto_commit=False, metadata_max_age_ms=5000)
            try:
                await consumer.start()
                ends: dict[Any, int] | None = None
                while True:
                    batches = await consumer.getmany(timeout_ms=1000)
                    for messages in batches.values():
                        for message in messages:
                            self.apply(message.key, message.value)
                    if self.ready.is_set():
                        continue
                    if ends is None and consumer.assignment():
                        ends = await consumer.end_offsets(list(consumer.assignment()))
                    if ends is not None and await _caught_up(consumer, ends):
                        self.ready.set()
                        log.info("users.ready", count=len(self._users))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never stop following: disables and resets must land
                log.warning("users.broker_error", error=type(exc).__name__)
                await asyncio.sleep(2)  # the broker is away: look again, not a synchronization
            finally:
                await consumer.stop()


async def _caught_up(consumer: AIOKafkaConsumer, ends: dict[Any, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return False
    return True


async def read_directory(bootstrap: str, timeout: float = 15.0) -> UserDirectory:
    """Every account as of now, in a directory that no longer follows the topic but still
    stores (for ``hub users``, after ``prepare_topics`` has reached the broker)."""
    directory = UserDirectory(bootstrap, timeout)
    await directory.start()
    try:
        await asyncio.wait_for(directory.ready.wait(), timeout)
    except TimeoutError:
        raise BrokerUnavailable(f"the accounts on {USERS} could not be read from "
                                f"{bootstrap}") from None
    finally:
        await directory.stop()
    return directory


async def publish(bootstrap: str, key: str, value: dict[str, Any],
                  timeout: float = 15.0) -> None:
    """One record on ``hub.users`` on a producer of its own (``hub users``, the demo's first
    account), kept by every replica (``acks=all``) within ``timeout``."""
    producer = _producer(bootstrap, timeout)
    try:
        try:
            await asyncio.wait_for(producer.start(), timeout)
        except (KafkaError, TimeoutError) as exc:
            raise _not_stored(bootstrap, exc) from None
        await _send(producer, bootstrap, key, value, timeout)
    finally:
        with contextlib.suppress(Exception):
            await producer.stop()


def _producer(bootstrap: str, timeout: float) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                            request_timeout_ms=int(timeout * 1000))


async def _send(producer: AIOKafkaProducer, bootstrap: str, key: str, value: dict[str, Any],
                timeout: float) -> None:
    """One record on ``hub.users``, kept by every replica (``acks=all``) within ``timeout``."""
    try:
        await asyncio.wait_for(producer.send_and_wait(
            USERS, key=key.encode(), value=json.dumps(value).encode()), timeout)
    except (KafkaError, TimeoutError) as exc:
        raise _not_stored(bootstrap, exc) from None


def _not_stored(bootstrap: str, exc: BaseException) -> BrokerUnavailable:
    return BrokerUnavailable(f"the account could not be stored on {bootstrap} "
                             f"({type(exc).__name__})")
