"""The benches' discharges, made as the hub makes them: an HL7 A03 written by ``hub.cli.feed``
(as ``hub send`` writes one) and normalized by ``hub.hl7.extract``, then an episode opened by
the engine; never an event written by hand, which drifts from what normalize gives."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.cli.feed import Person, adt


def discharge(n: int, at: datetime, zone: ZoneInfo, facility: str = "GEN") -> dict[str, Any]:
    """Patient ``n``'s discharge home at ``at``, as the normalize stage emits it."""
    from hub.hl7.extract import normalize

    person = Person(str(n), "BENCH", f"PATIENT{n}", "19500101", "F", "(617) 555-0100")
    raw = adt("A03", person, control_id=f"B{n}", at=at, facility=facility, disposition="01",
              discharged_to="HOME", discharge_at=at)
    return normalize(raw, zone_for=lambda _: zone)


def opened(n: int, at: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """The stored record of the episode that discharge opened (the full plan)."""
    from hub.domain.episode.rules import TcmRules
    from hub.domain.episode.transitions import apply_adt

    return apply_adt(None, discharge(n, at, zone), now=at,
                     rules=TcmRules(zone=zone)).record.to_dict()
