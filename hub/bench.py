"""``hub bench``: figures, not assertions. The fast HL7 path against the hl7apy reference,
measured in the same run on the same messages, and the episode engine at scale."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from hub.errors import Hl7Error
from hub.hl7.extract import normalize
from hub.hl7.parse import split_messages
from hub.hl7.reference import reference_fields

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
        from hub.feed import Person, adt
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


def measure_episodes(count: int, zone: ZoneInfo) -> dict[str, float]:
    """Memory of ``count`` open episodes as table JSON, and the due-index rebuild time."""
    from agents.due import DueIndex
    from hub.domain.episode import PatientRecord
    from hub.domain.rules import TcmRules
    from hub.domain.transitions import apply_adt, next_due

    at = datetime(2026, 11, 23, 9, 0, tzinfo=zone)
    rules = TcmRules(zone=zone)
    template = apply_adt(None, {
        "event_type": "A03", "control_id": "T", "sending_facility": "GEN",
        "patient": {"key": "GEN|0", "given_name": "ANA", "language": "en", "phones": [
            {"e164": "+16175550188", "use": "PRN", "equipment": "CP"}], "invalid_phones": [],
            "deceased": False, "publicity_code": None, "protection": None},
        "visit": {"patient_class": "I", "discharge_at": at.isoformat(),
                  "discharge_disposition": "01", "admit_at": None}}, now=at, rules=rules
    ).record.to_dict()
    serialized = json.dumps(template)
    tracemalloc.start()  # each episode its own parsed JSON, as a store hands it back
    table = {f"GEN|{i}": json.loads(serialized) for i in range(count)}
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    start = time.perf_counter()
    index = DueIndex()
    index.rebuild(table.items(), lambda stored: next_due(PatientRecord.from_dict(stored)))
    rebuild = time.perf_counter() - start
    assert len(index) == count and index.pop_due(at + timedelta(days=40))
    return {"episodes": count, "memory_mib": memory / 2**20, "rebuild_s": rebuild,
            "rebuild_per_s": count / rebuild}


def run_bench(corpus: Path | None, *, seconds: float, episodes: int, out: TextIO) -> int:
    zone = ZoneInfo("America/New_York")
    messages = corpus_messages(corpus, zone)
    source = f"corpus {corpus}" if corpus is not None and corpus.is_dir() else "synthetic feed"
    n = measure_normalize(messages, zone, seconds)
    print(f"HL7 normalization ({source}, {n['messages']:.0f} messages, one core):", file=out)
    print(f"  fast path        {n['fast_per_s']:>10,.0f} msg/s   (target {TARGET_NORMALIZE:,})",
          file=out)
    print(f"  hl7apy reference {n['hl7apy_per_s']:>10,.0f} msg/s", file=out)
    print(f"  ratio            {n['ratio']:>10.1f} x", file=out)
    if episodes:
        e = measure_episodes(episodes, zone)
        print(f"Episodes table ({e['episodes']:,.0f} open episodes in one worker):", file=out)
        print(f"  memory as table JSON  {e['memory_mib']:>10,.0f} MiB", file=out)
        print(f"  due-index rebuild     {e['rebuild_s']:>10.2f} s  "
              f"({e['rebuild_per_s']:,.0f} episodes/s)", file=out)
    return 0
