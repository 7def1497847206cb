"""AdtEvent dicts for the engine's tests, shaped as the normalizer makes them (schemas/adt_event),
and the fixed rules and times the engine tests share."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.episode.record import PatientRecord
from hub.domain.episode.rules import TcmRules
from hub.domain.episode.transitions import apply_adt

KEY = "GEN|77"
NY = ZoneInfo("America/New_York")
RULES = TcmRules(practice_name="Riverside Primary Care", callback_number="+16175550100")
DISCHARGE = "2026-11-23T09:30:00-05:00"  # a Monday
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
MOBILE = {"e164": "+16175550188", "use": "PRN", "equipment": "CP"}


def adt_event(event_type: str, control_id: str, *, discharge_at: str | None = None,
              disposition: str | None = "01", patient_class: str = "I", deceased: bool = False,
              phones: list[dict[str, Any]] | None = None, language: str | None = "en",
              publicity_code: str | None = None, protection: bool | None = None,
              visit_number: str | None = None, key: str = KEY, given_name: str = "ANA",
              hospital_service: str | None = "MED", discharged_to: str | None = None,
              caregivers: list[dict[str, Any]] | None = None,
              prior_key: str | None = None) -> dict[str, Any]:
    return {
        "event_type": event_type, "message_code": "ADT", "message_structure": "ADT_A01",
        "control_id": control_id, "sending_application": "ADT1", "sending_facility": "GEN",
        "receiving_application": "HUB", "receiving_facility": "HUB", "hl7_version": "2.5",
        "processing_id": "P", "charset": None, "message_time": None, "recorded_at": None,
        "occurred_at": None,
        "patient": {"key": key, "mrn": key.split("|")[1], "identifiers": [],
                    "family_name": "RIVERA", "given_name": given_name, "birth_date": "1950-01-01",
                    "sex": "F", "phones": [MOBILE] if phones is None else phones,
                    "invalid_phones": [], "email": None, "language": language,
                    "deceased": deceased, "deceased_at": None, "publicity_code": publicity_code,
                    "protection": protection},
        "visit": {"patient_class": patient_class, "visit_number": visit_number,
                  "hospital_service": hospital_service, "location": None, "admit_at": None,
                  "discharge_at": discharge_at, "discharge_time_source": "PV1-45"
                  if discharge_at else None, "discharge_disposition": disposition,
                  "discharged_to": discharged_to},
        "caregivers": caregivers or [],
        "merge": {"prior_identifiers": [], "prior_key": prior_key} if prior_key else None,
        "warnings": [],
    }


def opened(rules: TcmRules = RULES, **overrides: Any) -> PatientRecord:
    """A patient with an open episode: discharged home Monday 23 Nov 2026 09:30 New York."""
    values: dict[str, Any] = {"discharge_at": DISCHARGE, "visit_number": "V1", **overrides}
    return apply_adt(None, adt_event("A03", "C1", **values), now=NOW, rules=rules).record


def at(text: str) -> datetime:
    """A New York wall time, ``"2026-11-24 10:00"``."""
    return datetime.fromisoformat(text).replace(tzinfo=NY)
