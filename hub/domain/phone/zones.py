"""Where a phone number says its owner lives (MSG-3: quiet hours are the patient's local time).

The hub knows the facility's zone for certain and the patient's only by inference: a number's
area code (``phonenumbers``' time-zone data) is a second opinion, not a fact, since people keep
their numbers when they move. So outreach keeps quiet hours in *both* zones: a Boston patient
with a Honolulu mobile is texted only when it is daytime in Boston and in Honolulu. Numbers that
map to many zones (toll-free, non-geographic) say nothing and are ignored.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import timezone as number_zones

GEOGRAPHIC = 3  # an area code spanning a zone border gives two or three zones, never more


@lru_cache(maxsize=65536)
def zones_of_number(e164: str) -> tuple[str, ...]:
    """The IANA zones a number's prefix belongs to; () when it tells nothing useful."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ()
    names = tuple(n for n in number_zones.time_zones_for_number(number) if n != "Etc/Unknown")
    return names if len(names) <= GEOGRAPHIC else ()
