"""A fast pipe-format reader: segments split once, fields split only when a segment is read,
components split and escapes decoded only for the values asked for.

Numbers are HL7's: fields, components, repetitions and subcomponents count from 1, and ``MSH-1``
is the field separator, ``MSH-2`` the encoding characters, so ``field(9)`` is MSH-9 for MSH as for
any other segment. Values come back stripped of surrounding blanks, and HL7's explicit null ``""``
reads as empty. Segment ids must be three upper-case letters or digits starting with a letter: a
lower-case ``pid`` is refused (``bad_segment_id``) rather than read as PID, because the standard
has no such segment and a sender that mangles ids cannot be trusted with the fields either.
"""

from __future__ import annotations

import re

from hub.errors import Hl7Error
from hub.hl7.batch import batch_problems, split_messages
from hub.hl7.charset import decode
from hub.hl7.encoding import Encoding, read_encoding
from hub.hl7.escapes import unescape

__all__ = ["Encoding", "Message", "MshSegment", "Segment", "batch_problems", "clean", "parse",
           "split_component", "split_messages", "strip_envelope"]

_BOM = b"\xef\xbb\xbf"
_AROUND = b"\x0b\x1c\r\n\t "  # MLLP bytes and blank lines left around a message in files
_PLACEHOLDERS = (b"[EOM]", b"[CR]", b"[LF]")  # literal MLLP markers some tools write in files
PLACEHOLDER_WARNING = "literal [SOM]/[EOM] framing markers around the message were removed"
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}\Z")
_STANDARD_IDS = frozenset({"MSH", "EVN", "PID", "PD1", "PV1", "PV2", "NK1", "MRG", "OBX", "AL1",
                           "DG1", "IN1", "IN2", "GT1", "NTE", "ROL", "PR1", "ACC", "UB1", "UB2"})
_SPACE_JOINED = re.compile(r" (?:EVN|PID|PD1|PV1|PV2|NK1|MRG|OBX|AL1|DG1|IN1|GT1|NTE)\W")


class Segment:
    """One segment; its fields are split on first use, since most segments are never read."""

    __slots__ = ("_fields", "codec", "encoding", "line", "name")

    def __init__(self, name: str, line: str, encoding: Encoding, codec: str = "utf-8"):
        self.name = name
        self.line = line
        self.encoding = encoding
        self.codec = codec
        self._fields: list[str] | None = None

    def _split(self) -> list[str]:
        fields = self._fields = self.line.split(self.encoding.field)
        return fields

    def raw(self, n: int) -> str:
        """Field n exactly as sent: repetitions, components and escapes undecoded."""
        fields = self._fields or self._split()
        return fields[n] if n < len(fields) else ""

    def repetitions(self, n: int) -> list[str]:
        """The repetitions of field n, undecoded; [] when the field is empty."""
        fields = self._fields or self._split()
        value = fields[n] if n < len(fields) else ""
        return value.split(self.encoding.repetition) if value else []

    def field(self, n: int, component: int = 1, repetition: int = 1, subcomponent: int = 0
              ) -> str:
        """One decoded value; ``subcomponent=0`` means the whole component. '' when absent."""
        fields = self._fields or self._split()  # inlined raw(): this is the hot path
        if n >= len(fields):
            return ""
        value = fields[n]
        if not value:
            return ""
        encoding = self.encoding
        if encoding.repetition in value:
            reps = value.split(encoding.repetition)
            if repetition > len(reps):
                return ""
            value = reps[repetition - 1]
        elif repetition != 1:
            return ""
        if component == 1 and not subcomponent and encoding.component not in value and \
                encoding.escape not in value:  # most reads: a plain value, no call
            value = value.strip()
            return "" if value == '""' else value
        return split_component(value, component, encoding, subcomponent, self.codec)

    def components(self, n: int, repetition: int = 1) -> list[str]:
        """Every component of one repetition, decoded; [] when absent. For the few fields
        (XTN, PL) where most components are read, one split instead of one per component."""
        reps = self.repetitions(n)
        if repetition > len(reps):
            return []
        encoding, codec = self.encoding, self.codec
        return [split_component(part, 1, encoding, 0, codec)
                for part in reps[repetition - 1].split(encoding.component)]


class MshSegment(Segment):
    """MSH counts its field separator as MSH-1, and MSH-2 (the encoding characters) is never
    split on the delimiters it declares."""

    __slots__ = ()

    def _split(self) -> list[str]:
        fields = self.line.split(self.encoding.field)
        fields.insert(1, self.encoding.field)
        self._fields = fields
        return fields

    def repetitions(self, n: int) -> list[str]:
        if n <= 2:
            return [self.raw(n)]
        return super().repetitions(n)

    def field(self, n: int, component: int = 1, repetition: int = 1, subcomponent: int = 0
              ) -> str:
        if n <= 2:
            return self.raw(n) if component == repetition == 1 and not subcomponent else ""
        return super().field(n, component, repetition, subcomponent)


