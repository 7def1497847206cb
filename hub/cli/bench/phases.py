"""The pipeline bench's phases: fictional patients (555-01xx numbers that reach nobody), what
each phase measured (AA and first Twilio request times, the machine's and the workers' CPU) and
the figures drawn from them."""

from __future__ import annotations

import os
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from hub.cli.feed import Person

RATE_LIMIT = 600  # the worker's configured Twilio limit (TWILIO_MAX_REQUESTS_PER_SECOND)
CONNECTIONS = 8  # MLLP connections the bench sends over
ZONE = ZoneInfo("America/New_York")
# 555-01xx numbers reach nobody; a hundred per area code, all in the Eastern time zone (the
# patient's local hours decide when a text may go)
AREA_CODES = ("617", "508", "781", "978", "413", "339", "351", "774", "857", "203",
              "212", "202", "305", "404", "904", "813", "614", "718", "646", "347",
              "917", "201", "973", "908", "732", "215", "267", "412", "301", "410",
              "216", "234", "248", "252", "260", "269", "272", "276", "302", "304",
              "313", "315", "321", "330", "336", "352", "386", "401", "407", "434",
              "440", "443", "470", "478", "484", "502", "513", "516", "518", "540")


@dataclass
class Phase:
    name: str
    people: list[Person]
    rate: float | None  # discharges a second; None: as fast as the connections go
    acked: dict[str, float]  # patient key -> wall time of its AA
    texted: dict[str, float]  # patient key -> wall time of its first provider request
    busy: float | None = None  # share of the machine's CPU time busy during the phase
    worker_cpu: float | None = None  # CPU seconds the workers used during the phase
    seconds: float | None = None  # wall time of the phase, its last text included

    def latencies(self) -> list[float]:
        return sorted(self.texted[k] - at for k, at in self.acked.items() if k in self.texted)

    def texts_per_second(self) -> float:
        return per_second(list(self.texted.values()))

    def busiest_second(self) -> int:
        """The most first requests that arrived within any one second."""
        times, most, first = sorted(self.texted.values()), 0, 0
        for last, at in enumerate(times):
            while at - times[first] >= 1.0:
                first += 1
            most = max(most, last - first + 1)
        return most


def per_second(times: list[float]) -> float:
    times = sorted(times)
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")


def people(first: int, count: int) -> list[Person]:
    return [Person(f"9{n:05d}", "BENCH", f"PAT{n}", "19500101", "F",
                   f"({AREA_CODES[n // 100]}) 555-01{n % 100:02d}")
            for n in range(first, first + count)]


def key(person: Person) -> str:
    return f"GENHOSP|{person.mrn}"


def e164(person: Person) -> str:
    return "+1" + "".join(c for c in person.phone if c.isdigit())


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def process_cpu(processes: list[subprocess.Popen[bytes]]) -> float | None:
    """CPU seconds (user and system) these processes used so far (Linux; None elsewhere)."""
    try:
        seconds = 0.0
        for process in processes:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return seconds
    except (OSError, ValueError, IndexError):
        return None


def cpu_times() -> tuple[int, int] | None:
    """(busy, total) CPU time of the whole machine so far, in ticks (Linux; None elsewhere):
    a worker that cannot go faster because every core is taken says so."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle and waiting for I/O
    return sum(ticks) - idle, sum(ticks)


