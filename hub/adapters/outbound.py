"""The outbound port: hand a text or a call to the provider.

``RecordingOutbound`` is the in-memory fake used by unit tests and by ``hub demo`` (it sends
nothing and records what would have gone out); ``hub.adapters.twilio_outbound.TwilioOutbound`` is
the real one. The same contract tests run against both.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Protocol

from hub.errors import DeliveryError


@dataclass(frozen=True)
class Receipt:
    """What the provider said when it took the message: its id and first status."""

    sid: str
    status: str


class ProviderError(DeliveryError):
    """The provider refused or failed a request. ``provider_code`` is Twilio's error code
    (21610, 21211, 20429, ...) when it gave one; ``retriable`` says whether backing off can help."""

    def __init__(self, message: str, *, provider_code: int | None, http_status: int | None,
                 retriable: bool):
        super().__init__(message, code="provider_error", retriable=retriable)
        self.provider_code = provider_code
        self.http_status = http_status


class Outbound(Protocol):
    async def send_sms(self, to: str, body: str, *, status_callback: str | None) -> Receipt: ...

    async def place_call(self, to: str, twiml: str, *, status_callback: str | None) -> Receipt: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Sent:
    channel: str
    to: str
    content: str
    sid: str


@dataclass
class RecordingOutbound:
    """Records every request; can be told to fail the next requests with given provider codes."""

    sent: list[Sent] = field(default_factory=list)
    failures: list[ProviderError] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, error: ProviderError) -> None:
        self.failures.append(error)

    async def send_sms(self, to: str, body: str, *, status_callback: str | None) -> Receipt:
        return self._record("sms", to, body, "SM")

    async def place_call(self, to: str, twiml: str, *, status_callback: str | None) -> Receipt:
        return self._record("voice", to, twiml, "CA")

    async def close(self) -> None:
        return None

    def _record(self, channel: str, to: str, content: str, prefix: str) -> Receipt:
        if self.failures:
            raise self.failures.pop(0)
        sid = f"{prefix}{next(self._ids):032x}"
        self.sent.append(Sent(channel, to, content, sid))
        return Receipt(sid, "queued")
