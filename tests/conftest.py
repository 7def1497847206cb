"""Shared test fixtures: where the repo and the shared corpus are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "hl7"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The public ADT corpus, read in place (never copied into the repo)."""
    assert CORPUS.is_dir(), f"the shared corpus is expected beside the repo at {CORPUS}"
    return CORPUS
