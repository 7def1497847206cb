"""The notify stage's deliveries: side by side, so a channel that hangs or is down never holds
up the others; each answer is a result the alerts stage acts on."""

from __future__ import annotations

import asyncio
from typing import Any

from agents.notify import deliver_all
from hub.adapters.alert_channels import ChannelFailure, RecordingChannel
from tests.unit.test_metrics import scraped


class Hanging:
    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def send(self, delivery: dict[str, Any], now: int) -> None:
        self.started.set()
        await asyncio.Event().wait()

    async def close(self) -> None:
        return None


def delivery(channel: str, n: int = 1) -> dict[str, Any]:
    return {"delivery_id": f"a/1/{channel}/{n}", "alert_id": "a", "attempt": 1,
            "channel": channel, "notice": {}}


class Noting(RecordingChannel):
    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()

    async def send(self, delivery: dict[str, Any], now: int) -> None:
        await super().send(delivery, now)
        self.arrived.set()


async def test_a_hanging_channel_does_not_hold_up_the_others() -> None:
    hanging, email = Hanging(), Noting()
    task = asyncio.create_task(deliver_all([delivery("webhook"), delivery("email")],
                                           {"webhook": hanging, "email": email}, 0, 3600))
    await hanging.started.wait()
    await email.arrived.wait()  # the email went while the webhook still hangs
    assert not task.done() and [d["channel"] for d in email.sent] == ["email"]
    task.cancel()


async def test_each_answer_is_a_result() -> None:
    """... and is counted for /metrics by channel and result."""
    counted = [("webhook", "failed"), ("email", "permanent"), ("sms", "sent"), ("fax", "permanent")]
    before = [scraped("tcm_alert_deliveries_total", channel=c, result=r) for c, r in counted]
    down = RecordingChannel(failing=ChannelFailure("connection refused"))
    refused = RecordingChannel(failing=ChannelFailure("HTTP 400", permanent=True))
    results = await deliver_all(
        [delivery("webhook"), delivery("email"), delivery("sms"), delivery("fax")],
        {"webhook": down, "email": refused, "sms": RecordingChannel()}, 0, 5)
    assert [(r["channel"], r["status"]) for r in results] == [
        ("webhook", "failed"), ("email", "permanent"), ("sms", "sent"), ("fax", "permanent")]
    assert "not configured" in str(results[3]["error"])
    assert [scraped("tcm_alert_deliveries_total", channel=c, result=r)
            for c, r in counted] == [n + 1 for n in before]


async def test_a_timeout_is_a_retriable_failure() -> None:
    [result] = await deliver_all([delivery("webhook")], {"webhook": Hanging()}, 0, 0.01)
    assert (result["status"], result["error"]) == ("failed", "timed out")
