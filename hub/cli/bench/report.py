"""The pipeline bench's report: each phase's figures against its baseline and the README's
target, with a verdict (or "not judged" when the run cannot judge it)."""

from __future__ import annotations

import os
from typing import TextIO

from hub.cli.bench.phases import CONNECTIONS, RATE_LIMIT, Phase, percentile

TARGET_P99_S = 1.0  # issue 9: discharge to first Twilio request, p99, at TARGET_RATE
TARGET_RATE = 200.0  # discharges a second on one worker
TARGET_SECONDS = 5.0  # of sustained load, at least, for a verdict
TARGET_SENDS = 500.0  # sends a second out of the outreach stage of one worker
GROWN = 1.1  # two workers' capacity over one's, at least, for "grows with workers"
SATURATED = 0.95  # machine busy at least this share: no core left for another worker
def machine(phase: Phase, *, worker: bool = False) -> str:
    """The machine's CPU during the phase; with ``worker``, the (one) worker's share of a core
    too: a p99 measured while the broker, the senders and the worker share too few cores says
    so."""
    if phase.busy is None:
        return ""
    busy = f"; the machine's {os.cpu_count()} cores {phase.busy:.0%} busy"
    if worker and phase.worker_cpu is not None and phase.seconds:
        busy += f", the worker {phase.worker_cpu / phase.seconds:.2f} of a core"
    return busy


def report(phases: list[Phase], where: str, rate: float, adapter_alone: float, complete: bool,
            embedded: bool, out: TextIO) -> list[str]:
    """Prints the figures and verdicts; returns the targets this run judged not met."""
    missed: list[str] = []
    baseline, load, capacity, outreach, _, two = phases
    base, loaded = baseline.latencies(), load.latencies()
    print(f"Discharge to first Twilio request (one worker, rocksdb://, {where}; Twilio: the "
          f"HTTP stand-in, limit {RATE_LIMIT}/s):", file=out)
    print(f"  baseline {baseline.rate:>5.0f}/s  p50 {percentile(base, 50):6.2f} s  "
          f"p99 {percentile(base, 99):6.2f} s   ({len(base)} discharges)", file=out)
    p99 = percentile(loaded, 99)
    if rate < TARGET_RATE or len(load.people) < TARGET_SECONDS * TARGET_RATE:
        verdict = (f"not judged (the target holds for {TARGET_SECONDS:.0f} s of load: "
                   f"--rate {TARGET_RATE:.0f} --discharges {TARGET_SECONDS * TARGET_RATE:.0f})")
    else:
        verdict = "met" if complete and p99 <= TARGET_P99_S else "NOT MET"
        if verdict != "met":
            missed.append("first Twilio request p99")
    print(f"  load     {rate:>5.0f}/s  p50 {percentile(loaded, 50):6.2f} s  p99 {p99:6.2f} s   "
          f"({len(loaded)} discharges; {p99 / percentile(base, 99):.1f} x the baseline's p99"
          f"{machine(load, worker=True)})", file=out)
    print(f"  target   p99 <= {TARGET_P99_S:.1f} s at {TARGET_RATE:.0f} discharges/s: {verdict}",
          file=out)
    print(f"  capacity {capacity.texts_per_second():>8.0f} texts/s end to end "
          f"({len(capacity.texted)} discharges sent as fast as {CONNECTIONS} connections go"
          f"{machine(capacity)})", file=out)
    sends, busiest = outreach.texts_per_second(), outreach.busiest_second()
    honoured = busiest <= RATE_LIMIT + 1  # evenly spaced: one more at a second's edge
    print(f"Outreach stage alone ({len(outreach.texted)} send commands on outreach.commands):",
          file=out)
    print(f"  stage    {sends:>8.0f} sends/s   (busiest second {busiest} requests: the "
          f"{RATE_LIMIT}/s limit {'honoured' if honoured else 'EXCEEDED'}{machine(outreach)})",
          file=out)
    print(f"  adapter alone {adapter_alone:>5.0f} sends/s   (the Twilio adapter to the same "
          f"stand-in, no Kafka; ratio {sends / adapter_alone:.2f})", file=out)
    if len(outreach.people) < 2 * TARGET_SENDS:
        verdict = (f"not judged (the target holds for 2 s of sends: --discharges "
                   f"{2 * TARGET_SENDS:.0f})")
    else:
        verdict = "met" if complete and honoured and sends >= TARGET_SENDS else "NOT MET"
        if verdict != "met":
            missed.append("outreach sends/s")
    print(f"  target   >= {TARGET_SENDS:.0f} sends/s, the limit honoured: {verdict}", file=out)
    if embedded:
        print("Two workers in one group: measured on Kafka only (KAFKA_BOOTSTRAP_SERVERS); the "
              "embedded broker reports a changelog's end one short of the offsets it "
              "acknowledged, which a worker's RocksDB tables refuse at a rebalance", file=out)
        return missed
    grown = two.texts_per_second() / capacity.texts_per_second()
    if grown >= GROWN:
        verdict = "grows with workers"
    elif two.busy is not None and two.busy >= SATURATED:
        verdict = ("not judged: every core of this machine was busy (a second worker has no "
                   "core of its own here; compare the workers' CPU a text)")
    else:
        verdict = "does NOT grow with workers"
    if verdict == "does NOT grow with workers" or not complete:
        missed.append("growth with workers")
    print(f"Two workers in one group (the capacity phase again, {CONNECTIONS} connections over "
          f"both listeners):", file=out)
    print(f"  capacity {two.texts_per_second():>8.0f} texts/s end to end   ({grown:.2f} x one "
          f"worker's {capacity.texts_per_second():.0f}{machine(two)})", file=out)
    print(f"  workers' CPU a text  one worker {cost(capacity)}, two workers {cost(two)}",
          file=out)
    print(f"  target   throughput grows with workers (x {GROWN:.1f} or more): "
          f"{verdict if complete else 'NOT MET'}", file=out)
    return missed


def cost(phase: Phase) -> str:
    if phase.worker_cpu is None or not phase.texted:
        return "unknown"
    return f"{1000 * phase.worker_cpu / len(phase.texted):.2f} ms"
