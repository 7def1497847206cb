"""The care-team accounts on ``hub.users`` (compacted): every worker keeps all of them in
memory, following the topic from its start (no consumer group: each worker reads everything), so
a disabled account or a reset password takes effect on every worker within a moment; ``hub
users`` writes them (``acks=all``). Two kinds of record, each its own key so compaction keeps
both: the account (key = user name) and the person's last sign-out (key = ``signed-out/`` + user
name, a name can have no ``/``), written by the pages; and each one-time sign-in link taken
(``link-used/`` + its nonce). Implements
``hub.web.directory.Directory``."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from hub.errors import BrokerUnavailable
from hub.logs import get_logger
from hub.topic_names import USERS
from hub.web.accounts import User

SIGNED_OUT = "signed-out/"  # key prefix of a person's last sign-out
LINK_USED = "link-used/"  # key prefix of a one-time sign-in link taken (hub demo --serve)

log = get_logger("hub.adapters.user_directory")


class UserDirectory:
    def __init__(self, bootstrap: str, write_timeout: float = 15.0):
        self._bootstrap, self._write_timeout = bootstrap, write_timeout
        self._users: dict[str, User] = {}
        self._signed_out: dict[str, datetime] = {}
        self._links_used: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()  # caught up with the topic as it was at start
        self._changed = asyncio.Event()

    def get(self, username: str) -> User | None:
        return self._users.get(username)

    async def wait_for(self, username: str, timeout: float) -> User | None:
        """The account, waiting a moment for one just written (``hub users add`` a second
        ago) to arrive; None if it does not."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (user := self._users.get(username)) is None and loop.time() < deadline:
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), deadline - loop.time())
        return user

    def signed_out_at(self, username: str) -> datetime | None:
        return self._signed_out.get(username)

    def all(self) -> dict[str, User]:
        return dict(self._users)

    async def store(self, user: User) -> None:
        await publish(self._bootstrap, user.username, user.to_dict(), self._write_timeout)

    async def sign_out(self, username: str, at: datetime) -> None:
        self._note_sign_out(username, at)  # this worker at once, whatever the broker does
        await publish(self._bootstrap, SIGNED_OUT + username,
                      {"username": username, "signed_out_at": at.isoformat()},
                      self._write_timeout)

    async def take_link(self, nonce: str) -> bool:
        if nonce in self._links_used:
            return False
        await publish(self._bootstrap, LINK_USED + nonce, {"nonce": nonce},
                      self._write_timeout)
        if nonce in self._links_used:  # read back meanwhile: another worker's was first
            return False
        self._links_used.add(nonce)
        return True

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if value is None or key is None:
            return
        try:
            data = json.loads(value)
            if key.decode().startswith(LINK_USED):
                self._links_used.add(key.decode()[len(LINK_USED):])
                return
            if key.decode().startswith(SIGNED_OUT):
                self._note_sign_out(str(data["username"]),
                                    datetime.fromisoformat(data["signed_out_at"]))
                return
            user = User.from_dict(data)
        except (ValueError, KeyError, TypeError):
            log.warning("users.unreadable_record")
            return
        self._users[user.username] = user
        self._changed.set()
        if self.ready.is_set():
            log.info("users.changed", count=len(self._users))

    def _note_sign_out(self, username: str, at: datetime) -> None:
        known = self._signed_out.get(username)
        if at.tzinfo is not None and (known is None or at > known):
            self._signed_out[username] = at

    async def start(self) -> None:
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

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
    """One record on ``hub.users``, kept by every replica (``acks=all``) within ``timeout``."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(producer.start(), timeout)
        await asyncio.wait_for(producer.send_and_wait(
            USERS, key=key.encode(), value=json.dumps(value).encode()), timeout)
    except (KafkaError, TimeoutError) as exc:
        raise BrokerUnavailable(f"the account could not be stored on {bootstrap} "
                                f"({type(exc).__name__})") from None
    finally:
        with contextlib.suppress(Exception):
            await producer.stop()
