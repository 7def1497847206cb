"""MLLP framing (ADT-8): ``0x0B`` + message + ``0x1C 0x0D``. Bytes in, frames out, no sockets.

TCP reads may split a frame or join several; the decoder keeps what it has not framed yet and
never rescans bytes it has already searched, so a large frame fed one byte at a time stays linear.
Bytes outside a frame and frames over the size limit are reported with their data, never dropped
silently, so ingest can keep them. Only CR, LF, space and tab between frames pass without a
report: many senders put a line ending after the end block.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

START = b"\x0b"
END = b"\x1c\x0d"
_BLANK = b"\r\n\t "


def frame(payload: bytes) -> bytes:
    """Wrap one message in the MLLP start and end blocks."""
    return START + payload + END


@dataclass(frozen=True)
class Frame:
    payload: bytes


@dataclass(frozen=True)
class FramingProblem:
    kind: str  # garbage_before_start, oversized, unterminated
    detail: str
    data: bytes


class _State(Enum):
    OUTSIDE = 0
    IN_FRAME = 1
    SKIPPING = 2  # inside an oversized frame: discard up to its end block


class MllpDecoder:
    """Feed it what the socket reads; it returns complete frames and framing problems in order."""

    def __init__(self, max_frame: int = 1 << 20):
        self._max = max_frame
        self._buffer = bytearray()  # in a frame, the payload always starts at offset 0
        self._garbage = bytearray()
        self._state = _State.OUTSIDE
        self._scanned = 0  # bytes of the current frame already searched for an end block
        self._kept = b""  # the first max_frame bytes of an oversized frame

    def feed(self, chunk: bytes) -> list[Frame | FramingProblem]:
        out: list[Frame | FramingProblem] = []
        buffer = self._buffer
        buffer += chunk
        i = 0
        while i < len(buffer):
            if self._state is _State.OUTSIDE:
                start = buffer.find(START, i)
                if start < 0:
                    self._add_garbage(buffer[i:], out)
                    i = len(buffer)
                    break
                self._add_garbage(buffer[i:start], out)
                self._flush_garbage(out, "before a start block")
                i = start + 1
                self._state, self._scanned = _State.IN_FRAME, 0
            elif self._state is _State.IN_FRAME:
                j = self._in_frame(buffer, i, out)
                if self._state is _State.IN_FRAME and j == i:
                    break  # no end block yet: wait for more bytes
                i = j  # a frame ended, or a new one started: go on with what is buffered
            else:
                i = self._skipping(buffer, i, out)
                if self._state is _State.SKIPPING:
                    break
        del buffer[:i]  # in a frame, i is where its payload starts: offsets stay relative
        return out

    def close(self) -> list[FramingProblem]:
        """At end of stream: a started frame that never ended is reported with its bytes."""
        problems: list[FramingProblem] = []
        if self._state is _State.IN_FRAME:
            problems.append(FramingProblem(
                "unterminated", "connection closed before the end block", bytes(self._buffer)))
        elif self._state is _State.SKIPPING:
            problems.append(FramingProblem(
                "unterminated", f"connection closed inside a frame over the {self._max}-byte "
                "limit (first bytes kept)", self._kept))
        else:
            self._flush_garbage(problems, "at the end of the stream")  # type: ignore[arg-type]
        self._buffer.clear()
        self._state, self._scanned, self._kept = _State.OUTSIDE, 0, b""
        return problems

    def _in_frame(self, buffer: bytearray, i: int, out: list[Frame | FramingProblem]) -> int:
        scan_from = i + max(self._scanned - 1, 0)  # -1: an end block may straddle two reads
        end = buffer.find(END, scan_from)
        restart = buffer.find(START, scan_from, end if end >= 0 else len(buffer))
        if restart >= 0:
            # A new start block before any end block: the sender lost the rest of that frame.
            out.append(FramingProblem("unterminated", "a start block arrived before the end "
                                      "block of the previous frame",
                                      bytes(buffer[i:min(restart, i + self._max)])))
            self._scanned = 0
            return restart + 1
        if end < 0:
            # a trailing 0x1C may be the first half of the end block, not payload
            payload_so_far = len(buffer) - i - buffer.endswith(END[:1])
            if payload_so_far > self._max:
                self._kept = bytes(buffer[i:i + self._max])
                self._state = _State.SKIPPING
                return len(buffer) - 1  # the last byte may be the 0x1C of a split end block
            self._scanned = len(buffer) - i
            return i
        payload = bytes(buffer[i:end])
        if len(payload) > self._max:
            out.append(self._oversized(payload[:self._max]))
        else:
            out.append(Frame(payload))
        self._state = _State.OUTSIDE
        return end + len(END)

    def _skipping(self, buffer: bytearray, i: int, out: list[Frame | FramingProblem]) -> int:
        end = buffer.find(END, i)
        restart = buffer.find(START, i, end if end >= 0 else len(buffer))
        if restart >= 0:  # resynchronize on the next frame even if this one never ended
            out.append(self._oversized(self._kept))
            self._state, self._scanned, self._kept = _State.IN_FRAME, 0, b""
            return restart + 1
        if end < 0:
            return len(buffer) - 1 if buffer.endswith(END[:1]) else len(buffer)
        out.append(self._oversized(self._kept))
        self._state, self._kept = _State.OUTSIDE, b""
        return end + len(END)

    def _oversized(self, kept: bytes) -> FramingProblem:
        return FramingProblem("oversized", f"frame over the {self._max}-byte limit (first bytes "
                              "kept, the rest discarded up to its end block)", kept)

    def _add_garbage(self, data: bytearray, out: list[Frame | FramingProblem]) -> None:
        self._garbage += data
        while len(self._garbage) >= self._max:  # bounded memory on a stream that never frames
            self._report_garbage(out, "without a start block")

    def _flush_garbage(self, out: list[Frame | FramingProblem], where: str) -> None:
        while self._garbage:
            self._report_garbage(out, where)

    def _report_garbage(self, out: list[Frame | FramingProblem], where: str) -> None:
        """The next ``max_frame`` bytes of garbage as one problem (blank lines say nothing)."""
        data = bytes(self._garbage[:self._max])
        del self._garbage[:self._max]
        if data.strip(_BLANK):
            out.append(FramingProblem("garbage_before_start",
                                      f"{len(data)} bytes outside an MLLP frame {where}", data))
