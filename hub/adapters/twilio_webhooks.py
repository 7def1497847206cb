"""Twilio webhooks at the edge: signature checks and turning form posts into plain records.

``X-Twilio-Signature`` is base64 HMAC-SHA1 with the auth token over the full public URL plus the
POST parameters sorted by name (MSG-6); ``RequestValidator`` computes it and compares in constant
time. The URL must be the one Twilio called, so behind a proxy the hub rebuilds it from
``HUB_PUBLIC_URL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twilio.request_validator import RequestValidator


class SignatureChecker:
    def __init__(self, auth_token: str, public_url: str | None):
        self._validator = RequestValidator(auth_token)
        self._public_url = public_url.rstrip("/") if public_url else None

    def url_for(self, raw_path_qs: str, origin: str) -> str:
        """The URL Twilio signed: the public URL (else the request's ``origin``, scheme and
        host) and the path and query exactly as they came on the request line. A decoded
        form would not do: the hub's callback URLs carry ``command_id=ep-1%3Astep``, and
        ``%3A`` read back as ``:`` no longer matches the signature."""
        return f"{self._public_url or origin.rstrip('/')}{raw_path_qs}"

    def valid(self, url: str, params: Mapping[str, str], signature: str | None) -> bool:
        if not signature:
            return False
        return bool(self._validator.validate(url, dict(params), signature))

    def sign(self, url: str, params: Mapping[str, str]) -> str:
        """What Twilio would send; used by the demo's simulated replies and by tests."""
        return str(self._validator.compute_signature(url, dict(params)))


def inbound_sms(form: Mapping[str, str]) -> dict[str, Any]:
    """An inbound SMS as the ``outreach.inbound`` record (keyed by the patient's phone)."""
    return {"kind": "sms_reply", "phone": form.get("From", ""), "body": form.get("Body", ""),
            "opt_out_type": form.get("OptOutType") or None, "provider_sid": form.get("MessageSid")}


def status_callback(form: Mapping[str, str], query: Mapping[str, str]) -> dict[str, Any]:
    """A message or call status callback (they may arrive out of order, MSG-6). The hub puts
    the command id in the callback URL, so even a send whose SID was never recorded is found."""
    code = form.get("ErrorCode")
    return {"kind": "status", "phone": form.get("To", ""),
            "provider_sid": form.get("MessageSid") or form.get("CallSid"),
            "channel": "voice" if form.get("CallSid") and not form.get("MessageSid") else "sms",
            "status": form.get("MessageStatus") or form.get("CallStatus") or "",
            "error_code": int(code) if code and code.isdigit() else None,
            "answered_by": form.get("AnsweredBy"), "command_id": query.get("command_id")}


def gather_result(form: Mapping[str, str], query: Mapping[str, str]) -> dict[str, Any]:
    """The keypress a patient gave on an outreach call (``<Gather>`` action)."""
    return {"kind": "call_reply", "phone": form.get("To", ""), "digits": form.get("Digits", ""),
            "provider_sid": form.get("CallSid"), "command_id": query.get("command_id"),
            "language": query.get("lang")}
