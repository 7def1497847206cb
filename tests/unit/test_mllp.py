"""MLLP framing (ADT-8): bytes in, frames out, fed in chunks of every size."""

from __future__ import annotations

import pytest

from hub.hl7.mllp import END, START, Frame, FramingProblem, MllpDecoder, frame

A = b"MSH|^~\\&|A|B|C|D|20260101||ADT^A03|1|P|2.5\rPID|1||7^^^H^MR\r"
B = b"MSH|^~\\&|A|B|C|D|20260101||ADT^A01|2|P|2.5\r"


def feed_in_chunks(decoder: MllpDecoder, data: bytes, size: int) -> list[Frame | FramingProblem]:
    out: list[Frame | FramingProblem] = []
    for i in range(0, len(data), size):
        out += decoder.feed(data[i:i + size])
    return out


@pytest.mark.parametrize("size", range(1, len(A) + len(B) + 8))
def test_frames_split_and_joined_across_reads(size: int) -> None:
    """ADT-8: two frames arrive whatever the read boundaries (down to one byte at a time)."""
    out = feed_in_chunks(MllpDecoder(), frame(A) + frame(B), size)
    assert out == [Frame(A), Frame(B)]


def test_garbage_before_a_start_block_is_reported_with_its_bytes() -> None:
    """ADT-8: bytes outside a frame are kept for a person, and the next frame still decodes."""
    out = MllpDecoder().feed(b"hello" + frame(A))
    assert out == [FramingProblem("garbage_before_start",
                                  "5 bytes outside an MLLP frame before a start block", b"hello"),
                   Frame(A)]


def test_line_endings_between_frames_are_not_garbage() -> None:
    """ADT-8: a CR/LF some senders put between frames is tolerated silently."""
    assert MllpDecoder().feed(frame(A) + b"\r\n" + frame(B)) == [Frame(A), Frame(B)]


@pytest.mark.parametrize("size", [1, 7, 64, 4096])
def test_oversized_frame_is_reported_and_the_connection_resynchronizes(size: int) -> None:
    """ADT-8: a frame over the limit is one problem with its first bytes; the next frame works."""
    big = b"MSH|^~\\&|" + b"X" * 500
    out = feed_in_chunks(MllpDecoder(max_frame=100), frame(big) + frame(B), size)
    assert len(out) == 2
    problem, after = out
    assert isinstance(problem, FramingProblem) and problem.kind == "oversized"
    assert problem.data == big[:100]
    assert after == Frame(B)


def test_a_frame_cut_off_by_the_connection_closing_is_kept() -> None:
    """ADT-8: a message with no end block before close is reported with the bytes received."""
    decoder = MllpDecoder()
    assert decoder.feed(START + A[:20]) == []
    [problem] = decoder.close()
    assert problem.kind == "unterminated" and problem.data == A[:20]


def test_frame_wraps_payload_in_start_and_end_blocks() -> None:
    """ADT-8: frame = 0x0B + message + 0x1C 0x0D."""
    assert frame(b"x") == b"\x0bx\x1c\x0d" and START == b"\x0b" and END == b"\x1c\x0d"


def splits(data: bytes) -> list[list[bytes]]:
    """Every way of cutting ``data`` into two reads, plus one byte at a time."""
    return [[data[:k], data[k:]] for k in range(1, len(data))] + [
        [bytes([b]) for b in data]]


@pytest.mark.parametrize("reads", splits(frame(b"M" * 50)))
def test_a_frame_of_exactly_the_limit_is_a_frame_however_its_end_block_is_split(
        reads: list[bytes]) -> None:
    """ADT-8: a payload of exactly max_frame bytes is accepted, also when 0x1C and 0x0D arrive
    in different reads."""
    decoder = MllpDecoder(max_frame=50)
    assert [item for chunk in reads for item in decoder.feed(chunk)] == [Frame(b"M" * 50)]


@pytest.mark.parametrize("reads", splits(frame(b"M" * 51)))
def test_one_byte_over_the_limit_is_oversized_however_it_is_split(reads: list[bytes]) -> None:
    """ADT-8: max_frame + 1 bytes is oversized at every read boundary, its first bytes kept."""
    decoder = MllpDecoder(max_frame=50)
    [problem] = [item for chunk in reads for item in decoder.feed(chunk)]
    assert isinstance(problem, FramingProblem)
    assert (problem.kind, problem.data) == ("oversized", b"M" * 50)


def test_a_frame_after_a_cut_off_one_is_handed_out_in_the_same_read() -> None:
    """ADT-8: a start block before the end block: the cut-off bytes are reported and the next,
    complete frame already read comes out at once (its sender is waiting for the ACK)."""
    out = MllpDecoder().feed(START + A[:20] + frame(B))
    assert out == [FramingProblem("unterminated", "a start block arrived before the end block "
                                  "of the previous frame", A[:20]), Frame(B)]


def test_garbage_over_the_limit_is_reported_in_full_in_chunks() -> None:
    """ADT-8: nothing outside a frame is dropped: 2.5 times the limit is three reports whose
    bytes add up to what was sent."""
    garbage = bytes(range(33, 127)) * 30  # 2,820 printable bytes, no start block
    decoder = MllpDecoder(max_frame=1024)
    out = decoder.feed(garbage) + decoder.close()
    assert [len(p.data) for p in out if isinstance(p, FramingProblem)] == [1024, 1024, 772]
    assert b"".join(p.data for p in out if isinstance(p, FramingProblem)) == garbage
