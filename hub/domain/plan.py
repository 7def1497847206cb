"""The outreach plan of tcm-rules §5 as data, and the commands it releases.

Steps are planned when the episode opens and released by ticks when due, so a step that is no
longer needed (contact recorded, readmission, death) is simply never released. Quiet hours and
frequency caps are not decided here: the outreach stage enforces them for every message.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from hub.domain.episode import Contactable, Episode, PlannedStep
from hub.domain.messages import OutreachCommand
from hub.domain.rules import TcmRules
from hub.domain.templates import language_for, render

CHECKIN_DAYS = (7, 14, 21, 28)


def plan_steps(discharge_at: datetime, window_end: date, rules: TcmRules,
               contactable: Contactable) -> tuple[PlannedStep, ...]:
    zone = rules.zone
    local_day = discharge_at.astimezone(zone).date()
    expires = datetime.combine(window_end, time(21, 0), tzinfo=zone).isoformat()

    def at(day: date, clock: time) -> str:
        return datetime.combine(day, clock, tzinfo=zone).isoformat()

    no_reminders = contactable.publicity_code == "01"  # ADT-5: no reminder/recall
    no_calls = contactable.publicity_code == "03"  # ADT-5: no calls
    steps = [PlannedStep("welcome_sms", "sms", "welcome_sms", discharge_at.isoformat(), expires)]
    if not no_calls:
        bd1 = rules.calendar.add_business_days(local_day, 1)
        steps.append(PlannedStep("bd1_call", "voice", "voice_call", at(bd1, rules.call_at),
                                 at(rules.calendar.add_business_days(local_day, 2), time(21, 0))))
    if not no_reminders:
        steps.append(PlannedStep("visit_reminder", "sms", "visit_reminder",
                                 at(local_day + timedelta(days=3), rules.reminder_at), expires))
        steps += [PlannedStep(f"checkin_d{d}", "sms", "checkin",
                              at(local_day + timedelta(days=d), rules.reminder_at), expires)
                  for d in CHECKIN_DAYS if local_day + timedelta(days=d) <= window_end]
    return tuple(steps)


def sms_target(contactable: Contactable) -> str | None:
    """ADT-4: a mobile (CP) is the preferred SMS target; else the first valid number."""
    phones = contactable.phones
    mobile = next((p for p in phones if (p.get("equipment") or "").upper() == "CP"), None)
    chosen = mobile or (phones[0] if phones else None)
    return chosen["e164"] if chosen else None


def release(episode: Episode, step: PlannedStep, contactable: Contactable, rules: TcmRules
            ) -> tuple[Episode, OutreachCommand | None]:
    """Turn a due step into a command (or skip it when there is no one to reach)."""
    to = sms_target(contactable)
    released = replace(step, status="released" if to else "skipped")
    episode = replace(episode, plan=tuple(released if s.step == step.step else s
                                          for s in episode.plan))
    if to is None:
        return episode, None
    language = language_for(contactable.language)
    values = {"name": (contactable.given_name or "").title(), "practice": rules.practice_name,
              "callback": rules.callback_number, "visit_due": _short(episode.visit_due_99495)}
    body = render(step.template, language, values)
    command = OutreachCommand(
        command_id=f"{episode.episode_id}:{step.step}", episode_id=episode.episode_id,
        patient_key=episode.patient_key, step=step.step, channel=step.channel,  # type: ignore[arg-type]
        to=to, template=step.template, language=language, body=body,
        not_before=datetime.fromisoformat(step.not_before),
        expires_at=datetime.fromisoformat(step.expires_at), zone=episode.zone,
        facility=episode.facility)
    return episode, command


def cancel_released(episode: Episode, contactable: Contactable) -> tuple[Episode, list[Any]]:
    """Stop every step: planned ones are cancelled here, released ones get a cancel command so
    the outreach ledger drops them if they are still waiting for allowed hours."""
    to = sms_target(contactable)
    cancels = []
    for step in episode.plan:
        if step.status == "released" and to:
            cancels.append(OutreachCommand(
                command_id=f"{episode.episode_id}:{step.step}", episode_id=episode.episode_id,
                patient_key=episode.patient_key, step=step.step, channel=step.channel,  # type: ignore[arg-type]
                to=to, template=step.template, language="en", body="",
                not_before=datetime.fromisoformat(step.not_before),
                expires_at=datetime.fromisoformat(step.expires_at), zone=episode.zone,
                facility=episode.facility, action="cancel"))
    plan = tuple(replace(s, status="cancelled") if s.status in ("planned", "released") else s
                 for s in episode.plan)
    return replace(episode, plan=plan), cancels


def _short(iso_date: str) -> str:
    return date.fromisoformat(iso_date).strftime("%m/%d")

