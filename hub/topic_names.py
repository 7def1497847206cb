"""The names of the hub's Kafka topics (architecture.md), and the record size its raw-bytes
topics take: one place for the stages (``agents.topics``), the ingest service, the tools that
read the topics back (replay, demo) and the start-up check that creates them."""

from __future__ import annotations

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
ALERT_ACTIONS = "alerts.actions"  # acknowledgements from the care-team API
ALERT_TICKS = "alerts.ticks"
ALERT_RESULTS = "alerts.results"  # what each channel did with a delivery
ALERT_DELIVERIES = "alerts.deliveries"  # webhook and email notifications to make
FEEDS_SEEN = "feeds.seen"  # a facility's feed was heard (feed silence)
ACCESS_LOG = "access.log"  # who viewed or changed which patient, when (HIPAA audit controls)
USERS = "hub.users"  # care-team accounts (compacted; written by ``hub users``)

ALL = (RAW, REJECTED, EVENTS, DEADLETTER, OUTREACH_COMMANDS, OUTREACH_TICKS, OUTREACH_INBOUND,
       OUTREACH_EVENTS, EPISODE_TICKS, EPISODE_ACTIONS, ALERTS, ALERT_ACTIONS, ALERT_TICKS,
       ALERT_RESULTS, ALERT_DELIVERIES, FEEDS_SEEN, ACCESS_LOG)
# what the stages read: a committed offset on these means "handled" (agents.offsets)
STAGE_INPUTS = frozenset({RAW, EVENTS, OUTREACH_EVENTS, EPISODE_TICKS, EPISODE_ACTIONS,
                          OUTREACH_COMMANDS, OUTREACH_TICKS, OUTREACH_INBOUND, ALERTS,
                          ALERT_ACTIONS, ALERT_TICKS, ALERT_RESULTS, ALERT_DELIVERIES,
                          FEEDS_SEEN})
RAW_BYTES = (RAW, REJECTED, DEADLETTER)  # their records carry a message's exact bytes
# the stages' tables; each has a changelog topic "<HUB_APP_ID>-<table>-changelog"
TABLES = ("adt-seen", "episodes", "episodes-due", "phones", "alerts")


def changelogs(app_id: str) -> list[str]:
    return [f"{app_id}-{table}-changelog" for table in TABLES]

# The largest record the hub writes. A raw record carries its message base64-encoded in JSON
# (about 4/3 of the bytes), so the listener's default 1 MiB frame is a record of about 1.4 MB:
# over Kafka's 1 MB default, which is why the raw-bytes topics are created with this limit.
MAX_RECORD_BYTES = 8 << 20
# The largest frame that still fits: 3/4 of the record, less 1 MiB for receipt metadata and JSON.
MAX_FRAME_BYTES = MAX_RECORD_BYTES * 3 // 4 - (1 << 20)
