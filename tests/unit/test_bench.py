"""``hub bench`` reports figures against a baseline of the same run (no timing assertions)."""

from __future__ import annotations

import io
from pathlib import Path

from hub.cli.bench.normalize import run_bench


def test_bench_prints_fast_path_reference_and_ratio(corpus_dir: Path) -> None:
    """Speed is reported as figures and a ratio against hl7apy measured in the same run."""
    out = io.StringIO()
    assert run_bench(corpus_dir, seconds=0.2, episodes=200, out=out) == 0
    text = out.getvalue()
    for label in ("fast path", "hl7apy reference", "ratio", "due-index rebuild", "MiB",
                  "baseline: from full records", "GiB"):
        assert label in text


def test_bench_falls_back_to_a_synthetic_feed_without_the_corpus(tmp_path: Path) -> None:
    """On a machine without the shared corpus the benchmark still runs."""
    out = io.StringIO()
    run_bench(tmp_path / "absent", seconds=0.1, episodes=0, out=out)
    assert "synthetic feed" in out.getvalue()
