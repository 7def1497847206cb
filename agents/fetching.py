"""How long a worker's fetch may wait on the broker: a stage's record must not wait behind an
idle partition.

aiokafka keeps one fetch in flight per broker, and it leaves out every partition whose records
the stages have not consumed yet. When those are consumed, their next records can only be asked
for once the fetch in flight returns, and a fetch for partitions with nothing new waits on the
broker until ``fetch_max_wait_ms`` (Faust fixes it at 1,500 ms). With all stage topics on one
broker, a burst of discharges then stood still for a second at a time while records waited
(issue 9: ``hub bench --pipeline``, idle CPU in the capacity phase). A short wait costs a few
empty fetches a second on an idle worker.
"""

from __future__ import annotations

from typing import Any

from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

_PATCHED = "_hub_fetch_wait"


def wait_at_most(milliseconds: int) -> None:
    """Cap the broker-side wait of the stages' consumer (once per process; the last call wins)."""
    if not hasattr(AIOKafkaConsumerThread, _PATCHED):
        create = AIOKafkaConsumerThread._create_worker_consumer

        def created(self: AIOKafkaConsumerThread, transport: Any) -> Any:
            consumer = create(self, transport)
            # read by AIOKafkaConsumer.start() when it builds its fetcher
            consumer._fetch_max_wait_ms = getattr(AIOKafkaConsumerThread, _PATCHED)
            return consumer

        AIOKafkaConsumerThread._create_worker_consumer = created  # type: ignore[method-assign]
    setattr(AIOKafkaConsumerThread, _PATCHED, milliseconds)
