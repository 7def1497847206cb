"""Every contested or per-facility choice of tcm-rules.md, as settings with the documented defaults."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.calendar import BusinessCalendar


@dataclass(frozen=True)
class TcmRules:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/New_York"))
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    # ADT-7: eligible PV1-36 codes; 07 (left against advice) eligible but flagged; 04/64 per site
    eligible_dispositions: frozenset[str] = frozenset({"01", "06", "07"})
    flagged_dispositions: frozenset[str] = frozenset({"07"})
    # TCM-6: PV1-2 classes that are an inpatient-type stay (observation is mapped per site)
    qualifying_classes: frozenset[str] = frozenset({"I"})
    # TCM-4 (CONTESTED): +7/+14 by default; strict reading +6/+13
    strict_visit_days: bool = False
    practice_name: str = "Your care team"
    callback_number: str = ""
    welcome_not_before: time = time(8, 0)
    call_at: time = time(10, 0)
    reminder_at: time = time(10, 0)


def rules_for_settings(settings: Any) -> Callable[[str], TcmRules]:
    """Rules per sending facility: the facility's zone, the hub's practice name and number."""
    cache: dict[str, TcmRules] = {}

    def rules(facility: str) -> TcmRules:
        if facility not in cache:
            cache[facility] = TcmRules(zone=settings.zone_for(facility),
                                       practice_name=settings.practice_name,
                                       callback_number=settings.callback_number)
        return cache[facility]

    return rules
