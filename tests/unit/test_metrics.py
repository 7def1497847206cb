"""Issue 13: what a worker counts for Prometheus, read back with prometheus_client's own parser
(the exposition a scrape gets), over the ingest service and its in-memory broker fake."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.adapters import metrics
from hub.clock import FixedClock
from hub.hl7.mllp import FramingProblem
from hub.services.ingest import Ingestor, MemorySink
from tests.unit.test_ingestor import A03

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def scraped(name: str, **labels: str) -> float:
    """The sample's value; 0 when the registry has none (a counter not yet counted)."""
    found = sample(name, **labels)
    return 0.0 if found is None else found


def sample(name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for one in family.samples:
            if one.name == name and one.labels == labels:
                return float(one.value)
    return None


async def test_acks_are_counted_by_code_facility_and_transport_and_timed() -> None:
    before = {code: scraped("tcm_hl7_acks_total", code=code, facility="GEN", transport="mllp")
              for code in ("AA", "AR")}
    timed = scraped("tcm_hl7_ack_seconds_count", transport="mllp")
    up = metrics.MeteredIngest(Ingestor(MemorySink([]), FixedClock(NOW)))
    down = metrics.MeteredIngest(Ingestor(MemorySink([], down=True), FixedClock(NOW)))
    assert (await up.ingest(A03, transport="mllp", peer=None)).ack_code == "AA"
    assert (await down.ingest(A03, transport="mllp", peer=None)).ack_code == "AR"
    assert scraped("tcm_hl7_acks_total", code="AA", facility="GEN",
                   transport="mllp") == before["AA"] + 1
    assert scraped("tcm_hl7_acks_total", code="AR", facility="GEN",
                   transport="mllp") == before["AR"] + 1
    assert scraped("tcm_hl7_ack_seconds_count", transport="mllp") == timed + 2


async def test_framing_problems_are_counted_by_kind() -> None:
    before = scraped("tcm_mllp_framing_problems_total", kind="garbage_before_start")
    ingest = metrics.MeteredIngest(Ingestor(MemorySink([]), FixedClock(NOW)))
    problem = FramingProblem("garbage_before_start", "bytes before a frame", b"xyz")
    assert await ingest.ingest_problem(problem, transport="mllp", peer=None) is None
    assert scraped("tcm_mllp_framing_problems_total", kind="garbage_before_start") == before + 1


def test_a_forged_feed_cannot_grow_the_facility_labels_without_bound(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_facilities", set())  # this process's other tests keep theirs
    for n in range(metrics.MAX_FACILITIES + 50):
        metrics.facility_label(f"FORGED{n}")
    assert len({metrics.facility_label(f"FORGED{n}")
                for n in range(metrics.MAX_FACILITIES + 50)}) <= metrics.MAX_FACILITIES + 1
    assert metrics.facility_label("NEVER-SEEN-BEFORE") == "other"


def test_alerts_and_episode_changes_are_counted_once_each() -> None:
    raised = scraped("tcm_alerts_total", change="raised", kind="feed_silence")
    cleared = scraped("tcm_alerts_total", change="cleared", kind="feed_silence")
    opened = scraped("tcm_episode_changes_total", change="opened", facility="GEN")
    metrics.count_alert_action("alert", "feed_silence")
    metrics.count_alert_action("alert_notified", "feed_silence")  # not a raise
    metrics.count_alert_action("alert_cleared", "feed_silence")
    metrics.count_episode_change("episode_opened", "alert", "GEN")
    metrics.count_episode_change("urgent_reply", "alert", "GEN")  # an alert, not a change
    assert scraped("tcm_alerts_total", change="raised", kind="feed_silence") == raised + 1
    assert scraped("tcm_alerts_total", change="cleared", kind="feed_silence") == cleared + 1
    assert scraped("tcm_episode_changes_total", change="opened", facility="GEN") == opened + 1


def test_lag_shows_only_the_partitions_held_now() -> None:
    metrics.set_lag({("hl7.adt.raw", 0): 5, ("adt.events", 1): -2})
    assert scraped("tcm_consumer_lag", topic="hl7.adt.raw", partition="0") == 5
    assert sample("tcm_consumer_lag", topic="adt.events", partition="1") == 0  # not -2
    metrics.set_lag({("adt.events", 1): 3})
    assert sample("tcm_consumer_lag", topic="hl7.adt.raw", partition="0") is None  # moved away
    assert scraped("tcm_consumer_lag", topic="adt.events", partition="1") == 3
