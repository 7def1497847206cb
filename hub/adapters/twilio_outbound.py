"""The real outbound adapter: the official ``twilio`` package's async client.

Twilio's errors are translated here, once, into ``ProviderError`` with the retriable flag of
tcm-rules MSG-6 (429/20429 and 5xx retriable; 21610, 21211, 21614, 21612, ... final). A request
that got no answer at all (timeout, connection reset) is a ``ProviderError`` with neither code nor
HTTP status; like a 5xx, Twilio may have the message, so the send path holds it in doubt and asks
Twilio (``find_sent``) before it sends again (``hub.domain.provider_failures.classify_failure``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from hub.adapters.outbound import CLOCK_SKEW, CallScript, ProviderError, Receipt
from hub.config import TwilioSettings

# twilio-python logs each request (URL, headers) at INFO; keep its loggers to warnings.
for _name in ("twilio.http_client", "twilio.async_http_client"):
    logging.getLogger(_name).setLevel(logging.WARNING)

T = TypeVar("T")
_NO_ANSWER = (aiohttp.ClientError, asyncio.TimeoutError, TwilioException)


class _RebasedHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]  # untyped vendor class
    """Sends every ``https://*.twilio.com/<path>`` request to ``api_url`` instead (a contract mock
    or an egress proxy). Rewriting per request, not ``client.api.base_url``, keeps working when
    TWILIO_REGION or TWILIO_EDGE is set."""

    def __init__(self, api_url: str, **kwargs: Any):
        super().__init__(**kwargs)
        self._base = urlsplit(api_url)

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        rebased = urlunsplit((self._base.scheme, self._base.netloc,
                              self._base.path.rstrip("/") + parts.path, parts.query, ""))
        return await super().request(method, rebased, *args, **kwargs)


class TwilioOutbound:
    def __init__(self, settings: TwilioSettings, *, timeout: float = 10.0):
        http: AsyncTwilioHttpClient = (
            _RebasedHttpClient(settings.api_url, timeout=timeout) if settings.api_url
            else AsyncTwilioHttpClient(timeout=timeout))
        self._http = http
        self._client = Client(settings.account_sid, settings.auth_token, http_client=http)
        self._sender: dict[str, str] = (
            {"messaging_service_sid": settings.messaging_service_sid}
            if settings.messaging_service_sid else {"from_": settings.from_number or ""})
        self._from_number = settings.from_number

    @property
    def last_response_text(self) -> str | None:
        """The raw text of the last reply (a contract mock puts its reasons there)."""
        response = getattr(self._http, "_test_only_last_response", None)
        return None if response is None else str(response.text)

    async def send_sms(self, to: str, body: str, *, status_callback: str | None) -> Receipt:
        extra: dict[str, Any] = {"status_callback": status_callback} if status_callback else {}
        # SmartEncoded: Twilio folds a stray curly quote or dash to GSM-7 (one segment, MSG-1)
        message = await _answered(self._client.messages.create_async(
            to=to, body=body, smart_encoded=True, **self._sender, **extra))
        return Receipt(str(message.sid), str(message.status))

    async def place_call(self, to: str, script: CallScript, *, status_callback: str | None
                         ) -> Receipt:
        extra: dict[str, Any] = {"status_callback": status_callback} if status_callback else {}
        if script.url:  # Twilio asks for the TwiML once it knows whether a person answered
            extra.update(url=script.url, machine_detection="DetectMessageEnd")
        else:
            extra["twiml"] = script.twiml
        call = await _answered(self._client.calls.create_async(
            to=to, from_=self._from_number or "", time_limit=script.time_limit, **extra))
        return Receipt(str(call.sid), str(call.status))

    async def find_sent(self, to: str, channel: str, body: str | None, since: datetime
                        ) -> Receipt | None:
        # Newest first, filtered here by creation time: a text still queued at Twilio has no
        # DateSent yet, so a DateSent> filter would miss exactly the send that is in doubt.
        after = since - CLOCK_SKEW  # the provider's clock is not ours
        listing = (self._client.messages.list_async(to=to, limit=50) if channel == "sms"
                   else self._client.calls.list_async(to=to, limit=50))
        found = next((item for item in await _answered(listing)
                      if item.date_created is not None and item.date_created >= after
                      and (channel != "sms" or (item.body or "") == body)), None)
        return Receipt(str(found.sid), str(found.status)) if found is not None else None

    async def close(self) -> None:
        await self._http.close()


async def _answered(request: Awaitable[T]) -> T:
    """The request's result, or its failure as a ``ProviderError`` (vendor errors stop here)."""
    try:
        return await request
    except TwilioRestException as exc:
        raise _translate(exc) from exc
    except _NO_ANSWER as exc:
        raise ProviderError(f"no answer from Twilio ({type(exc).__name__}): it may have the "
                            "request", provider_code=None, http_status=None,
                            retriable=False) from exc


def _translate(exc: TwilioRestException) -> ProviderError:
    status = exc.status
    code = exc.code if isinstance(exc.code, int) else None
    retriable = status == 429 or code == 20429 or (status is not None and status >= 500)
    return ProviderError(
        f"Twilio refused the request: HTTP {status}, code {code}",
        provider_code=code, http_status=status, retriable=retriable)
