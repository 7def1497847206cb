"""``hub bench``: figures, not assertions. The fast HL7 path against the hl7apy reference,
measured in the same run on the same messages, and the episode engine at scale."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from hub.cli.bench.reference import reference_fields
from hub.errors import Hl7Error, InputError
from hub.hl7.extract import normalize
from hub.hl7.parse import split_messages

TARGET_NORMALIZE = 20_000  # messages/s on one core (issue: hot path)


def _rate(work: Callable[[bytes], Any], messages: list[bytes], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for message in messages:
            work(message)
        count += len(messages)
    return count / elapsed


def corpus_messages(directory: Path | None, zone: ZoneInfo) -> list[bytes]:
    if directory is not None and directory.is_dir():
        raw = [m for p in sorted(directory.glob("*.hl7")) for m in split_messages(p.read_bytes())]
    else:
        from hub.cli.feed import Person, adt
        at = datetime(2026, 11, 23, 9, 0, tzinfo=zone)
        raw = [adt(ev, Person(str(i), "DOE", "ANA", "19600101", "F", "(617) 555-0188"),
                   control_id=f"B{i}", at=at, disposition="01", discharge_at=at)
               for i, ev in enumerate(["A01", "A03", "A08", "A04"] * 10)]
    good = []
    for message in raw:
        try:
            normalize(message, zone_for=lambda _: zone)
            good.append(message)
        except Hl7Error:
            continue
    return good


def measure_normalize(messages: list[bytes], zone: ZoneInfo, seconds: float) -> dict[str, float]:
    fast = _rate(lambda m: normalize(m, zone_for=lambda _: zone), messages, seconds)
    reference = _rate(lambda m: reference_fields(m, zone_for=lambda _: zone), messages,
                      max(seconds / 2, 0.2))
    return {"messages": len(messages), "fast_per_s": fast, "hl7apy_per_s": reference,
            "ratio": fast / reference, "target_per_s": TARGET_NORMALIZE}


def run_bench(corpus: Path | None, *, seconds: float, episodes: int, out: TextIO) -> int:
    zone = ZoneInfo("America/New_York")
    messages = corpus_messages(corpus, zone)
    if not messages:
        raise InputError(f"--corpus {corpus}: no HL7 message in it that the hub reads")
    source = f"corpus {corpus}" if corpus is not None and corpus.is_dir() else "synthetic feed"
    n = measure_normalize(messages, zone, seconds)
    print(f"HL7 normalization ({source}, {n['messages']:.0f} messages, one core):", file=out)
    print(f"  fast path        {n['fast_per_s']:>10,.0f} msg/s", file=out)
    print(f"  hl7apy reference {n['hl7apy_per_s']:>10,.0f} msg/s", file=out)
    print(f"  ratio            {n['ratio']:>10.1f} x", file=out)
    met = n["fast_per_s"] >= TARGET_NORMALIZE
    print(f"  target   {TARGET_NORMALIZE:,} msg/s on one core: {'met' if met else 'NOT MET'}",
          file=out)
    if episodes:
        from hub.cli.bench.episodes import measure_episodes
        e = measure_episodes(episodes, zone)
        print(f"Episodes ({e['episodes']:,.0f} open episodes on one worker, RocksDB store):",
              file=out)
        print(f"  due-index rebuild after a restart {e['rebuild_s']:>8.2f} s   "
              f"({e['rebuild_per_s']:,.0f} episodes/s, from episodes-due)", file=out)
        print(f"  baseline: from full records       {e['full_rebuild_s']:>8.2f} s   "
              f"(measured on {e['baseline_sample']:,.0f}, scaled; ratio {e['ratio']:.1f} x)",
              file=out)
        print(f"  due-index memory                  {e['index_mib']:>8,.0f} MiB", file=out)
        print(f"  peak process RSS                  {e['peak_rss_mib']:>8,.0f} MiB", file=out)
        print(f"  episodes table on disk            {e['table_gib']:>8.2f} GiB   "
              f"({e['record_bytes']:,.0f} bytes a record, not held in memory)", file=out)
        print("  target   none (figures for sizing a worker)", file=out)
    return 0 if met else 1
