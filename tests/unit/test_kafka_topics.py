"""The worker's start-up check of co-partitioned topics (architecture: co-partitioning)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hub.adapters.kafka_topics import partition_problems

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)

TOPICS = ("hl7.adt.raw", "adt.events")


def test_matching_and_foreign_topics_pass() -> None:
    """Topics with the expected count, and other applications' topics, are no problem."""
    found = {"hl7.adt.raw": 8, "adt.events": 8, "tcm-hub-episodes-changelog": 8,
             "billing.invoices": 3, "other-app-episodes-changelog": 1}
    assert partition_problems(found, TOPICS, "tcm-hub", 8) == []


def test_a_hub_topic_or_own_changelog_with_another_count_is_named() -> None:
    """A raw topic auto-created with 1 partition, or a changelog of this app with 2, is refused."""
    found = {"hl7.adt.raw": 1, "adt.events": 8, "tcm-hub-adt-seen-changelog": 2}
    assert partition_problems(found, TOPICS, "tcm-hub", 8) == [
        "hl7.adt.raw has 1 partition", "tcm-hub-adt-seen-changelog has 2 partitions"]


def test_topics_carrying_raw_bytes_take_records_as_large_as_the_producer_sends() -> None:
    """Nothing lost: hl7.adt.raw, hl7.adt.rejected and adt.deadletter are created with a
    max.message.bytes that holds the record of a full 1 MiB frame (base64 in JSON) and the
    producer's largest request; other topics keep the broker's default."""
    from hub.adapters.kafka_sink import MAX_REQUEST_BYTES
    from hub.adapters.kafka_topics import new_topics
    from hub.services.triage import Received, Triage, raw_record

    created = {t.name: t.topic_configs for t in new_topics(
        ["hl7.adt.raw", "hl7.adt.rejected", "adt.deadletter", "adt.events"], partitions=8,
        replication=1)}
    assert created["adt.events"] in (None, {})
    full_frame = raw_record(Received(b"M" * (1 << 20), "mllp", None, NOW), Triage(None, None))
    record_size = len(json.dumps(full_frame, separators=(",", ":")))
    for name in ("hl7.adt.raw", "hl7.adt.rejected", "adt.deadletter"):
        limit = int(created[name]["max.message.bytes"])
        assert limit > MAX_REQUEST_BYTES > record_size > 1_000_000
