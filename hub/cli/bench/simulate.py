"""``hub bench --simulate N``: the dry run over N discharges spread across 30 days, against the
same dry run over a quarter of them in the same run. Linear time means the cost of one
discharge does not grow with the feed (issue 13: 20,000 discharges over 30 days in under a
minute; a scan of every record per step made it quadratic)."""

from __future__ import annotations

import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from hub.cli.bench.progress import Progress
from hub.cli.feed import Person, adt
from hub.cli.simulate import stream
from hub.domain.episode.rules import TcmRules

TARGET_SECONDS = 60.0  # for TARGET_DISCHARGES
TARGET_DISCHARGES = 20_000
LINEAR = 1.5  # a discharge of the whole feed may cost this many times one of its quarter
ZONE = ZoneInfo("America/New_York")


def write_feed(path: Path, count: int) -> None:
    start = datetime(2026, 11, 2, 8, 0, tzinfo=ZONE)
    with path.open("wb") as out:
        for i in range(count):
            at = start + timedelta(seconds=i * 30 * 86_400 // max(count, 1))
            person = Person(f"{100_000 + i}", "DOE", "JO", "19600101", "F",
                            f"(617) 5{(i // 10_000) % 10}{(i // 1000) % 10}-{i % 10_000:04d}")
            out.write(adt("A03", person, control_id=f"SIM{i}", at=at, disposition="01",
                          discharged_to="HOME", discharge_at=at))


def timed_run(feed: Path, label: str, count: int) -> tuple[float, int]:
    """Seconds for the whole dry run (every action consumed as it streams), and its actions."""
    progress = Progress(f"simulate {label}, episodes opened", count)
    actions = opened = 0
    start = time.perf_counter()
    for action in stream([feed], rules_for=lambda _: TcmRules(), zone_for=lambda _: ZONE):
        actions += 1
        if action["action"] == "episode_opened":
            opened += 1
            progress.update(opened)
    elapsed = time.perf_counter() - start
    progress.done()
    return elapsed, actions


def bench_simulate(count: int, out: TextIO) -> int:
    quarter = max(count // 4, 1)
    with tempfile.TemporaryDirectory(prefix="hub-bench-simulate-") as folder:
        small, whole = Path(folder) / "quarter.hl7", Path(folder) / "whole.hl7"
        write_feed(small, quarter)
        write_feed(whole, count)
        base_s, base_actions = timed_run(small, f"{quarter:,} discharges", quarter)
        whole_s, whole_actions = timed_run(whole, f"{count:,} discharges", count)
    per_base, per_whole = base_s / quarter, whole_s / count
    growth = per_whole / per_base if per_base else float("inf")
    allowed = TARGET_SECONDS * count / TARGET_DISCHARGES
    print(f"Dry run (hub simulate, discharges spread over 30 days, {ZONE.key}):", file=out)
    print(f"  baseline {quarter:>7,} discharges {base_s:>7.1f} s   ({base_actions:,} actions, "
          f"{per_base * 1000:.2f} ms a discharge)", file=out)
    print(f"  feed     {count:>7,} discharges {whole_s:>7.1f} s   ({whole_actions:,} actions, "
          f"{per_whole * 1000:.2f} ms a discharge; {growth:.2f} x the baseline's)", file=out)
    met = whole_s <= allowed and growth <= LINEAR
    scaled = "" if count == TARGET_DISCHARGES else f" (scaled to {count:,}: {allowed:.1f} s)"
    print(f"  target   {TARGET_DISCHARGES:,} discharges in {TARGET_SECONDS:.0f} s{scaled}, "
          f"linear (a discharge at most {LINEAR} x the baseline's): "
          f"{'met' if met else 'NOT MET'}", file=out)
    return 0 if met else 1
