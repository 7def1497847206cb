"""The outreach plan of tcm-rules §5 as data.

The whole plan is written into the episode when it opens; ticks release each step as an
``OutreachCommand`` when it is due (``hub.domain.episode.release``). A step that is no longer needed
(contact recorded, a reply, a visit, readmission, death) is simply never released, so outreach
only ever holds commands that are due. Quiet hours and frequency caps are not decided here: the
outreach stage enforces them for every message (MSG-1, MSG-3).

| step            | channel | when (facility-local)                          | stops when       |
|-----------------|---------|------------------------------------------------|------------------|
| welcome_sms     | sms     | the discharge time                             | contact          |
| bd1_call        | voice   | business day 1, ``schedule.call_at``           | contact or reply |
| visit_reminder  | sms     | days 3-5: first business day after the call     | visit            |
| checkin_d7..d28 | sms     | days 7, 14, 21, 28 (inside the window)         | window end       |
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from hub.domain.calendar import end_of_day, local_moment
from hub.domain.episode.record import Contactable, Episode, PlannedStep
from hub.domain.episode.release import command_for, target_for
from hub.domain.episode.restrictions import FOLLOW_UP, REMINDER, restrictions_for
from hub.domain.episode.rules import TcmRules
from hub.domain.messages import OutreachCommand

FIRST_STEP = "welcome_sms"  # a discharge's first text (its request delay is a metric)

def plan_steps(episode: Episode, rules: TcmRules) -> tuple[PlannedStep, ...]:
    """Every §5 step of ``episode`` with its not-before and expiry, in order."""
    zone, schedule = ZoneInfo(episode.zone), rules.schedule
    day0 = episode.discharge_date
    window_close = episode.window_close
    contact_due = episode.contact_due

    bd1 = rules.calendar.add_business_days(day0, 1)
    steps = [
        PlannedStep(FIRST_STEP, "sms", "welcome_sms", episode.discharge_at,
                    contact_due, FOLLOW_UP, ("contact",)),
        PlannedStep("bd1_call", "voice", "voice_call",
                    local_moment(bd1, schedule.call_at, zone),
                    contact_due, FOLLOW_UP, ("contact", "reply")),
    ]
    # days 3-5: after the call's day (one message a day is the cap anyway, MSG-1) and on a
    # business day when there is one, since the text asks the patient to call and book
    low, high = schedule.reminder_days
    after_call = [d for d in range(low, high + 1) if day0 + timedelta(days=d) > bd1]
    open_days = [d for d in after_call
                 if rules.calendar.is_business_day(day0 + timedelta(days=d))]
    offset = (open_days or after_call or [high])[0]
    visit_close = end_of_day(episode.visit_due_99496, zone)
    steps.append(PlannedStep(
        "visit_reminder", "sms", "visit_reminder",
        local_moment(day0 + timedelta(days=offset), schedule.reminder_at, zone),
        min(visit_close, window_close), REMINDER, ("visit",)))
    for days in schedule.checkin_days:
        day = day0 + timedelta(days=days)
        if day > episode.window_end:
            continue
        stale = end_of_day(day + timedelta(days=2), zone)  # a check-in a week late is noise
        steps.append(PlannedStep(f"checkin_d{days}", "sms", "checkin",
                                 local_moment(day, schedule.checkin_at, zone),
                                 min(stale, window_close), REMINDER))
    return tuple(steps)


def restricted_plan(steps: tuple[PlannedStep, ...], contactable: Contactable,
                    rules: TcmRules) -> tuple[PlannedStep, ...]:
    """ADT-5: steps the patient's restrictions forbid stay in the plan, marked skipped with the
    reason, so the care team sees what was not sent and why."""
    restrictions = restrictions_for(contactable.publicity_code, contactable.protection, rules)
    reason = ",".join(restrictions.flags)
    return tuple(s if restrictions.allows(s.channel, s.purpose)
                 else replace(s, status="skipped", reason=reason)
                 for s in steps)


def plan_outreach(episode: Episode, contactable: Contactable,
                  rules: TcmRules) -> list[OutreachCommand]:
    """The episode's whole plan as the commands it would release (for the worklist and tests):
    ``command_id = "<episode_id>:<step>"``, restrictions applied, no commands without a phone."""
    commands = []
    for step in restricted_plan(plan_steps(episode, rules), contactable, rules):
        target = target_for(step.channel, contactable, rules)
        if step.status == "planned" and target is not None:
            commands.append(command_for(episode, step, contactable, rules, target))
    return commands
