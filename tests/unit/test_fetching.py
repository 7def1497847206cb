"""The stages' consumer: it waits on the broker at most ``HUB_FETCH_WAIT_MS`` for a fetch (issue 9
speed: a record must not wait behind a long poll for idle partitions)."""

from __future__ import annotations

from pathlib import Path

from agents.app import create_app
from hub.config import Settings


async def test_the_worker_consumer_asks_the_broker_to_wait_at_most_the_setting(
        tmp_path: Path) -> None:
    for wait in (100, 40):  # the default, then a setting: each app's consumer takes its own
        settings = Settings.from_env({"HUB_STORE": "memory://", "HUB_DATA_DIR": str(tmp_path),
                                      **({} if wait == 100 else {"HUB_FETCH_WAIT_MS": "40"})})
        app = create_app(settings)
        thread = app.consumer._thread  # type: ignore[attr-defined]
        consumer = thread._create_worker_consumer(app.transport)
        # what AIOKafkaConsumer.start() hands its fetcher; Faust's own value is 1,500 ms
        assert consumer._fetch_max_wait_ms == wait


def test_the_group_notices_a_dead_worker_after_its_session_timeout_of_seconds(
        tmp_path: Path) -> None:
    """A SIGKILLed worker's partitions move once its session times out: 10 s by default
    (twice HUB_REBALANCE_TIMEOUT), with a heartbeat every second; Faust's own is 60 s."""
    app = create_app(Settings.from_env({"HUB_STORE": "memory://", "HUB_DATA_DIR": str(tmp_path)}))
    assert app.conf.broker_session_timeout == 10.0
    assert app.conf.broker_rebalance_timeout == 5.0
    assert app.conf.broker_heartbeat_interval == 1.0


def test_warm_table_copies_are_a_setting_one_by_default(tmp_path: Path) -> None:
    """A group keeps one warm copy of each table partition on another worker unless told
    otherwise (HUB_STANDBY_REPLICAS: fast failover against CPU a text)."""
    base = {"HUB_STORE": "memory://", "HUB_DATA_DIR": str(tmp_path)}
    assert create_app(Settings.from_env(base)).conf.table_standby_replicas == 1
    none = create_app(Settings.from_env({**base, "HUB_STANDBY_REPLICAS": "0"}))
    assert none.conf.table_standby_replicas == 0
