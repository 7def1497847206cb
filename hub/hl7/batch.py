"""Files, batches (FHS/BHS ... BTS/FTS) and streams -> one bytes object per message.

``normalize`` takes one message; replays and ``hub send`` read files that hold many, with or
without batch envelopes, sometimes with MLLP bytes left between them. A message starts at each
line whose segment id is MSH (a field value that happens to read "MSH" is inside a line, so it
never splits). Envelope segments are not part of any message; their counts are checked and a
mismatch is reported, not fatal: the messages themselves are still there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINES = re.compile(rb"\r\n|\r|\n")
_ENVELOPE = frozenset({b"FHS", b"BHS", b"BTS", b"FTS"})
_MLLP = b"\x0b\x1c"


@dataclass
class Batch:
    messages: list[bytes] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class _Reader:
    batch: Batch = field(default_factory=Batch)
    current: list[bytes] = field(default_factory=list)
    in_batch: bool = False
    batch_messages: int = 0
    batches: int = 0
    component: bytes = b"^"  # from the last header (FHS, BHS, MSH): trailers carry no MSH-2

    def end_message(self) -> None:
        if self.current:
            self.batch.messages.append(b"\r".join(self.current) + b"\r")
            self.current = []

    def envelope(self, segment: bytes, line: bytes) -> None:
        self.end_message()
        if segment in (b"FHS", b"BHS") and len(line) > 4:
            self.component = line[4:5]
        if segment == b"BHS":
            self.in_batch, self.batch_messages = True, 0
            self.batches += 1
        elif segment == b"BTS":
            self._check_count(line, "BTS", self.batch_messages, "messages")
            self.in_batch = False
        elif segment == b"FTS":
            self._check_count(line, "FTS", self.batches, "batches")

    def _check_count(self, line: bytes, name: str, actual: int, what: str) -> None:
        fields = line.split(line[3:4]) if len(line) > 3 else []
        declared = fields[1].split(self.component)[0].strip() if len(fields) > 1 else b""
        if declared.isdigit() and int(declared) != actual:
            self.batch.problems.append(
                f"{name}-1 declares {int(declared)} {what} but {actual} are present")


def read_batch(raw: bytes) -> Batch:
    """The messages of a file, batch or stream, and what is wrong with its envelopes."""
    if raw[:3] == b"\xef\xbb\xbf":
        raw = raw[3:]
    reader = _Reader()
    for line in _LINES.split(raw):
        line = line.lstrip(b"\x0b").rstrip(b"\x1c")
        head = line[5:] if line.startswith(b"[SOM]") else line
        segment, separator = head[:3], head[3:4]
        if separator and not separator.isalnum() and segment in _ENVELOPE:
            reader.envelope(segment, head)
        elif segment == b"MSH" and separator and not separator.isalnum():
            reader.end_message()
            reader.batch_messages += 1
            reader.component = head[4:5] or reader.component
            reader.current.append(line)
        elif line.strip(_MLLP + b" \t"):
            reader.current.append(line)  # kept even before any MSH: normalize says why not
    reader.end_message()
    if reader.in_batch:
        reader.batch.problems.append("the last batch has no BTS trailer")
    return reader.batch


def split_messages(raw: bytes) -> list[bytes]:
    """A file, batch or stream -> one bytes object per message (segments joined with CR)."""
    return read_batch(raw).messages


def batch_problems(raw: bytes) -> list[str]:
    """Envelope checks: a BTS-1 / FTS-1 count that disagrees with what is there."""
    return read_batch(raw).problems
