"""The real outbound adapter: the official ``twilio`` package's async client.

Twilio's errors are translated here, once, into ``ProviderError`` with the retriable flag of
tcm-rules MSG-6 (429/20429 and 5xx retriable; 21610, 21211, 21614, 21612, ... final).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from hub.adapters.outbound import ProviderError, Receipt
from hub.config import TwilioSettings

# twilio-python logs request parameters (To, Body) at INFO: that is PHI, keep it out of logs.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


class _RebasedHttpClient(AsyncTwilioHttpClient):
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
        try:
            message = await self._client.messages.create_async(
                to=to, body=body, **self._sender, **extra)
        except TwilioRestException as exc:
            raise _translate(exc) from exc
        return Receipt(str(message.sid), str(message.status))

    async def place_call(self, to: str, twiml: str, *, status_callback: str | None) -> Receipt:
        extra: dict[str, Any] = {"status_callback": status_callback} if status_callback else {}
        try:
            call = await self._client.calls.create_async(
                to=to, from_=self._from_number or "", twiml=twiml,
                machine_detection="DetectMessageEnd", **extra)
        except TwilioRestException as exc:
            raise _translate(exc) from exc
        return Receipt(str(call.sid), str(call.status))

    async def close(self) -> None:
        await self._http.close()


def _translate(exc: TwilioRestException) -> ProviderError:
    status = exc.status
    code = exc.code if isinstance(exc.code, int) else None
    retriable = status == 429 or code == 20429 or (status is not None and status >= 500)
    return ProviderError(
        f"Twilio refused the request: HTTP {status}, code {code}",
        provider_code=code, http_status=status, retriable=retriable)
