"""Stage **ingest**: the MLLP listener runs inside the worker and writes to ``hl7.adt.raw`` with
its own idempotent ``acks=all`` producer, so an ACK AA always means "on the broker"."""

from __future__ import annotations

from typing import Any

import faust
from mode import Service

from hub.adapters.kafka_sink import KafkaSink
from hub.adapters.mllp_server import MllpServer
from hub.clock import Clock
from hub.config import Settings
from hub.ingestor import Ingestor


def register(app: faust.App, settings: Settings, clock: Clock) -> None:
    class MllpIngest(Service):
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.sink = KafkaSink(settings.kafka_bootstrap)
            self.server = MllpServer(Ingestor(self.sink, clock), max_frame=settings.mllp_max_frame)

        async def on_start(self) -> None:
            await self.sink.start()
            await self.server.start(settings.mllp_host, settings.mllp_port)

        async def on_stop(self) -> None:
            await self.server.stop()
            await self.sink.stop()

    app.service(MllpIngest)
