"""Per-facility rule overrides from JSON (``HUB_FACILITY_RULES``): every contested choice of
tcm-rules.md, and each site's mappings, without a code change (§5: every default is a setting).

    {"*":       {"caregiver_fallback": false},
     "GENHOSP": {"nursing_facility_eligible": true,
                 "disposition_aliases": {"home": "01"},
                 "observation_classes": ["O"],
                 "publicity_restrictions": {"01": ["no_reminders"], "N": ["no_calls"]},
                 "schedule": {"call_at": "11:00", "checkin_days": [7, 14]}}}

``"*"`` applies to every facility, a facility's own entry on top. Values are checked here, at
start-up, with the facility and setting named: a typo must stop the deployment, not quietly
leave a default in place. The zone, the holiday calendar and the TCM-4 day counting have their
own variables; the practice name and callback number are hub-wide (the call's script is
rendered from them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import time
from typing import Any

from hub.domain.episode.rules import OutreachSchedule
from hub.errors import ConfigError

RESTRICTIONS = frozenset({"no_reminders", "no_calls", "no_automated_outreach"})
_NOT_HERE = frozenset({"zone", "calendar", "strict_visit_days", "practice_name",
                       "callback_number"})


def _codes(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("a list of codes (strings)")
    return frozenset(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("a whole number")
    return value


def _aliases(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                              for k, v in value.items()):
        raise ValueError("an object of local value -> table 0112 code")
    return dict(value)


def _publicity(value: Any) -> dict[str, frozenset[str]]:
    if not isinstance(value, dict):
        raise ValueError("an object of PD1-11 code -> list of restrictions")
    out = {}
    for code, names in value.items():
        chosen = _codes(names)
        if unknown := chosen - RESTRICTIONS:
            raise ValueError(f"unknown restrictions {sorted(unknown)} (use {sorted(RESTRICTIONS)})")
        out[code.strip().upper()] = chosen  # looked up upper case (restrictions_for)
    return out


def _schedule(value: Any) -> OutreachSchedule:
    if not isinstance(value, dict):
        raise ValueError("an object of schedule settings")
    known = {f.name for f in fields(OutreachSchedule)}
    if unknown := set(value) - known:
        raise ValueError(f"unknown schedule settings {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, raw in value.items():
        if name.endswith("_at"):
            values[name] = time.fromisoformat(raw) if isinstance(raw, str) else _bad("HH:MM")
        elif name == "visit_alert_days_before":
            values[name] = _count(raw)
        else:
            if not isinstance(raw, list) or not all(isinstance(d, int) for d in raw):
                raise ValueError(f"{name}: a list of days after discharge")
            values[name] = tuple(raw)
    return OutreachSchedule(**values)


def _bad(expected: str) -> Any:
    raise ValueError(expected)


READERS: Mapping[str, Callable[[Any], Any]] = {
    "eligible_dispositions": _codes, "flagged_dispositions": _codes,
    "nursing_facility_dispositions": _codes, "nursing_facility_eligible": _flag,
    "disposition_aliases": _aliases, "ineligible_destinations": _codes,
    "qualifying_classes": _codes, "observation_classes": _codes,
    "observation_services": _codes, "attempts_for_billing": _count,
    "caregiver_fallback": _flag, "publicity_restrictions": _publicity,
    "protected_outreach": _flag, "schedule": _schedule,
}


def read_overrides(data: Any, source: str) -> dict[str, dict[str, Any]]:
    """The JSON object of ``source`` as ``RulesBook`` overrides (``"*"`` kept as it is)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected an object of facility -> settings")
    overrides: dict[str, dict[str, Any]] = {}
    for facility, settings in data.items():
        if not isinstance(settings, dict):
            raise ConfigError(f"{source}: {facility!r} must map setting names to values")
        converted = {}
        for name, value in settings.items():
            if name in _NOT_HERE:
                raise ConfigError(f"{source}: {facility!r}: {name} has its own variable (see "
                                  "the README's configuration table), not this file")
            reader = READERS.get(name)
            if reader is None:
                raise ConfigError(f"{source}: {facility!r}: unknown setting {name!r} "
                                  f"(known: {', '.join(sorted(READERS))})")
            try:
                converted[name] = reader(value)
            except ValueError as exc:
                raise ConfigError(f"{source}: {facility!r}: {name}: expected {exc}") from None
        overrides[facility] = converted
    return overrides
