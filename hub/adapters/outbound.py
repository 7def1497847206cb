"""The outbound port: hand a text or a call to the provider, and ask it whether a send whose
outcome was never recorded (a crash or a lost connection mid-call) reached it.

``RecordingOutbound`` is the in-memory fake used by unit tests and by ``hub demo`` (it sends
nothing and records what would have gone out); ``hub.adapters.twilio_outbound.TwilioOutbound`` is
the real one. The same contract suite runs against both (``tests/unit/test_outbound_contract.py``,
the real one against the Twilio stand-in on a socket); Prism checks the real requests' shape.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from hub.clock import Clock, SystemClock
from hub.errors import DeliveryError

# ``find_sent`` looks this far before ``since``: the provider's clock is not ours
CLOCK_SKEW = timedelta(minutes=1)


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


@dataclass(frozen=True)
class CallScript:
    """What a call plays. ``url``: Twilio fetches the TwiML there once answering-machine detection
    has decided, so a person hears the menu and a machine a callback message (MSG-6); without a
    public URL the inline ``twiml`` is all there is. ``time_limit`` holds MSG-1's one minute."""

    twiml: str
    url: str | None = None
    time_limit: int = 60


class Outbound(Protocol):
    async def send_sms(self, to: str, body: str, *, status_callback: str | None) -> Receipt: ...

    async def place_call(self, to: str, script: CallScript, *, status_callback: str | None
                         ) -> Receipt: ...

    async def find_sent(self, to: str, channel: str, body: str | None, since: datetime
                        ) -> Receipt | None:
        """A text (same body) or call to ``to`` the provider took since ``since``, if any."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Sent:
    channel: str
    to: str
    content: str
    sid: str
    at: datetime  # when the provider took it, by the fake's clock


@dataclass
class RecordingOutbound:
    """Records every request; can be told to fail the next requests with given provider codes.
    ``clock`` stamps each request as the provider would (the worker passes its own)."""

    sent: list[Sent] = field(default_factory=list)
    clock: Clock = field(default_factory=SystemClock)
    failures: list[ProviderError] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, error: ProviderError) -> None:
        self.failures.append(error)

    async def send_sms(self, to: str, body: str, *, status_callback: str | None) -> Receipt:
        return self._record("sms", to, body, "SM")

    async def place_call(self, to: str, script: CallScript, *, status_callback: str | None
                         ) -> Receipt:
        return self._record("voice", to, script.twiml, "CA")

    async def find_sent(self, to: str, channel: str, body: str | None, since: datetime
                        ) -> Receipt | None:
        after = since - CLOCK_SKEW
        match = next((s for s in reversed(self.sent)  # newest first, as Twilio lists them
                      if s.to == to and s.channel == channel and s.at >= after
                      and (channel != "sms" or s.content == body)), None)
        return Receipt(match.sid, "sent") if match else None

    async def close(self) -> None:
        return None

    def _record(self, channel: str, to: str, content: str, prefix: str) -> Receipt:
        if self.failures:
            raise self.failures.pop(0)
        sid = f"{prefix}{next(self._ids):032x}"
        self.sent.append(Sent(channel, to, content, sid, self.clock.now()))
        return Receipt(sid, "queued")
