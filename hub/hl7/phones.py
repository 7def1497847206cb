"""ADT-4: XTN phone repetitions -> E.164 with their use and equipment codes.

Component 2 is the use code (PRN, ORN, WPN, NET ...), 3 the equipment (PH, CP, FX, Internet ...),
4 an email, 5 country, 6 area, 7 local, 8 extension, 12 unformatted; older senders (the TN type of
v2.1/2.2) put the whole number in component 1. Country/area/local win over component 12, which wins
over component 1. An extension has no place in E.164 and is left out. A number that does not parse
or is not valid for the region is reported by its use and equipment only, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import phonenumbers

from hub.hl7.parse import Segment, split_component

# TN: the number ends where X (extension), B (beeper) or C (comment) starts
_TN_TEXT = re.compile(r"[^A-Za-z@]*")


@dataclass
class Phones:
    phones: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)
    email: str | None = None


def phones_of(segment: Segment, fields: tuple[int, ...], region: str) -> Phones:
    found = Phones()
    seen: set[str] = set()
    encoding, codec = segment.encoding, segment.codec
    for n in fields:
        for rep in segment.repetitions(n):
            # XTN.1-12, decoded once (components past 12 are never read); absent ones ''
            comp = [split_component(part, 1, encoding, 0, codec) if part else ""
                    for part in rep.split(encoding.component, 12)[:12]]
            comp += [""] * (12 - len(comp))
            email = comp[3]
            if found.email is None and "@" in email:
                found.email = email
            text = number_text(comp[0], comp[4], comp[5], comp[6], comp[11])
            if not text:
                continue  # a pure email (or an empty repetition)
            use, equipment = comp[1].upper() or None, comp[2] or None
            e164, reason = to_e164(text, region)
            if e164 is None:
                found.invalid.append({"use": use, "equipment": equipment, "reason": reason})
            elif e164 not in seen:
                seen.add(e164)
                found.phones.append({"e164": e164, "use": use, "equipment": equipment})
    return found


def number_text(whole: str, country: str, area: str, local: str, unformatted: str) -> str:
    """The text to parse, from the XTN components a sender filled in."""
    if local:
        country = country.lstrip("+")
        return f"+{country} {area} {local}" if country else f"{area} {local}".strip()
    if unformatted:
        return unformatted
    if "@" in whole:
        return ""  # an email where a v2.1 number would be
    match = _TN_TEXT.match(whole)
    text = match.group(0).strip() if match else ""
    if not any(c.isdigit() for c in text):
        # No TN-shaped prefix: let phonenumbers judge the whole text, so digits are never lost.
        return whole if any(c.isdigit() for c in whole) else ""
    return text


# NumberParseException.error_type is a plain int in phonenumbers 9 (it was an enum in 8)
_PARSE_ERRORS = {phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "invalid country code",
                 phonenumbers.NumberParseException.NOT_A_NUMBER: "not a number",
                 phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
                 phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
                 phonenumbers.NumberParseException.TOO_LONG: "too long"}


@lru_cache(maxsize=65536)  # a patient's numbers recur in every message about them
def to_e164(text: str, region: str) -> tuple[str | None, str | None]:
    """(E.164, None) or (None, reason); the reason never repeats the digits."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        return None, f"unparseable: {_PARSE_ERRORS.get(exc.error_type, 'not a number')}"
    if not phonenumbers.is_valid_number(number):
        return None, "not a valid number"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None
