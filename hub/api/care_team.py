"""Reading a patient and checking a care-team action, as the owner of the patient answers them.

The checks are the rules' own (``validate_action``) with the worker's ``now``, so an action
dated in the future is refused here, synchronously, and never reaches the agent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hub.api.refusals import ApiRefusal, not_found
from hub.api.worklist import demographics
from hub.domain.episode.actions import billing_readiness, validate_action
from hub.domain.episode.record import PatientRecord
from hub.domain.episode.rules import TcmRules


def patient_view(key: str, stored: dict[str, Any] | None,
                 rules: Callable[[str], TcmRules], now: datetime | None = None
                 ) -> dict[str, Any]:
    """The patient's episodes (deadlines, plan, attempts, timeline) with billing readiness
    under the facility's rules."""
    if stored is None:
        raise not_found(key)
    record = PatientRecord.from_dict(stored)
    facility_rules = rules(record.facility)
    episodes = []
    for episode, data in zip(record.episodes, stored["episodes"], strict=True):
        episodes.append({**data, "billing": billing_readiness(episode, facility_rules)})
    view: dict[str, Any] = {"patient_key": record.patient_key, "facility": record.facility,
                            "episodes": episodes}
    if now is not None:  # who to call (name, age, phone): the care team's, never a text's
        view["person"] = demographics(record, now)
    return view


def parse_action(body: bytes) -> dict[str, Any]:
    try:
        action = json.loads(body or b"null")
    except ValueError:
        action = None
    if not isinstance(action, dict):
        raise ApiRefusal("the body must be a JSON object", code="bad_body", status=400)
    return action


def checked_action(key: str, stored: dict[str, Any] | None, action: dict[str, Any], *,
                   now: datetime) -> dict[str, Any]:
    """The action to send to the episodes agent, with its id; or RuleViolation / 404."""
    if stored is None:
        raise not_found(key)
    validate_action(PatientRecord.from_dict(stored), action, now=now)
    return {**action, "action_id": str(uuid.uuid4())}
