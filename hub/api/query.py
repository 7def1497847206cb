"""Query parameters shared by the list endpoints, checked once (422 ``bad_query``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from hub.api.refusals import ApiRefusal
from hub.clock import OFFSET_EXAMPLE

DEFAULT_LIMIT, MAX_LIMIT = 100, 10_000


def bad_query(message: str) -> ApiRefusal:
    return ApiRefusal(message, code="bad_query", status=422)


def limit(query: Mapping[str, str]) -> int:
    raw = query.get("limit") or str(DEFAULT_LIMIT)
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise bad_query(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def choices(query: Mapping[str, str], name: str, allowed: frozenset[str],
            default: frozenset[str]) -> frozenset[str]:
    """A comma-separated subset of ``allowed``; ``any`` means all of them."""
    raw = query.get(name)
    if not raw:
        return default
    if raw == "any":
        return allowed
    chosen = frozenset(part.strip() for part in raw.split(",") if part.strip())
    if not chosen or chosen - allowed:
        raise bad_query(f"{name} must be 'any' or a comma-separated list of {sorted(allowed)}")
    return chosen


WITH_OFFSET = f"e.g. {OFFSET_EXAMPLE}; in a URL write + as %2B"


def moment(query: Mapping[str, str], name: str) -> date | datetime | None:
    """An ISO date (the whole day, facility-local) or an ISO time with offset."""
    raw = query.get(name)
    if not raw:
        return None
    try:
        value: date | datetime = (date.fromisoformat(raw) if len(raw) == 10
                                  else datetime.fromisoformat(raw))
    except ValueError:
        raise bad_query(f"{name} must be an ISO date (2026-11-25) or an ISO time with its "
                        f"offset ({WITH_OFFSET})") from None
    if isinstance(value, datetime) and value.tzinfo is None:
        raise bad_query(f"{name} needs an offset, Z or +hh:mm ({WITH_OFFSET})")
    return value
