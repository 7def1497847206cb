"""A fast pipe-format reader: segments split once, components split only when a field is read.

Field numbers are HL7's: ``MSH-1`` is the field separator and ``MSH-2`` the encoding characters,
so ``segment.field(9)`` is MSH-9 for MSH as for any other segment. Escapes are decoded only in the
values the hub reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.errors import Hl7Error

_SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_SPLIT_LINES = re.compile(r"\r\n|\r|\n")
_SPACE_JOINED = re.compile(r" (?:EVN|PID|PV1|PD1|NK1|MRG)\|")
CHARSETS = {"": "utf-8", "ASCII": "ascii", "UNICODE UTF-8": "utf-8", "UTF-8": "utf-8",
            "8859/1": "iso-8859-1", "8859/15": "iso-8859-15", "UNICODE": "utf-8"}


@dataclass(frozen=True)
class Encoding:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


class Segment:
    """One segment; its fields are split on first use, since most segments are never read."""

    __slots__ = ("_fields", "_line", "encoding", "name")

    def __init__(self, name: str, fields: list[str] | str, encoding: Encoding):
        self.name = name
        self._line = fields if isinstance(fields, str) else None
        self._fields: list[str] | None = None if isinstance(fields, str) else fields
        self.encoding = encoding

    def raw(self, n: int) -> str:
        """Field n exactly as sent (repetitions, components and escapes undecoded)."""
        fields = self._fields
        if fields is None:
            fields = self._fields = (self._line or "").split(self.encoding.field)
        if self.name == "MSH":
            if n == 1:
                return self.encoding.field
            n -= 1
        return fields[n] if n < len(fields) else ""

    def repetitions(self, n: int) -> list[str]:
        value = self.raw(n)
        return value.split(self.encoding.repetition) if value else []

    def component(self, n: int, c: int = 1, *, rep: int = 0, sub: int = 0) -> str:
        """Field n, component c (1-based), of repetition ``rep``, decoded; '' when absent."""
        value = self.raw(n)
        if not value:
            return ""
        encoding = self.encoding
        if encoding.repetition in value:
            reps = value.split(encoding.repetition)
            if rep >= len(reps):
                return ""
            value = reps[rep]
        elif rep:
            return ""
        return split_component(value, c, encoding, sub=sub)


def split_component(value: str, c: int, encoding: Encoding, *, sub: int = 0) -> str:
    if c == 1 and encoding.component not in value:
        part = value
    else:
        parts = value.split(encoding.component)
        if c > len(parts):
            return ""
        part = parts[c - 1]
    if sub:
        subs = part.split(encoding.subcomponent)
        part = subs[sub - 1] if sub <= len(subs) else ""
    if encoding.escape in part:
        part = unescape(part, encoding)
    return part.strip()


def unescape(value: str, encoding: Encoding) -> str:
    esc = encoding.escape
    if not esc or esc not in value:
        return value
    out: list[str] = []
    i = 0
    while i < len(value):
        start = value.find(esc, i)
        end = value.find(esc, start + 1) if start >= 0 else -1
        if start < 0 or end < 0:
            out.append(value[i:])
            break
        out.append(value[i:start])
        out.append(_escape_value(value[start + 1:end], encoding))
        i = end + 1
    return "".join(out)


def _escape_value(code: str, encoding: Encoding) -> str:
    simple = {"F": encoding.field, "S": encoding.component, "T": encoding.subcomponent,
              "R": encoding.repetition, "E": encoding.escape}
    if code in simple:
        return simple[code]
    if code.startswith("X") and len(code) > 1:
        try:
            return bytes.fromhex(code[1:]).decode("latin-1")
        except ValueError:
            return ""
    if code in (".br", ".sp"):
        return "\n"
    return ""  # formatting escapes (\H\, \N\, \.in\ ...) carry no text


class Message:
    def __init__(self, segments: list[Segment], encoding: Encoding):
        self.encoding = encoding
        self.all_segments = segments
        self._by_name: dict[str, list[Segment]] = {}
        for segment in segments:
            self._by_name.setdefault(segment.name, []).append(segment)

    def segments(self, name: str) -> list[Segment]:
        return self._by_name.get(name, [])

    def segment(self, name: str) -> Segment | None:
        found = self._by_name.get(name)
        return found[0] if found else None

    @property
    def msh(self) -> Segment:
        return self.all_segments[0]


def clean(raw: bytes) -> bytes:
    """Strip what surrounds a message in real feeds: a UTF-8 BOM, MLLP bytes left in a file,
    blank lines before MSH."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.strip(b"\x0b\x1c\r\n\t ")


