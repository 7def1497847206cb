"""HL7 DTM/TS values: ``YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]`` (ADT-2).

Without an offset a time is read in the facility's zone, so DST is the zone's business: a wall time
that happens twice (autumn) is read as the first, one that never happens (spring) keeps the offset
before the change. With an offset the sender's offset is kept. Anything else is ``BadTimestamp``:
nothing is guessed (a 17-digit ``YYYYMMDDHHMMSSmmm`` without its '.' is malformed too).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from hub.errors import Hl7Error

_TS = re.compile(r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?([+-]\d{4})?\Z")


class BadTimestamp(ValueError):
    """A value that is not an HL7 timestamp; the caller knows where it was and if it matters."""


def parse_timestamp(value: str, zone: ZoneInfo) -> datetime | None:
    """An aware datetime, or None for an empty value; BadTimestamp for anything else."""
    if not value:
        return None
    match = _TS.match(value)
    if not match:
        raise BadTimestamp("not YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        naive = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0),
                         int(minute or 0), int(second or 0),
                         int((fraction or "0").ljust(6, "0")))
    except ValueError as exc:
        raise BadTimestamp("a date or time part is out of range") from exc
    if offset is None:
        return naive.replace(tzinfo=zone)
    hours, minutes = int(offset[1:3]), int(offset[3:5])
    if hours > 14 or minutes > 59:
        raise BadTimestamp("the UTC offset is out of range")
    delta = timedelta(hours=hours, minutes=minutes)
    return naive.replace(tzinfo=timezone(-delta if offset[0] == "-" else delta))


@lru_cache(maxsize=16384)  # MSH-7, EVN-2 and PV1 times repeat within and across messages
def iso_timestamp(value: str, zone: ZoneInfo) -> str | None:
    """``parse_timestamp`` as an ISO 8601 string with its offset."""
    parsed = parse_timestamp(value, zone)
    return parsed.isoformat() if parsed is not None else None


def parse_date(value: str) -> str | None:
    """A birth date as given: ``YYYY-MM-DD``, or partial ``YYYY-MM`` / ``YYYY``. A time part, if
    the sender put one, is ignored (a birth date has no zone to read it in)."""
    if not value:
        return None
    digits = value[:8]
    if not digits.isdigit() or len(digits) not in (4, 6, 8) or (
            len(value) > 8 and not _TS.match(value)):
        raise BadTimestamp("not YYYY[MM[DD]]")
    try:
        date(int(digits[:4]), int(digits[4:6] or 1), int(digits[6:8] or 1))
    except ValueError as exc:
        raise BadTimestamp("a date part is out of range") from exc
    return "-".join(part for part in (digits[:4], digits[4:6], digits[6:8]) if part)


class TimeReader:
    """Reads the time fields of one message: a bad value in a field the hub needs is refused
    (``bad_timestamp`` with its location), elsewhere it becomes a warning and null."""

    __slots__ = ("warnings", "zone")

    def __init__(self, zone: ZoneInfo, warnings: list[str]):
        self.zone, self.warnings = zone, warnings

    def optional(self, value: str, where: str) -> str | None:
        try:
            return iso_timestamp(value, self.zone)
        except BadTimestamp as exc:
            self.warnings.append(f"{where} is not an HL7 timestamp ({exc}); ignored")
            return None

    def required(self, value: str, where: str) -> str | None:
        try:
            return iso_timestamp(value, self.zone)
        except BadTimestamp as exc:
            raise Hl7Error(f"{where} is not an HL7 timestamp ({exc}): the hub needs it",
                           code="bad_timestamp", location=where) from None
