"""The delimiters a message declares in MSH-1 and MSH-2 (custom ones exist in real feeds).

MSH-2 holds component, repetition, escape and subcomponent characters in that order; v2.7 adds a
fifth, the truncation character, which the hub reads past. Fewer than four is legal in old
senders (the missing ones take their defaults).
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import Hl7Error


@dataclass(frozen=True, slots=True)
class Encoding:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    @property
    def msh2(self) -> str:
        """The MSH-2 value that declares these characters."""
        return self.component + self.repetition + self.escape + self.subcomponent


DEFAULT = Encoding()
_DEFAULT_CHARS = "^~\\&"


def _usable(char: str) -> bool:
    # A delimiter that could also be data (letters, digits) or a line break cannot be trusted.
    return len(char) == 1 and not char.isalnum() and char.isprintable() and not char.isspace()


_seen: dict[str, Encoding] = {}  # MSH-1 + MSH-2 as sent -> Encoding; a feed uses one or two


def read_encoding(msh_line: str) -> Encoding:
    """The encoding of an MSH line; ``no_msh`` or ``bad_encoding_chars`` (AE) when unusable."""
    known = _seen.get(msh_line[3:9])
    if known is not None and msh_line[:3] == "MSH" and msh_line[8:9] in (known.field, ""):
        return known
    if not msh_line.startswith("MSH") or len(msh_line) < 4 or not _usable(msh_line[3]):
        raise Hl7Error("the message does not start with a readable MSH segment (MSH followed "
                       "by its field separator)", code="no_msh", location="MSH")
    field = msh_line[3]
    chars = msh_line[4:].split(field, 1)[0]
    declared = chars[:4]
    if (not 2 <= len(chars) <= 5 or len(set(chars)) != len(chars) or field in chars
            or not all(_usable(c) for c in chars)):
        raise Hl7Error(f"MSH-2 encoding characters {chars[:8]!r} are not valid: expected 2 to 5 "
                       "distinct punctuation characters such as '^~\\&', none equal to MSH-1",
                       code="bad_encoding_chars", location="MSH-2")
    padded = list(declared)
    for default in _DEFAULT_CHARS[len(declared):]:
        if default in padded or default == field:
            raise Hl7Error(f"MSH-2 {chars!r} leaves out a delimiter whose default is taken",
                           code="bad_encoding_chars", location="MSH-2")
        padded.append(default)
    encoding = Encoding(field, padded[0], padded[1], padded[2], padded[3])
    if len(chars) == 4 and len(_seen) < 64:
        _seen[msh_line[3:9]] = encoding
    return encoding


def lenient_encoding(msh_line: str) -> Encoding:
    """For the header and the ACK: the declared encoding when valid, else the defaults with the
    sender's field separator (when it does not clash), so an ACK can always be written."""
    try:
        return read_encoding(msh_line)
    except Hl7Error as error:
        if error.code == "no_msh":
            raise
    field = msh_line[3]
    return DEFAULT if field in _DEFAULT_CHARS else Encoding(field=field)
