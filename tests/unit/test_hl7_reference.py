"""The fast path extracts the same values as the hl7apy reference on every corpus message."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.cli.bench.reference import FIELDS, fast_fields, reference_fields
from hub.errors import Hl7Error
from hub.hl7.extract import normalize
from hub.hl7.parse import split_messages
from tests.conftest import CORPUS

NY = ZoneInfo("America/New_York")


def accepted() -> list[tuple[str, int, bytes]]:
    out = []
    for path in sorted(CORPUS.glob("*.hl7")):
        for index, message in enumerate(split_messages(path.read_bytes())):
            try:
                normalize(message, zone_for=lambda _: NY)
            except Hl7Error:
                continue
            out.append((path.name, index, message))
    return out


@pytest.mark.parametrize("name, index, message", accepted(),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_fast_path_equals_hl7apy_reference(corpus_dir: Path, name: str, index: int,
                                           message: bytes) -> None:
    """ADT-1/2/3/7: the fast extraction agrees with hl7apy's full parse, field by field."""
    fast = fast_fields(normalize(message, zone_for=lambda _: NY))
    assert fast == reference_fields(message, zone_for=lambda _: NY)
    assert set(fast) == set(FIELDS)


def test_the_comparison_covers_most_of_the_corpus() -> None:
    """The equality test is not vacuous: it runs on dozens of real messages."""
    assert len(accepted()) >= 45


def test_every_compared_field_has_a_value_somewhere_in_the_corpus() -> None:
    """ADT-1/2/3/5/7: no compared field is empty (or False) on every message, so each equality
    is checked on real values, not on two nulls."""
    values = [reference_fields(message, zone_for=lambda _: NY) for _n, _i, message in accepted()]
    assert [name for name in FIELDS if not any(v[name] for v in values)] == []
