"""The webhook channel's signature, as a receiver verifies it (README, "Alert webhooks").

Each request carries ``X-TCM-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is
HMAC-SHA256 over ``<t>.<body bytes>`` with the team's secret, and ``X-TCM-Delivery``, the
delivery's id (the same on every retry: the receiver drops a second one). A receiver recomputes
the HMAC, compares in constant time and refuses a timestamp older than five minutes, so a
captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER, DELIVERY_HEADER = "X-TCM-Signature", "X-TCM-Delivery"
TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is fresh at ``now``."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (ValueError, KeyError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)
