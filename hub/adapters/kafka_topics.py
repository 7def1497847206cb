"""Start-up preparation of the hub's topics.

The stages co-partition their topics and tables (``agents.topics``): one patient's events, ticks
and table shard meet in one partition only if every topic has ``HUB_PARTITIONS`` partitions.
Faust creates the topics its agents read and its changelogs, but not the ones the hub only
writes (``care.alerts``, ``adt.deadletter``, ``hl7.adt.rejected``): left to the broker, those are
auto-created with its default count on the first write, or refused where auto-creation is off
(as it should be in production). So the worker creates every hub topic that is missing, with
``HUB_PARTITIONS`` and ``HUB_TOPIC_REPLICATION``, and refuses to start when one exists with
another count: Faust would otherwise fail every record with ``PartitionsMismatch``.

The topics that carry a message's raw bytes (``hl7.adt.raw``, ``hl7.adt.rejected`` and the dead
letters that copy them) are created with ``max.message.bytes`` as large as the producer's largest
request: base64 in JSON makes a record about 1.37x its message, so Kafka's 1 MB default would
refuse any message over ~760 KB, and the first 1 MiB kept of an oversized frame, for ever (AR
every time, the bytes nowhere). An existing topic with a smaller limit is not altered (the
broker's AlterConfigs would reset its other settings); it is named in a warning with the fix.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from hub.adapters.kafka_sink import MAX_REQUEST_BYTES
from hub.errors import ConfigError, broker_unreachable
from hub.logs import get_logger
from hub.topic_names import ACCESS_LOG, RAW_BYTES

log = get_logger("hub.kafka_topics")

LARGE_RECORD_TOPICS = RAW_BYTES
# the producer's largest request plus the record-batch framing around a record of that size
LARGE_RECORD_LIMIT = MAX_REQUEST_BYTES + (64 << 10)
_MAX_MESSAGE_BYTES = "max.message.bytes"


KEPT_FOREVER = frozenset({ACCESS_LOG})


def new_topics(names: Iterable[str], *, partitions: int, replication: int,
               large_record_topics: Collection[str] = LARGE_RECORD_TOPICS) -> list[NewTopic]:
    """The topics to create; those carrying raw bytes with the large-record limit, the audit
    log of who viewed which patient kept without a time limit (HIPAA keeps six years: the
    operator archives it, Kafka never deletes it)."""
    large = {_MAX_MESSAGE_BYTES: str(LARGE_RECORD_LIMIT)}
    return [NewTopic(name, partitions, replication,
                     topic_configs=large if name in large_record_topics
                     else {"retention.ms": "-1"} if name in KEPT_FOREVER else None)
            for name in names]


async def _warn_small_limits(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    if not names:
        return
    responses = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name) for name in names])
    for response in responses:
        for _error, _message, _type, name, entries in response.resources:
            limit = next((int(e[1]) for e in entries if e[0] == _MAX_MESSAGE_BYTES), None)
            if limit is not None and limit < LARGE_RECORD_LIMIT:
                log.warning("kafka_topics.record_limit_too_small", topic=name, error=(
                    f"{_MAX_MESSAGE_BYTES} is {limit}: messages whose record is larger get AR "
                    f"for ever; fix with kafka-configs.sh --alter --entity-type topics "
                    f"--entity-name {name} --add-config {_MAX_MESSAGE_BYTES}={LARGE_RECORD_LIMIT}"))


def partition_problems(found: Mapping[str, int], topics: Iterable[str], app_id: str,
                       expected: int) -> list[str]:
    """``found``: partitions per existing topic. The hub's topics and the app's changelogs
    that exist with a count other than ``expected``, as 'topic has N partitions'."""
    wanted = set(topics)
    changelog = f"{app_id}-"
    return [f"{name} has {count} partition{'s' * (count != 1)}"
            for name, count in sorted(found.items())
            if count != expected and (name in wanted or (
                name.startswith(changelog) and name.endswith("-changelog")))]


async def _partitions(admin: AIOKafkaAdminClient) -> dict[str, int]:
    topics = await admin.describe_topics()  # every topic: one metadata request
    # a topic whose partitions the metadata does not list yet (just created) is unknown
    return {t["topic"]: len(t["partitions"]) for t in topics if t.get("partitions")}


async def existing_partitions(bootstrap: str, timeout_ms: int = 10_000) -> dict[str, int] | None:
    """Partitions per topic on the cluster; None when the broker cannot be asked (the caller
    says what that means for it)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms)
    try:
        await admin.start()
        return await _partitions(admin)
    except KafkaError:
        return None
    finally:
        await admin.close()


async def prepare_topics(bootstrap: str, topics: Iterable[str], app_id: str, *,
                         partitions: int, replication: int, timeout_ms: int = 10_000,
                         large_record_topics: Collection[str] = LARGE_RECORD_TOPICS,
                         changelogs: Iterable[str] = ()) -> None:
    """Create the missing hub topics and table changelogs (compacted, as Faust makes them);
    ``ConfigError`` for one with another partition count; ``BrokerUnavailable`` naming the
    address when the broker cannot be reached at all (the worker waited for it before).

    The changelogs are made here too because Faust declares them while the worker starts, and
    a stage can write a table before that: a broker that auto-creates topics then makes the
    changelog with its default count (one partition), and every later write to it fails with
    PartitionsMismatch, the stage retrying for ever (seen in the pipeline bench)."""
    topics = list(topics)
    changelogs = list(changelogs)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms)
    try:
        try:
            await admin.start()
        except KafkaError as exc:
            raise broker_unreachable(bootstrap) from exc
        found = await _partitions(admin)
        problems = partition_problems(found, topics, app_id, partitions)
        if problems:
            raise ConfigError(
                f"HUB_PARTITIONS is {partitions} but " + "; ".join(problems) + ". The stages "
                "need every topic co-partitioned: set HUB_PARTITIONS to the existing count, or "
                "give those topics that many partitions (changelog topics cannot be resized: a "
                "new HUB_APP_ID starts fresh ones)")
        missing = new_topics([name for name in topics if name not in found],
                             partitions=partitions, replication=replication,
                             large_record_topics=large_record_topics)
        missing += [NewTopic(name, partitions, replication,
                             topic_configs={"cleanup.policy": "compact"})
                    for name in changelogs if name not in found]
        await _warn_small_limits(admin, [name for name in topics
                                         if name in found and name in large_record_topics])
        if missing:
            response = await admin.create_topics(missing)
            refused = [f"{error[0]}: {error[2] if len(error) > 2 else ''} (code {error[1]})"
                       for error in response.topic_errors
                       if error[1] not in (0, TopicAlreadyExistsError.errno)]
            if refused:  # e.g. a replication factor above the number of brokers
                raise ConfigError("the broker refused to create hub topics: "
                                  + "; ".join(refused) + " (see HUB_TOPIC_REPLICATION)")
            log.info("kafka_topics.created", count=len(missing))
    except KafkaError as exc:
        log.warning("kafka_topics.unprepared", error=type(exc).__name__)
    finally:
        await admin.close()


async def partitions_of(bootstrap: str, names: Iterable[str]) -> list[TopicPartition] | None:
    """The partitions of those of ``names`` that exist, from the broker's metadata now; None
    when the broker cannot be asked. (A consumer's ``partitions_for_topic`` knows only topics
    it has fetched metadata for, and its ``topics()`` does not teach it.)"""
    found = await existing_partitions(bootstrap)
    if found is None:
        return None
    return [TopicPartition(name, p) for name in names if name in found
            for p in range(found[name])]
