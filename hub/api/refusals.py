"""Every refusal the care-team API answers, as one JSON shape: ``{"error": reason, "code": id}``.

``RuleViolation`` (the TCM rules refuse an action) already carries its status; ``ApiRefusal`` is
the rest: authentication, an unknown patient, a bad query, a worker that did not answer.
"""

from __future__ import annotations

import hmac
from typing import Any

from hub.errors import HubError


class ApiRefusal(HubError):
    """An HTTP refusal: ``status`` is the answer, ``code`` the stable id a client tests."""

    def __init__(self, message: str, *, code: str, status: int, retriable: bool = False):
        super().__init__(message, code=code, retriable=retriable)
        self.status = status


def error_body(error: HubError) -> dict[str, Any]:
    return {"error": error.message, "code": error.code}


def check_bearer(header: str | None, token: str, internal: str = "", *,
                 off: tuple[str, str] = ("the care-team API is off: set HUB_API_TOKEN",
                                         "api_off")) -> None:
    """401 without a usable token (or with the door switched off: ``off`` is its reason and
    code), 403 with a wrong one. ``internal``: the token the worklist's pages use between
    workers (from the session secret), accepted even when the systems' API token is unset."""
    if not token and not internal:
        raise ApiRefusal(off[0], code=off[1], status=401)
    if not header or not header.startswith("Bearer "):
        raise ApiRefusal("missing bearer token", code="missing_token", status=401)
    given = header[7:].encode()
    if not any(t and hmac.compare_digest(given, t.encode()) for t in (token, internal)):
        raise ApiRefusal("invalid bearer token", code="invalid_token", status=403)


HL7_HTTP_OFF = ("HL7 over HTTP is off: set HUB_HL7_HTTP_TOKEN (or send over MLLP)",
                "hl7_http_off")


def not_found(key: str) -> ApiRefusal:
    # the key is the caller's own input; the hub logs never carry it (PHI)
    return ApiRefusal(f"no patient {key!r}", code="no_patient", status=404)
