"""HL7 escape sequences, decoded only in the values the hub reads.

``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\`` stand for the delimiters, ``\\Xhh..\\`` for bytes in the message's
character set. Formatting sequences carry no text the hub keeps: ``\\.br\\`` and ``\\.sp\\`` become
a line break, the others (``\\H\\ \\N\\ \\.in\\ \\.ce\\``, character-set switches ``\\C..\\`` and
``\\M..\\``, site escapes ``\\Z..\\``) are dropped. An escape character with no closing one is kept
as it is, since it is more likely data than a broken sequence.
"""

from __future__ import annotations

from hub.hl7.encoding import Encoding

_LINE_BREAKS = frozenset({".br", ".sp"})


def unescape(value: str, encoding: Encoding, codec: str = "iso-8859-1") -> str:
    esc = encoding.escape
    start = value.find(esc)
    if start < 0:
        return value
    out: list[str] = []
    i = 0
    while start >= 0:
        end = value.find(esc, start + 1)
        if end < 0:
            break
        out.append(value[i:start])
        out.append(_sequence(value[start + 1:end], encoding, codec))
        i = end + 1
        start = value.find(esc, i)
    out.append(value[i:])
    return "".join(out)


def _sequence(code: str, encoding: Encoding, codec: str) -> str:
    if len(code) == 1:
        delimiter = {"F": encoding.field, "S": encoding.component, "T": encoding.subcomponent,
                     "R": encoding.repetition, "E": encoding.escape}.get(code)
        if delimiter is not None:
            return delimiter
    if code[:1] == "X" and len(code) > 1:
        try:
            return bytes.fromhex(code[1:]).decode(codec)
        except (ValueError, LookupError):
            return ""  # not hex, or not valid in the message's character set
    if code in _LINE_BREAKS:
        return "\n"
    return ""
