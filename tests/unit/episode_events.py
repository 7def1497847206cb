"""AdtEvent dicts for the engine's tests, as the normalizer makes them."""

from __future__ import annotations

from typing import Any

KEY = "GEN|77"


def adt_event(event_type: str, control_id: str, *, discharge_at: str | None = None,
              disposition: str | None = "01", patient_class: str = "I", deceased: bool = False,
              phones: list[dict[str, Any]] | None = None, language: str = "en",
              publicity_code: str | None = None) -> dict[str, Any]:
    return {
        "event_type": event_type, "control_id": control_id, "sending_facility": "GEN",
        "patient": {"key": KEY, "given_name": "ANA", "language": language,
                    "phones": phones if phones is not None else [
                        {"e164": "+16175550188", "use": "PRN", "equipment": "CP"}],
                    "invalid_phones": [], "deceased": deceased, "publicity_code": publicity_code,
                    "protection": None},
        "visit": {"patient_class": patient_class, "discharge_at": discharge_at,
                  "discharge_disposition": disposition, "admit_at": None},
    }
