"""A provider's refusal, read (MSG-6): which Twilio codes are final, which are worth a retry
and when, which let a call try where a text cannot go. Pure; the ledger records the outcome
(``hub.domain.phone.ledger.mark_failed``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class FailureKind(StrEnum):
    OPTED_OUT = "opted_out"  # 21610: blocked until START
    INVALID_NUMBER = "invalid_number"  # 21211
    NOT_SMS_CAPABLE = "not_sms_capable"  # 21614: a landline, a call may reach it
    UNROUTABLE = "unroutable"  # 21612
    UNREACHABLE = "unreachable"  # 30003 handset off / 30006 landline: final for SMS
    REJECTED = "rejected"  # any other refusal from the provider: final
    RETRIABLE = "retriable"  # 20429, HTTP 429: back off and retry
    RETRIES_EXHAUSTED = "retries_exhausted"
    UNKNOWN = "unknown"  # no answer, or a 5xx: the provider may have it (in doubt, looked up)


FINAL_CODES = {21211: FailureKind.INVALID_NUMBER, 21614: FailureKind.NOT_SMS_CAPABLE,
               21612: FailureKind.UNROUTABLE, 30003: FailureKind.UNREACHABLE,
               30006: FailureKind.UNREACHABLE, 21610: FailureKind.OPTED_OUT}
VOICE_FALLBACK = frozenset({FailureKind.NOT_SMS_CAPABLE, FailureKind.UNREACHABLE})


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    reason: str  # kind and code, for the outreach event (never PHI)
    final: bool  # this command will not be tried again
    retry_at: datetime | None = None
    voice_fallback: bool = False  # an SMS the number cannot take: a call may still reach it


def classify_failure(error_code: int | None, http_status: int | None = None) -> FailureKind:
    """MSG-6: which provider errors are final, which are worth a retry."""
    if error_code in FINAL_CODES:
        return FINAL_CODES[error_code]
    if error_code in (20429, 429) or http_status == 429:
        return FailureKind.RETRIABLE  # refused before anything was created: back off, retry
    if (error_code is None and http_status is None) or (http_status or 0) >= 500:
        return FailureKind.UNKNOWN  # a timeout or a 5xx: Twilio may have created it (in doubt)
    return FailureKind.REJECTED


def backoff(attempt: int, jitter: float = 0.0, *, base: timedelta = timedelta(seconds=30),
            cap: timedelta = timedelta(minutes=30)) -> timedelta:
    """Exponential from ``base``, never above ``cap``; ``jitter`` in [0, 1] comes from the
    caller (random in production, fixed in tests) and stretches the delay by up to 100 %."""
    if not 0.0 <= jitter <= 1.0:
        raise ValueError("jitter is a fraction in [0, 1]")
    doublings = min(max(attempt - 1, 0), 30)  # bounded: timedelta overflows long before 2**64
    delay: timedelta = base * (1 << doublings) * (1 + jitter)
    return min(delay, cap)


