"""SMS segments (MSG-1: a message is one segment): GSM-7 vs UCS-2, the extension table, the
smaller concatenated sizes, and the folding of values to GSM."""

from __future__ import annotations

import pytest

from hub.domain.segments import encoding, length, segments, to_gsm


@pytest.mark.parametrize("text, expected, size, count", [
    ("", "GSM-7", 0, 1),
    ("Reply STOP to opt out", "GSM-7", 21, 1),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),  # 153 a segment once split
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("€" * 80, "GSM-7", 160, 1),  # extension characters take two septets
    ("€" * 81, "GSM-7", 162, 2),
    ("Vea a su médico, ¿está bien? Ñandú", "UCS-2", 34, 1),  # ú is not GSM
    ("é ñ ü ¿ ¡ à è", "GSM-7", 13, 1),
    ("días" + "a" * 66, "UCS-2", 70, 1),
    ("días" + "a" * 67, "UCS-2", 71, 2),  # 67 a segment once split
    ("“quoted”", "UCS-2", 8, 1),
    ("😀" * 35, "UCS-2", 70, 1),  # a surrogate pair is two code units
])
def test_encoding_length_and_segments(text: str, expected: str, size: int, count: int) -> None:
    """MSG-1: how many segments a text costs in the encoding it is sent in."""
    assert (encoding(text), length(text), segments(text)) == (expected, size, count)


@pytest.mark.parametrize("value, folded", [
    ("José", "José"), ("Íñigo", "Iñigo"), ("María-José", "María-José".replace("í", "i")),
    ("O\u2019Brien", "O'Brien"), ("“Care” — team…", '"Care" - team...'), ("Zoë", "Zoe"),
    ("李", "李"),
])
def test_values_are_folded_to_gsm_where_a_letter_has_a_base(value: str, folded: str) -> None:
    """MSG-1: one accented letter in a name must not make a text Unicode; a character with
    no GSM equivalent stays (the text is then measured as UCS-2)."""
    assert to_gsm(value) == folded
