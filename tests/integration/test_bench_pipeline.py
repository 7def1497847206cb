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
         "--seconds", "0.1", *options],
        capture_output=True, text=True, env=env, cwd=servers.REPO, timeout=600)


def seconds(line: str, label: str) -> float:
    found = re.search(rf"{label}\s+(\d+\.\d+) s", line)
    assert found, line
    return float(found.group(1))


def test_the_pipeline_bench_reports_its_phases_and_a_verdict(kafka: servers.Kafka,
                                                            tmp_path: Path) -> None:
    """Issue 9 speed: baseline and load latencies (p50, p99) from AA to the first Twilio
    request (timed at the HTTP stand-in), their ratio, the verdict against the README's target,
    texts a second; the outreach stage alone against the Twilio adapter alone, under the rate
    limit; the capacity again with a second worker in the group. Every patient of every phase
    was texted; the last line names the pipeline when one of its targets fell short, and the
    exit status says what that line says. A second run on the same broker is refused with one line
    and nothing else started."""
    done = bench(kafka.bootstrap, "--discharges", "80", "--rate", "40")
    verdict = done.stdout.strip().splitlines()[-1]
    assert verdict.startswith("Verdict: ") and "Not every patient" not in done.stdout, \
        done.stdout + done.stderr
    # the last line names the pipeline exactly when one of its target lines is not met
    pipeline = done.stdout[done.stdout.index("Discharge to first Twilio request"):]
    fell_short = re.search(r"^  target .*(NOT MET|does NOT grow)", pipeline, re.M)
    assert ("pipeline" in verdict) is bool(fell_short), done.stdout
    assert done.returncode == (1 if "NOT MET" in verdict else 0), done.stdout + done.stderr
    lines: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        if line.startswith("  "):
            lines.setdefault(line.split()[0], []).append(line)
    for phase in ("baseline", "load"):
        line = lines[phase][0]
        assert 0 < seconds(line, "p50") <= seconds(line, "p99"), line
    assert "(80 discharges;" in lines["load"][0] and "x the baseline's p99" in lines["load"][0]
    assert re.search(r"cores \d+% busy, the worker \d\.\d\d of a core\)$", lines["load"][0])
    # 80 discharges at 40/s are not the target's 5 s at 200/s, 80 sends not its 2 s at 500/s:
    # no verdict either way
    latency, sends, workers = lines["target"][-3:]  # after the normalization step's
    assert re.search(r"p99 <= 1\.0 s at 200 discharges/s: not judged \(", latency)
    assert re.search(r">= 500 sends/s, the limit honoured: not judged \(", sends)
    assert re.search(r"grows with workers \(x 1\.1 or more\): (grows with workers|not judged: "
                     r"every core|does NOT grow)", workers)
    one, two = lines["capacity"]
    assert re.search(r"capacity\s+\d+ texts/s end to end \(80 discharges", one)
    assert re.search(r"capacity\s+\d+ texts/s end to end\s+\(\d+\.\d\d x one worker's", two)
    assert re.search(r"stage\s+\d+ sends/s\s+\(busiest second \d+ requests: the 600/s limit "
                     r"honoured", lines["stage"][0])
    assert re.search(r"adapter alone\s+\d+ sends/s .*ratio \d+\.\d\d", lines["adapter"][0])
    assert re.search(r"one worker \d+\.\d\d ms, two workers \d+\.\d\d ms", lines["workers'"][0])
    assert "Traceback" not in done.stderr

    again = bench(kafka.bootstrap, "--discharges", "10")
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1 and "needs a broker of its own" in again.stderr
    assert "hl7.adt.raw" in again.stderr and again.stdout.count("Discharge to first") == 0