def read_encoding(text: str) -> Encoding:
    if not text.startswith("MSH") or len(text) < 8:
        raise Hl7Error("the message does not start with an MSH segment", code="no_msh",
                       location="MSH")
    field = text[3]
    chars = text[4:].split(field, 1)[0]
    if len(chars) < 2 or len(chars) > 4 or field in chars or field.isalnum() or any(
            c.isalnum() for c in chars) or len(set(chars + field)) != len(chars) + 1:
        raise Hl7Error(f"MSH-2 encoding characters {chars!r} are not valid", code="bad_encoding_chars",
                       location="MSH-2")
    padded = chars + "\\&"[len(chars) - 2:] if len(chars) < 4 else chars
    return Encoding(field, padded[0], padded[1], padded[2], padded[3])


def charset_of(raw: bytes) -> str:
    """The Python codec for MSH-18, read from the MSH line as Latin-1 (ASCII-compatible)."""
    line = _SPLIT_LINES.split(raw[:4096].decode("latin-1"), 1)[0]
    if len(line) < 4:
        return "utf-8"
    fields = line.split(line[3])
    declared = fields[17].split(line[4:5] or "^")[0].strip().upper() if len(fields) > 17 else ""
    return CHARSETS.get(declared, "utf-8")


def decode(raw: bytes) -> str:
    codec = charset_of(raw)
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise Hl7Error(f"bytes {exc.start}-{exc.end} do not decode as {codec} (MSH-18 declares the "
                       "character set; fix MSH-18 or the bytes)", code="undecodable_bytes",
                       location="MSH-18") from exc


def parse(raw: bytes) -> Message:
    text = decode(clean(raw))
    encoding = read_encoding(text)
    segments: list[Segment] = []
    for line in text.replace("\r\n", "\r").replace("\n", "\r").split("\r"):
        if not line or line.isspace():
            continue
        name = line.partition(encoding.field)[0].strip("\x0b\x1c \t")
        if not (len(name) == 3 and name.isalnum() and name.isupper() and name[0].isalpha()):
            raise Hl7Error(f"segment {len(segments) + 1} has an invalid segment id",
                           code="bad_segment_id", location=f"segment {len(segments) + 1}")
        if name == "MSH" and segments:
            raise Hl7Error("a second MSH segment inside one message", code="duplicate_msh",
                           location=f"segment {len(segments) + 1}")
        segments.append(Segment(name, line, encoding))
    if len(segments) == 1 and _SPACE_JOINED.search(text):
        raise Hl7Error("segments are separated by spaces instead of carriage returns (the message "
                       "was probably copied through a text tool)", code="bad_segment_separator",
                       location="MSH")
    return Message(segments, encoding)


def split_messages(raw: bytes) -> list[bytes]:
    """A file, batch (FHS/BHS ... BTS/FTS) or stream -> one bytes object per message."""
    text = clean(raw)
    messages: list[bytes] = []
    current: list[bytes] = []
    for line in re.split(rb"\r\n|\r|\n", text):
        head = line.lstrip(b"\x0b\x1c")[:3]
        if head in (b"FHS", b"BHS", b"BTS", b"FTS"):
            continue
        if head == b"MSH" and current:
            messages.append(b"\r".join(current) + b"\r")
            current = []
        if line.strip():
            current.append(line.lstrip(b"\x0b").rstrip(b"\x1c"))
    if current:
        messages.append(b"\r".join(current) + b"\r")
    return messages


def batch_problems(raw: bytes) -> list[str]:
    """Envelope checks for a batch file: a BTS-1 / FTS-1 count that disagrees with what is there."""
    lines = [line.lstrip(b"\x0b\x1c") for line in re.split(rb"\r\n|\r|\n", clean(raw))]
    messages = sum(1 for line in lines if line[:3] == b"MSH")
    batches = sum(1 for line in lines if line[:3] == b"BHS")
    problems = []
    for line in lines:
        head, sep = line[:3], line[3:4]
        if head in (b"BTS", b"FTS") and sep:
            declared = line.split(sep)[1].strip() if len(line.split(sep)) > 1 else b""
            actual = messages if head == b"BTS" else batches
            if declared.isdigit() and int(declared) != actual:
                problems.append(f"{head.decode()}-1 declares {int(declared)} "
                                f"{'messages' if head == b'BTS' else 'batches'} but "
                                f"{actual} are present")
    return problems
