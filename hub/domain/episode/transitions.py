"""The TCM state machine for ADT events (tcm-rules §2): an ``AdtEvent`` dict in, a new record plus
commands and alerts out. Pure (``now`` is a parameter) and idempotent: an event already applied,
by its ADT-1 key (MSH-3, MSH-4, MSH-10), changes nothing and emits nothing.

| event    | inside an open episode                         | otherwise                       |
|----------|------------------------------------------------|---------------------------------|
| A03      | same visit: re-assessed; later one: attached    | open (eligible) or record why   |
| A13      | void, cancel pending (or detach a later visit) | void a recorded ineligible one  |
| A01, A06 | readmission: pause outreach, urgent alert      | nothing (not a readmission)     |
| A11      | retract that readmission, resume outreach      | nothing                         |
| A04 (E)  | ed_return alert                                | nothing                         |
| A08      | demographics; a new PV1-36 re-assesses          | demographics                    |
| death    | stop outreach, patient_deceased alert (TCM-10) | recorded on the patient         |
| others   | demographics only (A02, A12, A07, A28, A31, A40 — merges: ``episode.merge``)   |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from hub.domain.episode.contactable import reachability_changed, updated_contactable
from hub.domain.episode.discharge import discharge, reassess_if_same_discharge
from hub.domain.episode.lifecycle import (
    adt_key,
    close_if_window_over,
    stop_for_death,
    stop_outreach,
)
from hub.domain.episode.outcome import Outcome, clear_alerts, end_alerts, raise_alert

# re-exported: the episodes agent imports the engine from here
from hub.domain.episode.outreach_results import apply_outreach_event
from hub.domain.episode.readmission import cancel_admit, readmission
from hub.domain.episode.record import INELIGIBLE, VOIDED, PatientRecord
from hub.domain.episode.rules import TcmRules
from hub.domain.episode.ticks import apply_tick, next_due

Handler = Callable[[Outcome, dict[str, Any], TcmRules, datetime, str], None]


def apply_adt(record: PatientRecord | None, event: dict[str, Any], *, now: datetime,
              rules: TcmRules) -> Outcome:
    record = record or PatientRecord(event["patient"]["key"], event.get("sending_facility") or "")
    key = adt_key(event)
    if key in record.applied:
        return Outcome(record, notes=[f"already applied: {key}"])
    before = record.contactable
    outcome = Outcome(replace(record.remembering(key),
                              contactable=updated_contactable(before, event,
                                                              rules.disposition_aliases)))
    if record.merged_into:
        outcome.notes.append(f"event for a key merged into {record.merged_into}")
    cause = f"ADT {event['event_type']} {event['control_id']}"
    close_if_window_over(outcome, rules, now)
    was_open = outcome.record.open_episode
    HANDLERS.get(event["event_type"], _demographics_only)(outcome, event, rules, now, cause)
    still_open = outcome.record.open_episode
    if was_open is not None and still_open is not None and \
            still_open.episode_id == was_open.episode_id:
        reachability_changed(outcome, before, rules, now, cause)
    episode = outcome.record.open_episode
    if episode is not None and outcome.record.contactable.deceased:
        stop_for_death(outcome, episode, rules, now, cause)
    return outcome


def _cancel_discharge(outcome: Outcome, event: dict[str, Any], rules: TcmRules, now: datetime,
                      cause: str) -> None:
    """§2 A13: void the episode the cancelled discharge opened and cancel every pending message;
    the cancel of a later, attached discharge only detaches that visit (TCM-8)."""
    latest = outcome.record.latest_episode
    episode = outcome.record.open_episode or (
        latest if latest is not None and latest.status == INELIGIBLE else None)
    if episode is None:
        outcome.notes.append("A13 with no discharge to cancel")
        return
    visit_number = event["visit"].get("visit_number")
    if visit_number and visit_number in episode.visit_numbers[1:]:
        numbers = tuple(n for n in episode.visit_numbers if n != visit_number)
        outcome.save(replace(episode, visit_numbers=numbers).noted(
            now, "attached_discharge_cancelled", cause, visit_number=visit_number))
        return
    if visit_number and episode.visit_numbers and visit_number not in episode.visit_numbers:
        outcome.notes.append("A13 for a visit this episode does not know")
        return
    was_open = episode.is_open
    episode = end_alerts(outcome, stop_outreach(outcome, episode, rules, "voided"), now,
                         "episode_voided")
    episode = replace(episode, status=VOIDED).noted(now, "voided", cause)
    if was_open:
        episode = raise_alert(outcome, episode, "episode_voided", "info", now)
    outcome.save(episode)


def _register(outcome: Outcome, event: dict[str, Any], rules: TcmRules, now: datetime,
              cause: str) -> None:
    """§4: an ED registration (A04, PV1-2 = E) inside the window is an early warning."""
    episode = outcome.record.open_episode
    if episode is None or (event["visit"].get("patient_class") or "").upper() != "E":
        return
    episode = episode.noted(now, "ed_return", cause)
    outcome.save(raise_alert(outcome, episode, "ed_return", "warning", now,
                             event_type=event["event_type"]))


def _update(outcome: Outcome, event: dict[str, Any], rules: TcmRules, now: datetime,
            cause: str) -> None:
    """§2 A08: demographics (done for every event) and, when it carries a disposition for the
    episode's own discharge, a new eligibility verdict."""
    reassess_if_same_discharge(outcome, event, rules, now, cause)


def _demographics_only(outcome: Outcome, event: dict[str, Any], rules: TcmRules, now: datetime,
                       cause: str) -> None:
    """A02, A12, A07, A28, A31, A40 and the rest: the PID update in ``apply_adt`` is all."""


HANDLERS: dict[str, Handler] = {
    "A03": discharge, "A13": _cancel_discharge, "A01": readmission, "A06": readmission,
    "A11": cancel_admit, "A04": _register, "A08": _update}

__all__ = ["Outcome", "adt_key", "apply_adt", "apply_outreach_event", "apply_tick",
           "clear_alerts", "next_due"]
