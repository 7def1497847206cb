"""ADT-4: XTN phone repetitions -> E.164 with their use and equipment codes.

Component 2 is the use code (PRN, ORN, WPN, NET ...), 3 the equipment (PH, CP, FX, Internet ...),
4 an email, 5 country, 6 area, 7 local, 12 unformatted; older senders put the whole number in
component 1. A number that does not parse is reported (without its digits), never guessed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import phonenumbers

from hub.hl7.parse import Encoding, split_component


def phones_of(fields: list[list[str]], encoding: Encoding, region: str
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    phones: list[dict[str, Any]] = []
    invalid: list[dict[str, Any]] = []
    email: str | None = None
    seen: set[str] = set()
    for reps in fields:
        for rep in reps:
            def comp(c: int, rep: str = rep) -> str:
                return split_component(rep, c, encoding)

            use, equipment = comp(2).upper() or None, comp(3) or None
            if comp(4) and "@" in comp(4):
                email = email or comp(4)
            if equipment and equipment.upper() == "INTERNET" or use == "NET":
                continue
            text = _number_text(comp)
            if not text:
                continue
            e164, reason = to_e164(text, region)
            if e164 is None:
                invalid.append({"use": use, "equipment": equipment, "reason": reason})
            elif e164 not in seen:
                seen.add(e164)
                phones.append({"e164": e164, "use": use, "equipment": equipment})
    return phones, invalid, email


def _number_text(comp: Any) -> str:
    if comp(7):
        country = comp(5).lstrip("+")
        prefix = f"+{country} " if country else ""
        return f"{prefix}{comp(6)} {comp(7)} {comp(8)}".strip() if comp(8) else \
            f"{prefix}{comp(6)} {comp(7)}".strip()
    return comp(12) or comp(1)


@lru_cache(maxsize=65536)  # a patient's numbers recur in every message about them
def to_e164(text: str, region: str) -> tuple[str | None, str | None]:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        return None, f"unparseable: {exc.error_type.name.lower()}"
    if not phonenumbers.is_valid_number(number):
        return None, "not a valid number"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None
