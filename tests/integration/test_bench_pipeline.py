"""``hub bench --pipeline`` through a real ``hub worker`` on a broker of its own: the figures of
its three phases and a verdict (no timing asserted), and the refusal of a broker that already
holds discharges (a live hub would text the benchmark's patients)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.integration import servers
from tests.integration.test_crash import kafka

__all__ = ["kafka"]  # a broker of this test's own: the pipeline bench refuses a used one


def bench(bootstrap: str, *options: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "NO_PROXY": "127.0.0.1"}
    return subprocess.run(
        [sys.executable, "-m", "hub", "bench", "--pipeline", "--episodes", "0",
         "--seconds", "0.1", "--corpus", "no-such-folder", *options],
        capture_output=True, text=True, env=env, cwd=servers.REPO, timeout=600)


def seconds(line: str, label: str) -> float:
    found = re.search(rf"{label}\s+(\d+\.\d+) s", line)
    assert found, line
    return float(found.group(1))


def test_the_pipeline_bench_reports_its_phases_and_a_verdict(kafka: servers.Kafka,
                                                            tmp_path: Path) -> None:
    """Issue 9 speed: baseline and load latencies (p50, p99) from AA to the first Twilio
    request, their ratio, the verdict against the README's target, and texts a second; every
    patient of every phase was texted (exit 0). A second run on the same broker is refused
    with one line and nothing else started."""
    done = bench(kafka.bootstrap, "--discharges", "80", "--rate", "40")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines()
             if line.startswith("  ")}
    for phase in ("baseline", "load"):
        assert 0 < seconds(lines[phase], "p50") <= seconds(lines[phase], "p99"), lines[phase]
    assert "(80 discharges;" in lines["load"] and "x the baseline's p99" in lines["load"]
    # 80 discharges at 40/s are not the target's 5 s at 200/s: no verdict either way
    assert re.search(r"p99 <= 1\.0 s at 200 discharges/s: not judged \(", lines["target"])
    assert re.search(r"capacity\s+\d+ texts/s end to end \(80 discharges", lines["capacity"])
    assert "Traceback" not in done.stderr

    again = bench(kafka.bootstrap, "--discharges", "10")
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1 and "needs a broker of its own" in again.stderr
    assert "hl7.adt.raw" in again.stderr and again.stdout.count("Discharge to first") == 0
