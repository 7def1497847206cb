"""The worker's start-up check of co-partitioned topics (architecture: co-partitioning)."""

from __future__ import annotations

from hub.adapters.kafka_topics import partition_problems

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
