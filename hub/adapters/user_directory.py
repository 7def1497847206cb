"""The care-team accounts on ``hub.users`` (compacted, key = user name): every worker keeps all
of them in memory, following the topic from its start (no consumer group: each worker reads
everything), so a disabled account or a reset password takes effect on every worker within a
moment; ``hub users`` writes them (``acks=all``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from hub.errors import BrokerUnavailable
from hub.logs import get_logger
from hub.topic_names import USERS
from hub.web.accounts import User

log = get_logger("hub.adapters.user_directory")


class UserDirectory:
    def __init__(self, bootstrap: str):
        self._bootstrap = bootstrap
        self._users: dict[str, User] = {}
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()  # caught up with the topic as it was at start

    def get(self, username: str) -> User | None:
        return self._users.get(username)

    def all(self) -> dict[str, User]:
        return dict(self._users)

    def apply(self, value: bytes | None) -> None:
        if value is None:
            return
        try:
            user = User.from_dict(json.loads(value))
        except (ValueError, KeyError, TypeError):
            log.warning("users.unreadable_record")
            return
        self._users[user.username] = user

    async def start(self) -> None:
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, group_id=None,
                                        enable_auto_commit=False)
            try:
                await consumer.start()
                await consumer.topics()  # the cluster's metadata, so the partitions are known
                found = consumer.partitions_for_topic(USERS)
                if not found:  # not created yet (the worker creates it at start)
                    self.ready.set()  # nobody can sign in yet, and nobody waits for it
                    await asyncio.sleep(2)  # look again for the topic, not a synchronization
                    continue
                partitions = [TopicPartition(USERS, p) for p in sorted(found)]
                consumer.assign(partitions)
                await consumer.seek_to_beginning(*partitions)
                ends = await consumer.end_offsets(partitions)
                while True:
                    batches = await consumer.getmany(timeout_ms=1000)
                    for messages in batches.values():
                        for message in messages:
                            self.apply(message.value)
                    if not self.ready.is_set() and await _caught_up(consumer, ends):
                        self.ready.set()
            except asyncio.CancelledError:
                raise
            except KafkaError as exc:
                log.warning("users.broker_error", error=type(exc).__name__)
                await asyncio.sleep(2)  # the broker is away: look again, not a synchronization
            finally:
                await consumer.stop()


async def _caught_up(consumer: AIOKafkaConsumer, ends: dict[Any, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return False
    return True


async def read_users(bootstrap: str, timeout: float = 15.0) -> dict[str, User]:
    """Every account as of now (for ``hub users`` to change one)."""
    directory = UserDirectory(bootstrap)
    await directory.start()
    try:
        await asyncio.wait_for(directory.ready.wait(), timeout)
    except TimeoutError:
        raise BrokerUnavailable(f"the accounts on {USERS} could not be read from "
                                f"{bootstrap}") from None
    finally:
        await directory.stop()
    return directory.all()


async def publish(bootstrap: str, user: User, timeout: float = 15.0) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(producer.start(), timeout)
        await asyncio.wait_for(producer.send_and_wait(
            USERS, key=user.username.encode(), value=json.dumps(user.to_dict()).encode()),
            timeout)
    except (KafkaError, TimeoutError) as exc:
        raise BrokerUnavailable(f"the account could not be stored on {bootstrap} "
                                f"({type(exc).__name__})") from None
    finally:
        with contextlib.suppress(Exception):
            await producer.stop()

