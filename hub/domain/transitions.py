"""The TCM state machine: ADT events, ticks and outreach results in, a new record plus commands
and alerts out. Pure: no I/O, no clock (``now`` is a parameter), idempotent per control id."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.calendar import contact_due, end_of_day
from hub.domain.eligibility import assess_discharge
from hub.domain.episode import (
    COMPLETED, EXPIRED, INELIGIBLE, MAX_REMEMBERED_IDS, OPEN, STOPPED, VOIDED, Contactable, Episode,
    PatientRecord)
from hub.domain.messages import CareAlert, OutreachCommand
from hub.domain.plan import cancel_released, plan_steps, release
from hub.domain.rules import TcmRules


@dataclass
class Outcome:
    record: PatientRecord
    commands: list[OutreachCommand] = field(default_factory=list)
    alerts: list[CareAlert] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _alert(outcome: Outcome, episode: Episode, kind: str, severity: str, now: datetime,
           **detail: Any) -> Episode:
    """One alert per (episode, kind) until it clears."""
    if kind in episode.alerts_raised:
        return episode
    outcome.alerts.append(CareAlert(f"{episode.episode_id}:{kind}", kind, episode.episode_id,
                                    episode.patient_key, episode.facility, severity,  # type: ignore[arg-type]
                                    now, detail))
    return replace(episode, alerts_raised=(*episode.alerts_raised, kind))


def contactable_from(event: dict[str, Any]) -> Contactable:
    patient = event["patient"]
    return Contactable(given_name=patient.get("given_name"), phones=tuple(patient["phones"]),
                       language=patient.get("language"),
                       publicity_code=patient.get("publicity_code"),
                       protection=patient.get("protection"), deceased=bool(patient.get("deceased")))


def apply_adt(record: PatientRecord | None, event: dict[str, Any], *, now: datetime,
              rules: TcmRules) -> Outcome:
    key = event["patient"]["key"]
    record = record or PatientRecord(key, event["sending_facility"])
    applied_id = f"{event['control_id']}:{event['event_type']}"
    if applied_id in record.applied:
        return Outcome(record, notes=["already applied"])
    record = replace(record, contactable=contactable_from(event),
                     applied=(*record.applied, applied_id)[-MAX_REMEMBERED_IDS:])
    outcome = Outcome(record)
    cause = f"ADT {event['event_type']} {event['control_id']}"
    handler = _HANDLERS.get(event["event_type"], _update_only)
    handler(outcome, event, now, rules, cause)
    episode = outcome.record.open_episode
    if episode is not None and outcome.record.contactable.deceased:
        _stop_for_death(outcome, episode, now, cause)
    return outcome


def _open_on_discharge(outcome: Outcome, event: dict[str, Any], now: datetime, rules: TcmRules,
                       cause: str) -> None:
    record = outcome.record
    discharge_at = datetime.fromisoformat(event["visit"]["discharge_at"]) \
        if event["visit"].get("discharge_at") else None
    current = record.open_episode
    if current is not None and discharge_at is not None and \
            discharge_at.astimezone(rules.zone).date() <= date.fromisoformat(current.window_end):
        # TCM-8: never two open episodes; a later discharge inside the window attaches
        outcome.record = record.with_episode(current.noted(now, "discharge_attached", cause))
        return
    verdict = assess_discharge(event, rules)
    local_day = (discharge_at or now).astimezone(rules.zone).date()
    episode_id = f"{record.patient_key}|{local_day.isoformat()}"
    days = (6, 13) if rules.strict_visit_days else (7, 14)
    visit_96 = local_day + timedelta(days=days[0])
    episode = Episode(
        episode_id=episode_id, patient_key=record.patient_key, facility=record.facility,
        zone=rules.zone.key, status=OPEN if verdict.eligible else INELIGIBLE,
        reason=verdict.reason, discharge_at=(discharge_at or now).isoformat(),
        discharge_date=local_day.isoformat(),
        window_end=(local_day + timedelta(days=29)).isoformat(),  # TCM-1
        contact_due=contact_due(discharge_at or now, rules.zone, rules.calendar).isoformat(),  # TCM-3
        visit_due_99496=visit_96.isoformat(),  # TCM-4
        visit_due_99495=(local_day + timedelta(days=days[1])).isoformat(),
        med_rec_due=visit_96.isoformat(),  # TCM-5: no later than the visit
        flags=verdict.flags).noted(now, "discharge_assessed", cause, eligible=verdict.eligible,
                                   reason=verdict.reason)
    if not verdict.eligible:
        episode = _alert(outcome, episode, "discharge_not_eligible", "info", now,
                         reason=verdict.reason)
        outcome.record = record.with_episode(episode)
        return
    episode = replace(episode, plan=plan_steps(discharge_at or now, date.fromisoformat(
        episode.window_end), rules, record.contactable))
    episode = _alert(outcome, episode, "episode_opened", "info", now,
                     contact_due=episode.contact_due, visit_due_99496=episode.visit_due_99496,
                     visit_due_99495=episode.visit_due_99495, window_end=episode.window_end,
                     flags=list(episode.flags))
    if not record.contactable.phones:
        episode = _alert(outcome, episode, "no_reachable_phone", "warning", now,
                         invalid_phones=len(event["patient"].get("invalid_phones", [])))
    outcome.record = record.with_episode(episode)
    _release_due(outcome, now, rules)


def _stop_outreach(outcome: Outcome, episode: Episode) -> Episode:
    """Cancel every planned and released step of the episode (the cancels go to outreach)."""
    episode, cancels = cancel_released(episode, outcome.record.contactable)
    outcome.commands += cancels
    return episode


def _cancel_discharge(outcome: Outcome, event: dict[str, Any], now: datetime, rules: TcmRules,
                      cause: str) -> None:
    episode = outcome.record.open_episode
    if episode is None:
        return
    episode = replace(_stop_outreach(outcome, episode), status=VOIDED).noted(now, "voided", cause)
    episode = _alert(outcome, episode, "episode_voided", "info", now)
    outcome.record = outcome.record.with_episode(episode)


def _readmission(outcome: Outcome, event: dict[str, Any], now: datetime, rules: TcmRules,
                 cause: str) -> None:
    episode = outcome.record.open_episode
    if episode is None:
        return
    episode = replace(_stop_outreach(outcome, episode), readmitted_by=event["control_id"]).noted(now, "readmitted", cause)
    # TCM-9, §4: a readmission inside the window escalates the same day
    episode = _alert(outcome, episode, "readmission", "urgent", now,
                     event_type=event["event_type"], admit_at=event["visit"].get("admit_at"))
    outcome.record = outcome.record.with_episode(episode)


def _ed_return(outcome: Outcome, event: dict[str, Any], now: datetime, rules: TcmRules,
               cause: str) -> None:
    episode = outcome.record.open_episode
    if episode is None or event["visit"].get("patient_class") != "E":
        return _update_only(outcome, event, now, rules, cause)
    episode = _alert(outcome, episode.noted(now, "ed_return", cause), "ed_return", "warning", now)
    outcome.record = outcome.record.with_episode(episode)
    return None


def _update_only(outcome: Outcome, event: dict[str, Any], now: datetime, rules: TcmRules,
                 cause: str) -> None:
    episode = outcome.record.open_episode
    if episode is not None:
        outcome.record = outcome.record.with_episode(episode.noted(now, "updated", cause))


def _stop_for_death(outcome: Outcome, episode: Episode, now: datetime, cause: str) -> None:
    """TCM-10: outreach stops at once and the care team is told."""
    episode = replace(_stop_outreach(outcome, episode), status=STOPPED, reason="patient_deceased").noted(
        now, "stopped_deceased", cause)
    episode = _alert(outcome, episode, "patient_deceased", "urgent", now)
    outcome.record = outcome.record.with_episode(episode)


def _cancel_admit(outcome: Outcome, event: dict[str, Any], now: datetime, rules: TcmRules,
                  cause: str) -> None:
    """§2 A11: retract the readmission flag an A01 raised; steps still ahead are planned again."""
    episode = outcome.record.open_episode
    if episode is None or not episode.readmitted_by:
        return _update_only(outcome, event, now, rules, cause)
    plan = tuple(replace(s, status="planned")
                 if s.status == "cancelled" and datetime.fromisoformat(s.not_before) > now else s
                 for s in episode.plan)
    episode = replace(episode, readmitted_by=None, plan=plan,
                      alerts_raised=tuple(k for k in episode.alerts_raised if k != "readmission"))
    episode = _alert(outcome, episode.noted(now, "readmission_retracted", cause),
                     "readmission_retracted", "info", now)
    outcome.record = outcome.record.with_episode(episode)
    return None


_HANDLERS = {"A03": _open_on_discharge, "A13": _cancel_discharge, "A01": _readmission,
             "A06": _readmission, "A04": _ed_return, "A11": _cancel_admit}


def _release_due(outcome: Outcome, now: datetime, rules: TcmRules) -> None:
    episode = outcome.record.open_episode
    if episode is None or episode.readmitted_by:
        return
    for step in episode.plan:
        if step.status == "planned" and datetime.fromisoformat(step.not_before) <= now:
            if step.step == "bd1_call" and (episode.contact or _replied(episode)):
                # §5: the call is only for patients nobody has heard from; never due again
                skipped = replace(step, status="skipped")
                episode = replace(episode, plan=tuple(skipped if s.step == step.step else s
                                                      for s in episode.plan))
                continue
            episode, command = release(episode, step, outcome.record.contactable, rules)
            if command is not None:
                outcome.commands.append(command)
    outcome.record = outcome.record.with_episode(episode)


def _replied(episode: Episode) -> bool:
    return any(entry["what"] == "patient_replied" for entry in episode.timeline)


def apply_tick(record: PatientRecord, *, now: datetime, rules: TcmRules) -> Outcome:
    outcome = Outcome(record)
    episode = record.open_episode
    if episode is None:
        return outcome
    _release_due(outcome, now, rules)
    episode = outcome.record.open_episode
    assert episode is not None
    due = datetime.fromisoformat(episode.contact_due)
    if episode.contact is None:
        if now > due:
            episode = _alert(outcome, episode, "contact_missed", "urgent", now,
                             attempts=len(episode.attempts), contact_due=episode.contact_due)
        elif now >= _start_of(due, episode.zone):
            # §5: start of business day 2 with no recorded contact
            episode = _alert(outcome, episode, "contact_due_today", "warning", now,
                             contact_due=episode.contact_due)
    if now > _window_close(episode):
        status = COMPLETED if episode.contact and episode.visit else EXPIRED
        episode = replace(episode, status=status).noted(now, "closed", "window end")
        episode = _alert(outcome, episode, "episode_closed", "info", now, status=status)
    outcome.record = outcome.record.with_episode(episode)
    return outcome


def _start_of(moment: datetime, zone: str) -> datetime:
    """Midnight local of that day, built in the zone (its offset may differ from the moment's)."""
    local = ZoneInfo(zone)
    return datetime.combine(moment.astimezone(local).date(), time(0), tzinfo=local)


def _window_close(episode: Episode) -> datetime:
    return end_of_day(date.fromisoformat(episode.window_end), ZoneInfo(episode.zone))


def next_due(record: PatientRecord) -> datetime | None:
    episode = record.open_episode
    if episode is None:
        return None
    due = datetime.fromisoformat(episode.contact_due)
    moments = [datetime.fromisoformat(s.not_before) for s in episode.plan if s.status == "planned"]
    if episode.contact is None:
        moments += [m for m, kind in ((_start_of(due, episode.zone), "contact_due_today"),
                                      (due + timedelta(microseconds=1), "contact_missed"))
                    if kind not in episode.alerts_raised]
    moments.append(_window_close(episode) + timedelta(microseconds=1))
    return min(moments)


def apply_outreach_event(record: PatientRecord | None, event: dict[str, Any], *, now: datetime,
                         rules: TcmRules) -> Outcome:
    if record is None:
        return Outcome(PatientRecord(event["patient_key"], ""), notes=["no record"])
    outcome = Outcome(record)
    episode = next((e for e in record.episodes if e.episode_id == event.get("episode_id")),
                   record.open_episode)
    if episode is None:
        return outcome
    if event["kind"] == "reply":
        episode = episode.noted(now, "patient_replied", f"{event['channel']} reply",
                                intent=event.get("intent"))
        if event.get("intent") == "urgent":
            episode = _alert(outcome, episode, "urgent_reply", "urgent", now,
                             reply_text=event.get("reply_text"))
        elif event.get("intent") == "opt_out":
            episode = _alert(outcome, episode, "patient_opted_out", "warning", now)
        elif event.get("intent") == "unclassified":
            episode = _alert(outcome, episode, "unclassified_reply", "warning", now,
                             reply_text=event.get("reply_text"))
    else:
        attempt = {"at": event["at"], "channel": event["channel"], "outcome": event["status"],
                   "by": "hub", "command_id": event.get("command_id"),
                   "reason": event.get("reason")}
        episode = replace(episode, attempts=(*episode.attempts, attempt))
    outcome.record = record.with_episode(episode)
    return outcome


__all__ = ["EXPIRED", "Outcome", "VOIDED", "apply_adt", "apply_outreach_event", "apply_tick",
           "next_due"]
