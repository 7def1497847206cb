"""The alert channels behind one interface (``AlertChannel.send``): a JSON webhook signed with
HMAC-SHA256 (``hub.domain.alerts.signature``; a chat tool's incoming webhook reads its ``text``)
and email over SMTP with STARTTLS. SMS goes through outreach, the same Twilio path and send
ledger as the patients' texts. ``RecordingChannel`` is the in-memory fake the unit tests and
the dry run use; the same contract suite runs against each (tests/unit/test_alert_channels.py).

A send either returns (the peer took it) or raises ``ChannelFailure``: ``permanent`` when
trying again cannot help (a 4xx, a refused recipient), else it is retried with backoff by the
alerts stage. Nothing here waits longer than ``timeout``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

import aiohttp
import aiosmtplib

from hub.config import SmtpSettings
from hub.domain.alerts.notice import email_subject
from hub.domain.alerts.signature import DELIVERY_HEADER, HEADER, sign

RETRIABLE_HTTP = frozenset({408, 425, 429})


class ChannelFailure(Exception):
    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent


class AlertChannel(Protocol):
    async def send(self, delivery: dict[str, Any], now: int) -> None:
        """Deliver ``delivery`` (``hub.domain.alerts.lifecycle``); ``now``: POSIX seconds."""

    async def close(self) -> None: ...


class WebhookChannel:
    """POST the notice as JSON, signed with the team's secret (never on the topic)."""

    def __init__(self, secrets: Mapping[str, str], *, timeout: float = 10.0):
        self._secrets, self._timeout = dict(secrets), aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def send(self, delivery: dict[str, Any], now: int) -> None:
        secret = self._secrets.get(delivery["team"])
        if not secret:
            raise ChannelFailure(f"no webhook secret for team {delivery['team']}",
                                 permanent=True)
        body = json.dumps(delivery["notice"], sort_keys=True).encode()
        headers = {"Content-Type": "application/json", HEADER: sign(secret, body, now),
                   DELIVERY_HEADER: delivery["delivery_id"]}
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(delivery["address"], data=body,
                                          headers=headers) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise ChannelFailure(f"webhook unreachable: {type(exc).__name__}") from None
        if status >= 300:
            raise ChannelFailure(f"webhook answered HTTP {status}",
                                 permanent=400 <= status < 500 and status not in RETRIABLE_HTTP)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class EmailChannel:
    def __init__(self, smtp: SmtpSettings, *, timeout: float = 10.0):
        self._smtp, self._timeout = smtp, timeout

    async def send(self, delivery: dict[str, Any], now: int) -> None:
        notice = delivery["notice"]
        message = EmailMessage()
        message["From"] = self._smtp.sender
        message["To"] = delivery["address"]
        message["Subject"] = email_subject(notice)
        # the delivery id, the same on every retry: a mail system can drop the second
        digest = hashlib.sha256(delivery["delivery_id"].encode()).hexdigest()[:32]
        message["Message-ID"] = f"<{digest}@tcm-hub>"
        message[DELIVERY_HEADER] = delivery["delivery_id"]
        message.set_content(notice["text"] + "\n\n" + json.dumps(notice, indent=2,
                                                                 sort_keys=True))
        try:
            await aiosmtplib.send(
                message, hostname=self._smtp.host, port=self._smtp.port,
                username=self._smtp.username, password=self._smtp.password,
                start_tls=self._smtp.starttls, tls_context=self._smtp.tls_context,
                timeout=self._timeout)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise ChannelFailure("every recipient was refused", permanent=True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise ChannelFailure(f"SMTP answered {exc.code}",
                                 permanent=500 <= exc.code < 600) from None
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            raise ChannelFailure(f"SMTP unreachable: {type(exc).__name__}") from None

    async def close(self) -> None:
        return None


@dataclass
class RecordingChannel:
    """The in-memory fake: keeps what it was given; ``failing`` makes it refuse."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    failing: ChannelFailure | None = None

    async def send(self, delivery: dict[str, Any], now: int) -> None:
        if self.failing is not None:
            raise self.failing
        self.sent.append(delivery)

    async def close(self) -> None:
        return None
