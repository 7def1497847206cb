"""The stages' consumer waits on the broker at most ``HUB_FETCH_WAIT_MS`` for a fetch (issue 9
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
