"""``hub bench --worklist N``: the worklist page of N open episodes on one worker, phase by
phase, against the care-team API's own JSON of the same rows (the baseline a system gets),
with a verdict against the README's target (issue 12: 10,000 episodes under a second). The
records are made by the engine and stored as the table stores them; no server is involved, so
the figure is the worker's own work (the page's HTTP hop to its API adds a few milliseconds)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

TARGET_SECONDS = 1.0
NY = ZoneInfo("America/New_York")


def _records(count: int) -> list[dict[str, Any]]:
    from hub.cli.bench.discharges import opened

    return [opened(n, datetime(2026, 11, 2, 9, 0, tzinfo=NY) + timedelta(minutes=3 * n), NY)
            for n in range(count)]


def bench_worklist(count: int, out: Any) -> int:
    from hub.api import worklist
    from hub.domain.alerts.routing import Routing
    from hub.domain.episode.record import PatientRecord
    from hub.domain.episode.rules import TcmRules
    from hub.web import views
    from hub.web.accounts import User

    stored = _records(count)
    now = datetime(2026, 11, 20, 9, 0, tzinfo=NY)
    rules = TcmRules()
    filters = worklist.WorklistFilters(limit=count)
    times: dict[str, float] = {}

    def timed(name: str, work: Any) -> Any:
        started = time.perf_counter()
        result = work()
        times[name] = time.perf_counter() - started
        return result

    records = timed("decode", lambda: [PatientRecord.from_dict(s, listing=True)
                                       for s in stored])
    rows = timed("rows", lambda: worklist.collect(records, filters, now=now,
                                                   rules=lambda _: rules))
    body = timed("json", lambda: json.loads(json.dumps({"episodes": rows})))
    user = User("bench", "Bench", "admin", (), "")
    shown = timed("view", lambda: views.worklist_rows(body["episodes"], user=user,
                                                       routing=Routing(), team=None, now=now))
    page = timed("render", lambda: views.render(
        "worklist.html", user=user, csrf="x", page="worklist", query={}, teams=[],
        rows=shown, rows_html=views.rows_html(shown)))
    api = times["decode"] + times["rows"] + times["json"]
    total = sum(times.values())
    print(f"Worklist page of {count:,} open episodes (one worker, one core):", file=out)
    print(f"  API rows (baseline) {api:6.3f} s   (decode {times['decode']:.3f}, rows "
          f"{times['rows']:.3f}, JSON {times['json']:.3f})", file=out)
    print(f"  page               {total:6.3f} s   ({total / api:.2f} x the API; view "
          f"{times['view']:.3f}, render {times['render']:.3f}; {len(page) // 1024:,} KiB)",
          file=out)
    met = total <= TARGET_SECONDS * count / 10_000
    print(f"  target   {TARGET_SECONDS:.1f} s for 10,000 episodes: "
          f"{'met' if met else 'NOT MET'}", file=out)
    return 0 if met else 1
