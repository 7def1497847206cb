"""HL7 DTM/TS values: ``YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]``. Without an offset a time is read
in the facility's zone (ADT-2), so DST is the zone's business, not ours."""

from __future__ import annotations

import re
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

_TS = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$")


class BadTimestamp(ValueError):
    pass


@lru_cache(maxsize=16384)  # MSH-7, EVN-2 and PV1 times repeat within and across messages
def parse_timestamp(value: str, zone: ZoneInfo) -> datetime | None:
    """An aware datetime, or None for an empty value; BadTimestamp for anything else."""
    value = value.strip().split("^")[0]
    if not value:
        return None
    match = _TS.match(value)
    if not match:
        raise BadTimestamp(value)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        naive = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0),
                         int(minute or 0), int(second or 0),
                         int((fraction or "0").ljust(6, "0")[:6]))
    except ValueError as exc:
        raise BadTimestamp(value) from exc
    if offset:
        sign = 1 if offset[0] == "+" else -1
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        return naive.replace(tzinfo=timezone(sign * delta))
    return naive.replace(tzinfo=zone)


def parse_date(value: str) -> str | None:
    """A birth date as given: ``YYYY-MM-DD``, or partial ``YYYY-MM`` / ``YYYY``."""
    digits = value.strip().split("^")[0][:8]
    if not digits:
        return None
    if not digits.isdigit() or len(digits) not in (4, 6, 8):
        raise BadTimestamp(value)
    parts = [digits[:4], digits[4:6], digits[6:8]]
    return "-".join(part for part in parts if part)
