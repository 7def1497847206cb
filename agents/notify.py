"""Stage **notify**: makes the webhook and email deliveries the alerts stage asked for, through
the channel adapters (``hub.adapters.alert_channels``), and reports each result on
``alerts.results``. A batch's deliveries go out side by side, each within the channel's
timeout, so a channel that is down or hangs never holds up the others; retries with backoff
are the alerts stage's (a failed result comes back, it asks again later)."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
from mode import Service

from agents.batches import Batch, batches_of
from agents.topics import ALERT_DELIVERIES, Topics
from hub.adapters import metrics
from hub.adapters.alert_channels import AlertChannel, ChannelFailure
from hub.clock import Clock
from hub.config import Settings
from hub.logs import get_logger

log = get_logger("agents.notify")


def default_channels(settings: Settings) -> dict[str, AlertChannel]:
    from hub.adapters.alert_channels import EmailChannel, WebhookChannel

    channels: dict[str, AlertChannel] = {}
    secrets = {t.name: t.webhook_secret for t in settings.routing.teams.values()
               if t.webhook_secret}
    if secrets:
        channels["webhook"] = WebhookChannel(secrets, timeout=settings.alert_channel_timeout)
    if settings.smtp is not None:
        channels["email"] = EmailChannel(settings.smtp, timeout=settings.alert_channel_timeout)
    return channels


def register(app: faust.App, topics: Topics, settings: Settings, clock: Clock,
             channels: dict[str, AlertChannel] | None) -> None:
    source = app.topic(ALERT_DELIVERIES, key_type=str, value_serializer="json",
                       partitions=settings.partitions, internal=True)
    made: dict[str, dict[str, AlertChannel]] = {}

    def ports() -> dict[str, AlertChannel]:
        if "channels" not in made:  # inside the running loop (aiohttp sessions must be)
            made["channels"] = channels if channels is not None else default_channels(settings)
        return made["channels"]

    class ChannelSessions(Service):
        async def on_stop(self) -> None:
            for channel in made.pop("channels", {}).values():
                await channel.close()

    app.service(ChannelSessions)

    @app.agent(source, name="notify")
    async def notify_stage(stream: faust.StreamT[Any]) -> None:
        async for events in batches_of(stream):
            results = await deliver_all([event.value for event in events], ports(),
                                        int(clock.now().timestamp()),
                                        settings.alert_channel_timeout + 1)
            batch = Batch()
            for event, result in zip(events, results, strict=True):
                batch.emit(topics.alert_results, event.key, result)
            await batch.commit()


async def deliver_all(deliveries: list[dict[str, Any]], channels: dict[str, AlertChannel],
                      now: int, timeout: float) -> list[dict[str, Any]]:
    """Every delivery at once, each within ``timeout``: one result per delivery, in order."""
    return list(await asyncio.gather(*(_send(d, channels, now, timeout) for d in deliveries)))


async def _send(delivery: dict[str, Any], channels: dict[str, AlertChannel], now: int,
                timeout: float) -> dict[str, Any]:
    result = {"delivery_id": delivery["delivery_id"], "alert_id": delivery["alert_id"],
              "attempt": delivery["attempt"], "channel": delivery["channel"],
              "status": "sent", "error": None}
    channel = channels.get(delivery["channel"])
    try:
        if channel is None:
            raise ChannelFailure(f"the {delivery['channel']} channel is not configured",
                                 permanent=True)
        await asyncio.wait_for(channel.send(delivery, now), timeout)
    except ChannelFailure as failure:
        result.update(status="permanent" if failure.permanent else "failed",
                      error=str(failure))
    except TimeoutError:
        result.update(status="failed", error="timed out")
    except Exception as exc:  # one channel's bug must not stop the others
        log.exception("notify.internal_error", channel=delivery["channel"])
        result.update(status="failed", error=type(exc).__name__)
    log.info("notify.result", alert_id=delivery["alert_id"], channel=delivery["channel"],
             status=result["status"], attempt=delivery["attempt"])
    metrics.ALERT_DELIVERIES.labels(str(delivery["channel"])[:20], result["status"]).inc()
    return result
