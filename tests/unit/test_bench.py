"""``hub bench`` reports figures against a baseline of the same run (no timing assertions)."""

from __future__ import annotations

import io
from pathlib import Path

from hub.cli.bench.normalize import run_bench
from hub.cli.bench.phases import Phase, per_second, percentile


def test_bench_prints_fast_path_reference_and_ratio(corpus_dir: Path) -> None:
    """Speed is reported as figures and a ratio against hl7apy measured in the same run."""
    out = io.StringIO()
    status = run_bench(corpus_dir, seconds=0.2, episodes=200, out=out)
    text = out.getvalue()
    for label in ("fast path", "hl7apy reference", "ratio", "due-index rebuild", "MiB",
                  "baseline: from full records", "GiB"):
        assert label in text
    # issue 13: the step ends with its verdict, and the exit status says the same
    assert ("target   20,000 msg/s on one core: met" in text) == (status == 0)


def test_bench_falls_back_to_a_synthetic_feed_without_the_corpus(tmp_path: Path) -> None:
    """On a machine without the shared corpus the benchmark still runs."""
    out = io.StringIO()
    run_bench(tmp_path / "absent", seconds=0.1, episodes=0, out=out)
    assert "synthetic feed" in out.getvalue()


def test_the_pipeline_bench_figures_from_arrival_times() -> None:
    """Issue 9 speed: the rate-limit check counts the most requests inside any one second (a
    sliding window, not calendar seconds); rates and latencies come from the times recorded."""
    phase = Phase("outreach", [], None, {}, {})
    # 3 requests in [0.5, 1.4] span two calendar seconds but sit inside one sliding second
    phase.texted.update({"a": 0.5, "b": 0.9, "c": 1.4, "d": 2.6})
    assert phase.busiest_second() == 3
    phase.texted["e"] = 1.45
    assert phase.busiest_second() == 4
    assert per_second([0.0, 0.5, 1.0, 2.0]) == 1.5 and str(per_second([1.0])) == "nan"
    phase.acked.update({"a": 0.0, "b": 0.5, "z": 0.1})  # z never texted: no latency
    assert phase.latencies() == [0.4, 0.5]
    assert percentile([1.0, 2.0, 3.0], 50) == 2.0


def test_a_phase_says_how_busy_the_machine_and_the_worker_were() -> None:
    """Issue 9 speed: a p99 taken while every core is shared says so (the machine's cores and
    the worker's share of one); nothing is claimed where the CPU was not read."""
    import os

    from hub.cli.bench.report import machine

    phase = Phase("load", [], 200.0, {}, {})
    assert machine(phase, worker=True) == ""
    phase.busy, phase.worker_cpu, phase.seconds = 0.86, 4.25, 5.0
    assert machine(phase) == f"; the machine's {os.cpu_count()} cores 86% busy"
    assert machine(phase, worker=True).endswith("86% busy, the worker 0.85 of a core")


def test_the_worklist_bench_prints_figures_and_a_verdict() -> None:
    """Issue 12: the page against the API's rows, with the verdict (a small run)."""
    import io

    from hub.cli.bench.worklist import bench_worklist

    out = io.StringIO()
    status = bench_worklist(200, out)
    text = out.getvalue()
    assert "Worklist page of 200 open episodes" in text and "x the API" in text
    assert ("target   1.0 s for 10,000 episodes: met" in text) == (status == 0)
