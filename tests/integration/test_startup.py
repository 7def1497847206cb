"""A worker refuses to start on a broker whose topics break its co-partitioning, and says why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from hub.adapters.kafka_topics import existing_partitions, prepare_topics
from hub.errors import ConfigError
from tests.integration import servers
from tests.integration.worker import ACCOUNT_SID, AUTH_TOKEN

APP_ID = "tcm-hub-startup"


async def listed(kafka: servers.Kafka, names: list[str]) -> list[int]:
    """Partition counts once the broker's metadata lists every one of ``names`` (a topic just
    created may be missing from it for a moment)."""
    for _ in range(200):
        found = await existing_partitions(kafka.bootstrap) or {}
        if all(name in found for name in names):
            return [found[name] for name in names]
    raise AssertionError(f"{names} never all appeared in the broker's metadata")


async def test_a_changelog_with_another_partition_count_stops_the_worker(
        kafka: servers.Kafka, tmp_path: Path) -> None:
    """Co-partitioning: a changelog created with 1 partition while HUB_PARTITIONS=2 is a clear
    start-up error (exit 2) naming the topic, not a PartitionsMismatch on every record."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(f"{APP_ID}-episodes-changelog", 1, 1)])
    finally:
        await admin.close()
    changelog = f"{APP_ID}-episodes-changelog"
    assert await listed(kafka, [changelog]) == [1]
    env = {"PATH": "/usr/bin:/bin", "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
           "HUB_APP_ID": APP_ID, "HUB_PARTITIONS": "2", "HUB_DATA_DIR": str(tmp_path),
           "HUB_STORE": "memory://", "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
           "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM_NUMBER": "+16175550100",
           "HUB_PUBLIC_URL": "http://127.0.0.1:1", "HUB_CALLBACK_NUMBER": "+16175550100"}
    done = subprocess.run([sys.executable, "-m", "hub", "worker"], env=env, capture_output=True,
                          text=True, timeout=120, cwd=servers.REPO)
    assert done.returncode == 2, done.stderr[-3000:]
    assert f"{changelog} has 1 partition" in done.stderr
    assert "HUB_PARTITIONS is 2" in done.stderr


async def test_missing_topics_are_created_co_partitioned_and_a_mismatch_is_refused(
        kafka: servers.Kafka) -> None:
    """Co-partitioning: topics the hub only writes are created with HUB_PARTITIONS (not the
    broker's default on first write); a second start changes nothing; another count is refused."""
    names, app_id = ["startup.alerts", "startup.deadletter"], "tcm-hub-startup-fresh"
    await prepare_topics(kafka.bootstrap, names, app_id, partitions=2, replication=1)
    assert await listed(kafka, names) == [2, 2]
    await prepare_topics(kafka.bootstrap, names, app_id, partitions=2, replication=1)
    with pytest.raises(ConfigError, match=r"startup\.alerts has 2 partitions"):
        await prepare_topics(kafka.bootstrap, names, app_id, partitions=3, replication=1)


async def test_raw_topics_are_created_for_large_records_and_a_small_existing_one_is_named(
        kafka: servers.Kafka) -> None:
    """Nothing lost: a missing raw-bytes topic is created with max.message.bytes above the
    producer's largest request; one that already exists with Kafka's 1 MB default is left as it
    is and named in a warning with the command that fixes it."""
    import structlog
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    from hub.adapters.kafka_sink import MAX_REQUEST_BYTES

    old, new = "startup.raw.old", "startup.raw.new"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(old, 2, 1)])
        assert await listed(kafka, [old]) == [2]
        with structlog.testing.capture_logs() as logged:
            await prepare_topics(kafka.bootstrap, [old, new], "tcm-hub-startup-raw",
                                 partitions=2, replication=1, large_record_topics=[old, new])
        assert await listed(kafka, [new]) == [2]
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, new)])
        [(_error, _message, _type, _name, entries)] = response.resources
        limit = next(int(e[1]) for e in entries if e[0] == "max.message.bytes")
    finally:
        await admin.close()
    assert limit > MAX_REQUEST_BYTES
    [warning] = [e for e in logged if e["event"] == "kafka_topics.record_limit_too_small"]
    assert warning["topic"] == old and "--add-config max.message.bytes=" in warning["error"]


async def test_table_changelogs_are_created_compacted_before_any_stage_writes(
        kafka: servers.Kafka) -> None:
    """Co-partitioning: the tables' changelogs are created at start-up with HUB_PARTITIONS and
    compaction, as Faust makes them; left to the first write, a broker that auto-creates topics
    made one partition and every later write failed (PartitionsMismatch, the stage stuck)."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    from hub.topic_names import TABLES, changelogs

    app_id = "tcm-hub-startup-tables"
    names = changelogs(app_id)
    assert names == [f"{app_id}-{table}-changelog" for table in TABLES]
    await prepare_topics(kafka.bootstrap, ["startup.tables.alerts"], app_id, partitions=2,
                         replication=1, changelogs=names)
    assert await listed(kafka, names) == [2] * len(TABLES)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, names[0])])
    finally:
        await admin.close()
    [(_error, _message, _type, _name, entries)] = response.resources
    assert dict((e[0], e[1]) for e in entries)["cleanup.policy"] == "compact"
