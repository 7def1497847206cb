"""How many SMS segments a text costs (MSG-1: one message is one segment), GSM-7 or UCS-2.

A text whose every character is in the GSM 03.38 default alphabet (or its extension table, where
each character takes two septets) is sent as GSM-7: 160 septets in one segment, 153 a segment
once it is split. Any other character makes the whole text UCS-2: 70 UTF-16 code units in one
segment, 67 once split. ``to_gsm`` does what Twilio's Smart Encoding does for punctuation and
also folds accented letters the alphabet lacks ("á" -> "a"), for the values a template is filled
with (a first name, a practice name), so one stray character never triples a text.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")
_GSM = GSM_BASIC | GSM_EXTENSION
# Punctuation Smart Encoding replaces (Twilio's published list, the common part of it).
_PUNCTUATION = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"', "\u2018": "'", "\u2019": "'",
    "\u02bc": "'", "\u00b4": "'", "`": "'", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u200b": "",
})


def encoding(text: str) -> Encoding:
    return "GSM-7" if _GSM.issuperset(text) else "UCS-2"


def length(text: str) -> int:
    """Septets for GSM-7 (extension characters count two), UTF-16 code units for UCS-2."""
    if encoding(text) == "GSM-7":
        return len(text) + sum(1 for c in text if c in GSM_EXTENSION)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """1 for an empty or a short text; concatenated segments carry a header (153 / 67)."""
    single, multi = (160, 153) if encoding(text) == "GSM-7" else (70, 67)
    size = length(text)
    return 1 if size <= single else -(-size // multi)


def to_gsm(text: str) -> str:
    """Smart punctuation to plain, and accented letters the GSM alphabet lacks to their base
    letter ("José" stays, "Íñigo" -> "Iñigo"); other characters are kept (the text is UCS-2)."""
    text = text.translate(_PUNCTUATION)
    if _GSM.issuperset(text):
        return text
    out = []
    for char in text:
        if char in GSM_BASIC or char in GSM_EXTENSION:
            out.append(char)
            continue
        base = unicodedata.normalize("NFKD", char)[0]
        out.append(base if base in GSM_BASIC else char)
    return "".join(out)
