"""Every topic of architecture.md, declared in one place with its key and partitioning.

Topics that one agent reads together (``adt.events`` + ``outreach.events`` + ``episodes.ticks``;
``outreach.commands`` + ``outreach.ticks`` + ``outreach.inbound``) are co-partitioned: the same
count and the same key, so
one patient's (or one phone's) records meet in one partition and one table shard.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

RAW = "hl7.adt.raw"
REJECTED = "hl7.adt.rejected"
EVENTS = "adt.events"
DEADLETTER = "adt.deadletter"
OUTREACH_COMMANDS = "outreach.commands"
OUTREACH_TICKS = "outreach.ticks"
OUTREACH_INBOUND = "outreach.inbound"
OUTREACH_EVENTS = "outreach.events"
EPISODE_TICKS = "episodes.ticks"
EPISODE_ACTIONS = "episodes.actions"
ALERTS = "care.alerts"

ALL = (RAW, REJECTED, EVENTS, DEADLETTER, OUTREACH_COMMANDS, OUTREACH_TICKS, OUTREACH_INBOUND,
       OUTREACH_EVENTS, EPISODE_TICKS, EPISODE_ACTIONS, ALERTS)


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

    @classmethod
    def declare(cls, app: faust.App, partitions: int) -> Topics:
        def topic(name: str) -> faust.TopicT:
            # JSON values (dicts), str keys; internal=True lets the worker create them with the
            # partition count the co-partitioning above needs.
            return app.topic(name, key_type=str, value_serializer="json",
                             partitions=partitions, internal=True)

        return cls(*(topic(name) for name in ALL))
