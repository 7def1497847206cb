"""Every topic of architecture.md, declared in one place with its key and partitioning.

Topics that one agent reads together (``adt.events`` + ``outreach.events`` + ``episodes.ticks``;
``outreach.commands`` + ``outreach.ticks`` + ``outreach.inbound``) are co-partitioned: the same
count and the same key, so one patient's (or one phone's) records meet in one partition and
one table shard. The names themselves are in ``hub.topic_names``.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

from hub.topic_names import (
    ACCESS_LOG,
    ALERT_ACTIONS,
    ALERT_DELIVERIES,
    ALERT_RESULTS,
    ALERT_TICKS,
    ALERTS,
    ALL,
    DEADLETTER,
    EPISODE_ACTIONS,
    EPISODE_TICKS,
    EVENTS,
    FEEDS_SEEN,
    OUTREACH_COMMANDS,
    OUTREACH_EVENTS,
    OUTREACH_INBOUND,
    OUTREACH_TICKS,
    RAW,
    REJECTED,
)

__all__ = [
    "ACCESS_LOG",
    "ALERTS",
    "ALERT_ACTIONS",
    "ALERT_DELIVERIES",
    "ALERT_RESULTS",
    "ALERT_TICKS",
    "ALL",
    "DEADLETTER",
    "EPISODE_ACTIONS",
    "EPISODE_TICKS",
    "EVENTS",
    "FEEDS_SEEN",
    "OUTREACH_COMMANDS",
    "OUTREACH_EVENTS",
    "OUTREACH_INBOUND",
    "OUTREACH_TICKS",
    "RAW",
    "REJECTED",
    "Topics",
]


@dataclass(frozen=True)
class Topics:
    raw: faust.TopicT
    rejected: faust.TopicT
    events: faust.TopicT
    deadletter: faust.TopicT
    outreach_commands: faust.TopicT
    outreach_ticks: faust.TopicT
    outreach_inbound: faust.TopicT
    outreach_events: faust.TopicT
    episode_ticks: faust.TopicT
    episode_actions: faust.TopicT
    alerts: faust.TopicT
    alert_actions: faust.TopicT
    alert_ticks: faust.TopicT
    alert_results: faust.TopicT
    alert_deliveries: faust.TopicT
    feeds_seen: faust.TopicT
    access_log: faust.TopicT

    @classmethod
    def declare(cls, app: faust.App, partitions: int) -> Topics:
        def topic(name: str) -> faust.TopicT:
            # JSON values (dicts), str keys; internal=True lets the worker create them with the
            # partition count the co-partitioning above needs.
            return app.topic(name, key_type=str, value_serializer="json",
                             partitions=partitions, internal=True)

        return cls(*(topic(name) for name in ALL))
