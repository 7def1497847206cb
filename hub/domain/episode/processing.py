"""MSH-11 processing id (HL7 table 0103): only a production message acts on a patient.

Integration teams send training (``T``) and debugging (``D``) messages through the same feed,
often with real MRNs copied from production. Such a message must never text or call anyone, and
must never change a real patient's episode (a test A01 pausing a real discharge's outreach, a
test A40 merging real records). So by default (``HUB_NON_PRODUCTION=record``) it is kept apart:
every patient key it carries is prefixed ``TEST|``, its episodes are flagged ``not_production``
and release no outreach, and the integration team sees what the hub would have done. With
``refuse`` it is answered AR at the door (kept in ``hl7.adt.rejected``). Only ``P`` acts: an
empty or unknown processing id is not production (HL7 makes MSH-11 required). Nor does a
production message whose processing mode (MSH-11.2) is an archive (``A``), a restore from one
(``R``) or an initial load (``I``): those replay history, and a patient discharged months ago
must not get a welcome text today. ``T`` or empty in MSH-11.2 is current processing.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

Mode = Literal["production", "training", "debugging", "missing", "unknown", "archive",
               "restore", "initial_load"]
NOT_PRODUCTION = "not_production"  # the episode flag
KEY_PREFIX = "TEST|"
_MODES: dict[str, Mode] = {"P": "production", "T": "training", "D": "debugging", "": "missing"}
_HISTORY: dict[str, Mode] = {"A": "archive", "R": "restore", "I": "initial_load"}


def processing_mode(processing_id: str | None) -> Mode:
    """MSH-11.1, and for production MSH-11.2 (the processing mode: ``P^I`` is an initial
    load, not production)."""
    first, _, second = (processing_id or "").partition("^")
    mode = _MODES.get(first.strip().upper(), "unknown")
    history = _HISTORY.get(second.split("^", 1)[0].strip().upper())
    return history if mode == "production" and history else mode


def is_production(processing_id: str | None) -> bool:
    return processing_mode(processing_id) == "production"


def set_apart(event: dict[str, Any]) -> dict[str, Any]:
    """A non-production ``AdtEvent`` with every patient key in the ``TEST|`` namespace (the
    patient's own and a merge's prior key), so it reaches only test records; a production one
    unchanged."""
    if is_production(event.get("processing_id")) or \
            event["patient"]["key"].startswith(KEY_PREFIX):
        return event  # production, or set apart already
    apart = copy.deepcopy(event)
    apart["patient"]["key"] = _test_key(apart["patient"]["key"])
    if apart.get("merge"):
        apart["merge"]["prior_key"] = _test_key(apart["merge"]["prior_key"])
    mode = processing_mode(event.get("processing_id"))
    apart["warnings"] = [*apart.get("warnings", []),
                         f"MSH-11 processing id is {mode}, not production: kept apart, "
                         "no patient is contacted"]
    return apart


def _test_key(key: str) -> str:
    return key if key.startswith(KEY_PREFIX) else KEY_PREFIX + key
