"""Bytes -> text per MSH-18 (ADT-1, HL7 table 0211).

A declared character set is held to: bytes that do not decode under it are a content error (AE)
rather than a guess. An empty MSH-18 means "the default", which real senders use for both UTF-8
and Latin-1: the hub tries UTF-8 (strict, so Latin-1 accented bytes fail it) and falls back to
ISO 8859-1 with a warning; ASCII is the same under both. The MSH segment itself is ASCII in every
table-0211 set the hub accepts, so MSH-18 can be read before the message is decoded.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import Hl7Error

CODECS = {
    "ASCII": "ascii", "ISO IR6": "ascii",
    "8859/1": "iso-8859-1", "ISO IR100": "iso-8859-1", "8859/2": "iso-8859-2",
    "8859/3": "iso-8859-3", "8859/4": "iso-8859-4", "8859/5": "iso-8859-5",
    "8859/6": "iso-8859-6", "8859/7": "iso-8859-7", "8859/8": "iso-8859-8",
    "8859/9": "iso-8859-9", "8859/15": "iso-8859-15",
    "UNICODE UTF-8": "utf-8", "ISO IR192": "utf-8",
    "UTF-8": "utf-8", "UNICODE": "utf-8",  # not table 0211 spellings, but what senders write
    "GB 18030-2000": "gb18030", "KS X 1001": "euc_kr", "BIG-5": "big5",
}
FALLBACK_WARNING = "MSH-18 is empty and the message is not valid UTF-8: read as ISO 8859-1"


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    codec: str
    warning: str | None = None


def declared_charset(raw: bytes) -> str:
    """MSH-18 (first repetition, first component) of a message that starts with its MSH."""
    cr, lf = raw.find(b"\r"), raw.find(b"\n")
    end = min(p for p in (cr, lf, len(raw)) if p >= 0)
    line = raw[:end]
    if len(line) < 6:
        return ""
    fields = line.split(line[3:4])
    if len(fields) < 18:
        return ""
    value = fields[17].split(line[5:6])[0].split(line[4:5])[0]
    return value.decode("latin-1").strip().upper()


def codec_for(declared: str) -> str:
    """The Python codec for an MSH-18 value; ``unsupported_charset`` (AE) for one the hub lacks."""
    if not declared:
        return "utf-8"
    codec = CODECS.get(declared)
    if codec is None:
        raise Hl7Error(f"MSH-18 character set {declared[:30]!r} is not supported (use ASCII, "
                       "8859/n or UNICODE UTF-8)", code="unsupported_charset", location="MSH-18")
    return codec


def decode(raw: bytes) -> Decoded:
    """Strict decoding: ``undecodable_bytes`` (AE) when the bytes break the declared set."""
    declared = declared_charset(raw)
    codec = codec_for(declared)
    try:
        return Decoded(raw.decode(codec), codec)
    except UnicodeDecodeError as exc:
        if not declared:
            return Decoded(raw.decode("iso-8859-1"), "iso-8859-1", FALLBACK_WARNING)
        raise Hl7Error(f"bytes {exc.start}-{exc.end} of the message are not valid {declared} "
                       "(the MSH-18 character set): fix MSH-18 or the bytes",
                       code="undecodable_bytes", location="MSH-18") from None
