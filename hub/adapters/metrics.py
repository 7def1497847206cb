"""What a worker counts, for Prometheus (``GET /metrics``, ``prometheus-client``'s text format).

Each worker counts only what it did itself; Prometheus scrapes every worker and sums with
``sum by (...)`` (the compose stack finds the workers by DNS). Counters are per process: a
restarted worker starts again at 0, which ``rate()`` and ``increase()`` read correctly.
A record handled twice after a crash (at-least-once, absorbed downstream) is counted twice.

No label carries PHI: facilities, codes, kinds, stages, topics and partitions only. Phone
numbers, patient keys and control ids never become labels (they are unbounded, and some are PHI).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from hub.hl7.mllp import FramingProblem

if TYPE_CHECKING:  # the listener's port (mllp_server imports this module's counters)
    from hub.adapters.mllp_server import Ingest

REGISTRY = CollectorRegistry(auto_describe=True)
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):  # memory, CPU, fds
    REGISTRY.register(_collector)
CONTENT_TYPE = CONTENT_TYPE_LATEST

ACKS = Counter("tcm_hl7_acks", "HL7 ACKs sent, by code (AA/AE/AR), sending facility and "
               "transport (mllp/http)", ["code", "facility", "transport"], registry=REGISTRY)
ACK_SECONDS = Histogram("tcm_hl7_ack_seconds", "From a whole message read to its ACK (the "
                        "broker's acks=all included)", ["transport"], registry=REGISTRY,
                        buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
FRAMING = Counter("tcm_mllp_framing_problems", "Bytes that did not frame as a message, by "
                  "kind (oversized, garbage, truncated)", ["kind"], registry=REGISTRY)
CONNECTIONS = Gauge("tcm_mllp_connections", "MLLP connections open now", registry=REGISTRY)
CONNECTIONS_REFUSED = Counter("tcm_mllp_connections_refused", "MLLP connections closed at once "
                              "because MLLP_MAX_CONNECTIONS were open", registry=REGISTRY)
NORMALIZED = Counter("tcm_normalize_outcomes", "Raw messages the normalize stage handled, by "
                     "outcome (event, duplicate, dead_letter) and sending facility",
                     ["outcome", "facility"], registry=REGISTRY)
DEAD_LETTERS = Counter("tcm_dead_letters", "Records dead-lettered, by stage and code",
                       ["stage", "code"], registry=REGISTRY)
EPISODES = Counter("tcm_episode_changes", "Episode changes, by kind (opened, voided, closed, "
                   "...) and facility", ["change", "facility"], registry=REGISTRY)
OUTREACH = Counter("tcm_outreach_results", "Results of Twilio requests and their callbacks, by "
                   "channel, status and Twilio error code", ["channel", "status", "error_code"],
                   registry=REGISTRY)
IN_DOUBT = Counter("tcm_outreach_in_doubt", "Sends left in doubt (5xx, timeout, a crash "
                   "mid-call), looked up at Twilio before any resend", registry=REGISTRY)
REQUEST_DELAY = Histogram(
    "tcm_outreach_request_delay_seconds",
    "From the moment a text or call could go (the discharge's receipt, or later when the plan or "
    "quiet hours said so) to its Twilio request", registry=REGISTRY,
    buckets=(.05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300, 900))
FIRST_REQUEST = Histogram(
    "tcm_discharge_to_first_request_seconds",
    "From the discharge (PV1-45, the welcome text's not-before) to the welcome text's Twilio "
    "request, when it could go at once (a discharge at night waits for 08:00 and is not in it); "
    "a feed that sends its A03s late shows here", registry=REGISTRY,
    buckets=(.25, .5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600))
SIGNATURE_FAILURES = Counter("tcm_webhook_signature_failures", "Webhook posts refused for a "
                             "missing or wrong X-Twilio-Signature, by path", ["path"],
                             registry=REGISTRY)
ALERTS = Counter("tcm_alerts", "Care-team alerts raised and cleared, by kind", ["change", "kind"],
                 registry=REGISTRY)
ALERT_DELIVERIES = Counter("tcm_alert_deliveries", "Alert notices sent, by channel and result "
                           "(delivered, retry, failed)", ["channel", "result"], registry=REGISTRY)
LAG = Gauge("tcm_consumer_lag", "Records waiting in a partition this worker holds (its end "
            "offset minus the committed one)", ["topic", "partition"], registry=REGISTRY)


MAX_FACILITIES = 200  # a label per sending facility, but a forged feed cannot grow it unbounded
_facilities: set[str] = set()


def facility_label(name: str | None) -> str:
    name = (name or "")[:40]
    if name in _facilities or len(_facilities) < MAX_FACILITIES:
        _facilities.add(name)
        return name
    return "other"


def count_episode_change(kind: str, event: str, facility: str) -> None:
    """The episodes stage's routine notices: an episode opened, voided or closed."""
    if kind.startswith("episode_") and event == "alert":
        EPISODES.labels(kind.removeprefix("episode_"), facility_label(facility)).inc()


def count_alert_action(action: str, kind: str) -> None:
    """The alerts stage's book: a care-team alert raised (the episodes' and its own: feed
    silence, failed deliveries) or cleared (resolved, or acknowledged for good)."""
    if action == "alert":
        ALERTS.labels("raised", kind).inc()
    elif action == "alert_cleared":
        ALERTS.labels("cleared", kind).inc()


def exposition() -> bytes:
    return generate_latest(REGISTRY)


def set_lag(lags: dict[tuple[str, int], int]) -> None:
    """The lag of the partitions held now; partitions that moved away disappear."""
    LAG.clear()
    for (topic, partition), behind in lags.items():
        LAG.labels(topic, str(partition)).set(max(0, behind))


@dataclass
class MeteredIngest:
    """The ingest port with its ACKs counted and timed, for the MLLP listener and POST /hl7."""

    inner: Ingest

    async def ingest(self, raw: bytes, *, transport: str, peer: str | None) -> Any:
        started = time.perf_counter()
        result = await self.inner.ingest(raw, transport=transport, peer=peer)
        ACK_SECONDS.labels(transport).observe(time.perf_counter() - started)
        ACKS.labels(result.ack_code, facility_label(result.facility), transport).inc()
        return result

    async def ingest_problem(self, problem: FramingProblem, *, transport: str,
                             peer: str | None) -> Any:
        FRAMING.labels(problem.kind).inc()
        result = await self.inner.ingest_problem(problem, transport=transport, peer=peer)
        if result is not None:
            ACKS.labels(result.ack_code, facility_label(result.facility), transport).inc()
        return result
