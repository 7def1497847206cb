"""Every contested or per-facility choice of tcm-rules.md, as settings with the documented defaults.

One ``TcmRules`` per sending facility (MSH-4). ``RulesBook`` picks it: the hub-wide default with
the facility's overrides applied, built once at start-up and checked there (a practice name too
long for a 160-character text fails the deployment, not the first discharge).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import time
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.calendar import BusinessCalendar
from hub.domain.template_check import check_templates
from hub.errors import ConfigError

# ADT-5: PD1-11 publicity codes (table 0215) -> what they forbid. 01 = no reminder/recall,
# 03 = reminder/recall, no calls. The base-table code N is mapped per site.
DEFAULT_PUBLICITY = MappingProxyType({"01": frozenset({"no_reminders"}),
                                      "03": frozenset({"no_calls"})})


@dataclass(frozen=True)
class OutreachSchedule:
    """§5 times, facility-local. Quiet hours and caps are the outreach stage's job (MSG-1/3);
    these are only when the plan *wants* each step."""

    call_at: time = time(10, 0)  # business day 1 after discharge
    reminder_days: tuple[int, int] = (3, 5)  # visit reminder: first free day in this range
    reminder_at: time = time(10, 0)
    checkin_days: tuple[int, ...] = (7, 14, 21, 28)
    checkin_at: time = time(10, 0)
    due_today_alert_at: time = time(8, 0)  # "start of business day 2" escalation
    # TCM-4: "visit not recorded" this many days before the 99495 date, at due_today_alert_at
    visit_alert_days_before: int = 2


@dataclass(frozen=True)
class TcmRules:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/New_York"))
    # TCM-3 (CONTESTED holidays): US federal by default, per facility override
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    # ADT-7: eligible PV1-36 codes; 07 (left against advice) eligible and flagged
    eligible_dispositions: frozenset[str] = frozenset({"01", "06", "07"})
    flagged_dispositions: frozenset[str] = frozenset({"07"})
    # TCM-7 (CONTESTED): 04 custodial/ICF and 64 Medicaid NF count only where the site says so
    nursing_facility_dispositions: frozenset[str] = frozenset({"04", "64"})
    nursing_facility_eligible: bool = False
    # free-text or local PV1-36 values the site maps to a table-0112 code, e.g. {"home": "01"}
    disposition_aliases: Mapping[str, str] = field(default_factory=dict)
    # PV1-37 discharged-to codes that mean a non-qualifying place (a SNF) at this site
    ineligible_destinations: frozenset[str] = frozenset()
    # TCM-6: PV1-2 classes that are an inpatient-type stay (I inpatient, B obstetrics)
    qualifying_classes: frozenset[str] = frozenset({"I", "B"})
    # ADT-7: table 0004 has no "observation": the site says which PV1-2 / PV1-10 values mean it
    observation_classes: frozenset[str] = frozenset()
    observation_services: frozenset[str] = frozenset()
    # TCM-4 (CONTESTED): +7/+14 by default; strict reading (discharge date = day 1) +6/+13
    strict_visit_days: bool = False
    # TCM-3: documented timely unsuccessful attempts that stand in for the contact when billing
    attempts_for_billing: int = 2
    # MSG-1: the provider named in every message, and the number patients call
    practice_name: str = "Your care team"
    callback_number: str = ""
    # ADT-6: a caregiver's phone only where the facility allows it, and only without a patient phone
    caregiver_fallback: bool = False
    # ADT-5: PD1-11 code -> restrictions; PD1-12 = Y: no automated outreach unless allowed here
    publicity_restrictions: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: dict(DEFAULT_PUBLICITY))
    protected_outreach: bool = False
    schedule: OutreachSchedule = field(default_factory=OutreachSchedule)

    @property
    def visit_days(self) -> tuple[int, int]:
        """TCM-4: days after the discharge date for the 99496 and 99495 visits."""
        return (6, 13) if self.strict_visit_days else (7, 14)

    def check(self) -> TcmRules:
        """Refuse settings that would break a rule on the first send (MSG-1 length)."""
        low, high = self.schedule.reminder_days
        if not 1 <= low <= high:
            raise ConfigError("schedule.reminder_days must be (first, last) days after discharge")
        check_templates(self.practice_name, self.callback_number)
        return self


@dataclass(frozen=True)
class RulesBook:
    """The rules for each sending facility: ``default`` with that facility's overrides."""

    default: TcmRules = field(default_factory=TcmRules)
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        known = {f.name for f in fields(TcmRules)}
        for facility, values in self.overrides.items():
            if unknown := set(values) - known:
                raise ConfigError(f"rules for {facility!r}: unknown settings {sorted(unknown)}")
        self.default.check()
        for facility in self.overrides:
            self.for_facility(facility).check()

    def for_facility(self, facility: str) -> TcmRules:
        values = self.overrides.get(facility)
        return replace(self.default, **values) if values else self.default


def rules_for_settings(settings: Any,
                       overrides: Mapping[str, Mapping[str, Any]] | None = None
                       ) -> Callable[[str], TcmRules]:
    """Rules per sending facility: the facility's zone and holiday calendar from the settings,
    the hub's practice name, number and TCM-4 day counting, then the overrides (by default the
    settings' ``facility_rules``, ``HUB_FACILITY_RULES``: ``"*"`` for every facility, then the
    facility's own). Checked once, here (ConfigError at start-up)."""
    if overrides is None:
        overrides = getattr(settings, "facility_rules", None) or {}
    everywhere = overrides.get("*", {})
    overrides = {facility: {**everywhere, **values} for facility, values in overrides.items()
                 if facility != "*"}
    base = replace(TcmRules(zone=settings.default_zone, calendar=settings.holidays,
                            strict_visit_days=settings.strict_visit_days,
                            practice_name=settings.practice_name,
                            callback_number=settings.callback_number), **everywhere)
    book = RulesBook(base, overrides)
    cache: dict[str, TcmRules] = {}

    def rules(facility: str) -> TcmRules:
        if facility not in cache:
            chosen = book.for_facility(facility)
            overridden = overrides.get(facility, {})
            if "zone" not in overridden:
                chosen = replace(chosen, zone=settings.zone_for(facility))
            if "calendar" not in overridden:
                chosen = replace(chosen, calendar=settings.holidays_for(facility))
            cache[facility] = chosen
        return cache[facility]

    return rules
