"""MLLP framing (ADT-8): ``0x0B`` + message + ``0x1C 0x0D``. Bytes in, frames out, no sockets.

TCP reads may split a frame or join several; the decoder keeps what it has not framed yet. Bytes
outside a frame and frames over the size limit are reported with their data, never dropped
silently, so ingest can keep them.
"""

from __future__ import annotations

from dataclasses import dataclass

START = b"\x0b"
END = b"\x1c\x0d"


def frame(payload: bytes) -> bytes:
    return START + payload + END


@dataclass(frozen=True)
class Frame:
    payload: bytes


@dataclass(frozen=True)
class FramingProblem:
    kind: str  # garbage_before_start, oversized, unterminated
    detail: str
    data: bytes


class MllpDecoder:
    def __init__(self, max_frame: int = 1 << 20):
        self._max = max_frame
        self._buffer = bytearray()
        self._in_frame = False
        self._skipping = False  # inside an oversized frame: discard up to its end block
        self._kept: bytes = b""  # the first max_frame bytes of an oversized frame

    def feed(self, chunk: bytes) -> list[Frame | FramingProblem]:
        self._buffer += chunk
        out: list[Frame | FramingProblem] = []
        while self._buffer:
            if not self._in_frame:
                start = self._buffer.find(START)
                if start < 0:
                    # keep a possible trailing whitespace/newline quietly; report other bytes
                    self._report_garbage(bytes(self._buffer), out)
                    self._buffer.clear()
                    break
                if start:
                    self._report_garbage(bytes(self._buffer[:start]), out)
                del self._buffer[: start + 1]
                self._in_frame = True
            end = self._buffer.find(END)
            if end < 0:
                if len(self._buffer) > self._max and not self._skipping:
                    self._skipping = True
                    self._kept = bytes(self._buffer[: self._max])
                if self._skipping:
                    # keep a last byte in case it is the 0x1C of a split end block
                    del self._buffer[: max(len(self._buffer) - 1, 0)]
                break
            payload = bytes(self._buffer[:end])
            del self._buffer[: end + len(END)]
            self._in_frame = False
            if self._skipping or len(payload) > self._max:
                kept = self._kept if self._skipping else payload[: self._max]
                out.append(FramingProblem("oversized", f"frame over the {self._max}-byte limit",
                                          kept))
                self._skipping = False
                self._kept = b""
            else:
                out.append(Frame(payload))
        return out

    def close(self) -> list[FramingProblem]:
        """At end of stream: a started frame that never ended is reported with its bytes."""
        problems: list[FramingProblem] = []
        if self._in_frame:
            data = self._kept if self._skipping else bytes(self._buffer)
            problems.append(FramingProblem("unterminated",
                                           "connection closed before the end block", data))
        elif self._buffer:
            self._report_garbage(bytes(self._buffer), problems)  # type: ignore[arg-type]
        self._buffer.clear()
        self._in_frame = self._skipping = False
        return problems

    @staticmethod
    def _report_garbage(data: bytes, out: list[Frame | FramingProblem]) -> None:
        if data.strip(b"\r\n\t "):
            out.append(FramingProblem("garbage_before_start",
                                      f"{len(data)} bytes outside an MLLP frame", data))