def split_component(value: str, component: int, encoding: Encoding, subcomponent: int = 0,
                    codec: str = "utf-8") -> str:
    """Component (and subcomponent) of one undecoded repetition, decoded and stripped."""
    if component == 1 and encoding.component not in value:
        part = value
    else:
        parts = value.split(encoding.component)
        if component > len(parts):
            return ""
        part = parts[component - 1]
    if subcomponent:
        subs = part.split(encoding.subcomponent)
        part = subs[subcomponent - 1] if subcomponent <= len(subs) else ""
    if encoding.escape in part:
        part = unescape(part, encoding, codec)
    part = part.strip()
    return "" if part == '""' else part


class Message:
    """The segments of one message, by name, plus what reading the bytes taught us."""

    __slots__ = ("_by_name", "all", "codec", "encoding", "warnings")

    def __init__(self, segments: list[Segment], encoding: Encoding, codec: str,
                 warnings: list[str]):
        self.all = segments
        self.encoding = encoding
        self.codec = codec
        self.warnings = warnings
        by_name: dict[str, list[Segment]] = {}
        for segment in segments:
            found = by_name.get(segment.name)
            if found is None:
                by_name[segment.name] = [segment]
            else:
                found.append(segment)
        self._by_name = by_name

    @property
    def msh(self) -> Segment:
        return self.all[0]

    def segments(self, name: str) -> list[Segment]:
        return self._by_name.get(name, [])

    def segment(self, name: str) -> Segment | None:
        found = self._by_name.get(name)
        return found[0] if found else None

    def field(self, segment: str, n: int, component: int = 1, repetition: int = 1,
              subcomponent: int = 0) -> str:
        """A value of the first segment with that name; '' when the segment is absent."""
        found = self._by_name.get(segment)
        return found[0].field(n, component, repetition, subcomponent) if found else ""


def strip_envelope(raw: bytes) -> tuple[bytes, list[str]]:
    """What surrounds a message in real feeds: a UTF-8 BOM, MLLP bytes left in a file, blank
    lines, literal ``[SOM]``/``[EOM]`` markers. Returns the message and what was removed."""
    if raw[:3] == _BOM:
        raw = raw[3:]
    raw = raw.strip(_AROUND)
    if raw[:1] != b"[" and raw[-1:] != b"]":
        return raw, []
    before = raw
    if raw.startswith(b"[SOM]"):
        raw = raw[5:].lstrip(_AROUND)
    while raw.endswith(_PLACEHOLDERS):
        raw = raw[:raw.rindex(b"[")].rstrip(_AROUND)
    return raw, [PLACEHOLDER_WARNING] if raw != before else []


def clean(raw: bytes) -> bytes:
    return strip_envelope(raw)[0]


_known_ids: set[str] = set()  # ids already checked: most messages reuse a few dozen


def parse(raw: bytes) -> Message:
    body, warnings = strip_envelope(raw)
    decoded = decode(body)
    if decoded.warning:
        warnings.append(decoded.warning)
    text = decoded.text
    if "\n" in text:
        text = text.replace("\r\n", "\r").replace("\n", "\r")
    lines = text.split("\r")
    encoding = read_encoding(lines[0])
    separator, codec = encoding.field, decoded.codec
    segments: list[Segment] = []
    for line in lines:
        if not line or line.isspace():
            continue
        name = line[:3]
        if name not in _known_ids or line[3:4] not in (separator, ""):
            _check_segment_id(name, line[3:4], separator, len(segments) + 1)
        if name == "MSH" and segments:
            raise Hl7Error(f"segment {len(segments) + 1} is a second MSH inside one message "
                           "(two messages run together, or a header repeated)",
                           code="duplicate_msh", location=f"MSH (segment {len(segments) + 1})")
        segments.append((MshSegment if name == "MSH" else Segment)(name, line, encoding, codec))
    if len(segments) == 1 and _SPACE_JOINED.search(segments[0].line):
        raise Hl7Error("segments are separated by spaces instead of carriage returns (the "
                       "message was probably copied through a text tool)",
                       code="bad_segment_separator", location="MSH")
    return Message(segments, encoding, codec, warnings)


def _check_segment_id(name: str, after: str, separator: str, position: int) -> None:
    if _SEGMENT_ID.match(name) and after in (separator, ""):
        _known_ids.add(name)
        return
    # Never echo text that may be patient data: only a known id in the wrong case is named.
    shown = f" {name!r} (ids are upper case)" if name.upper() in _STANDARD_IDS else ""
    raise Hl7Error(f"segment {position} has an invalid segment id{shown}: ids are three "
                   "upper-case letters or digits followed by the field separator",
                   code="bad_segment_id", location=f"segment {position}")
