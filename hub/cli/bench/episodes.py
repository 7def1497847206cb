"""``hub bench``, the episodes part: a worker holding N open episodes (issue: 1,000,000).

What a restart costs is rebuilding the due-work index of the worker's partitions. It is rebuilt
from ``episodes-due`` (one number per patient, ``agents.episodes``) kept in RocksDB as in
production: the bench writes N entries with ``rocksdict``, closes the store (the restart),
reopens it and rebuilds the index through ``agents.due.DueIndex``. The baseline, measured in the
same run, is the rebuild the index would need without that table: every full episode record
decoded and evaluated (timed on a sample, scaled to N, and labelled so). Memory is the index's
own (tracemalloc) and the process's peak RSS; the episodes table itself lives on disk, so its
size is given as N times the measured size of one record.
"""

from __future__ import annotations

import asyncio
import json
import resource
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hub.cli.bench.progress import Progress

BASELINE_SAMPLE = 20_000


def open_episode_record(zone: ZoneInfo) -> dict[str, Any]:
    """One realistic stored record: an A03 opened its episode with the full plan."""
    from hub.cli.bench.discharges import opened

    return opened(0, datetime(2026, 11, 23, 9, 0, tzinfo=zone), zone)


def measure_episodes(count: int, zone: ZoneInfo) -> dict[str, float]:
    from rocksdict import Rdict, WriteBatch

    from agents.due import DueIndex
    from hub.domain.episode.record import PatientRecord
    from hub.domain.episode.transitions import next_due

    record = open_episode_record(zone)
    serialized = json.dumps(record).encode()
    first_due = next_due(PatientRecord.from_dict(record))
    assert first_due is not None
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as folder:
        path = str(Path(folder) / "episodes-due")
        store = Rdict(path)
        batch = WriteBatch()
        progress = Progress("writing open episodes to RocksDB", count)
        for i in range(count):  # spread over the window, as real discharges are
            if i % 50_000 == 0:
                progress.update(i)
            when = first_due.timestamp() + (i % 40_000) * 60
            batch.put(f"GEN|{i}".encode(), json.dumps(when).encode())
        store.write(batch)
        store.close()  # the restart
        progress.done()

        def restart() -> DueIndex:
            store = Rdict(path)
            index = DueIndex()
            asyncio.run(index.rebuild(
                ((_text(key), json.loads(value)) for key, value in store.items()),
                lambda seconds: datetime.fromtimestamp(seconds, UTC)))
            store.close()
            return index

        start = time.perf_counter()
        index = restart()
        rebuild = time.perf_counter() - start
        del index
        tracemalloc.start()  # a second restart for the memory figure: tracemalloc is slow
        index = restart()
        index_bytes = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    assert len(index) == count and index.pop_due(first_due + timedelta(days=40))

    sample = min(count, BASELINE_SAMPLE) or 1
    start = time.perf_counter()
    for _ in range(sample):
        next_due(PatientRecord.from_dict(json.loads(serialized)))
    full_rebuild = (time.perf_counter() - start) / sample * count
    return {"episodes": count, "rebuild_s": rebuild, "rebuild_per_s": count / rebuild,
            "index_mib": index_bytes / 2**20, "full_rebuild_s": full_rebuild,
            "baseline_sample": sample, "ratio": full_rebuild / rebuild if rebuild else 0.0,
            "record_bytes": len(serialized), "table_gib": len(serialized) * count / 2**30,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _text(key: object) -> str:
    return key.decode() if isinstance(key, bytes) else str(key)
