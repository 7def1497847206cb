"""The moves every trigger shares: open an episode with its deadlines, stop or pause its outreach,
close it at day 30 (or by a person), stop it on death. ADT events, ticks and care-team actions all
go through these, so a rule lives in one place."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from hub.domain.calendar import contact_due, local_date, local_moment
from hub.domain.episode.billing import billing_readiness
from hub.domain.episode.eligibility import NEEDS_REVIEW, Eligibility
from hub.domain.episode.outcome import Outcome, end_alerts, raise_alert
from hub.domain.episode.plan import plan_steps, restricted_plan
from hub.domain.episode.processing import NOT_PRODUCTION, is_production
from hub.domain.episode.record import COMPLETED, DECEASED, EXPIRED, INELIGIBLE, OPEN, Episode
from hub.domain.episode.release import release_due, stop_steps, target_for
from hub.domain.episode.restrictions import restrictions_for
from hub.domain.episode.rules import TcmRules

QUIET_REASONS = ("emergency_visit_only", "patient_class_not_qualifying")
WINDOW_DAYS = 29  # TCM-1: the discharge date is day 1, so day 30 is discharge date + 29


def adt_key(event: dict[str, Any]) -> str:
    """ADT-1: (MSH-3, MSH-4, MSH-10) identifies a message."""
    return "adt:" + "|".join((event.get("sending_application") or "",
                              event.get("sending_facility") or "", str(event["control_id"])))


def episode_id_for(outcome: Outcome, event: dict[str, Any]) -> str:
    """Opaque and stable: a digest of the patient key and the opening message's ADT-1 key, so a
    replay names the same episode and two patients never share one (even when a sender reuses
    a control id), while the id, and the command and alert ids built on it, which logs carry to
    trace a case, show neither the MRN nor a date (PHI stays out of logs)."""
    seed = f"{outcome.record.patient_key}\n{adt_key(event)}"
    base = "ep-" + hashlib.sha256(seed.encode()).hexdigest()[:20]
    taken = {e.episode_id for e in outcome.record.episodes}
    revision, candidate = 1, base
    while candidate in taken:
        revision += 1
        candidate = f"{base}#{revision}"
    return candidate


def new_episode(episode_id: str, outcome: Outcome, event: dict[str, Any], discharge_at: datetime,
                verdict: Eligibility, rules: TcmRules) -> Episode:
    """An episode with every deadline of TCM-1, 3, 4, 5, eligible or not (then it is a record)."""
    day0 = local_date(discharge_at, rules.zone)
    due = contact_due(discharge_at, rules.zone, rules.calendar)
    visit_96, visit_95 = (day0 + timedelta(days=d) for d in rules.visit_days)
    visit_number = event["visit"].get("visit_number")
    program = (event["visit"].get("hospital_service") or "").split("^")[0].strip().upper()
    return Episode(
        program=program, opened_by=str(event["control_id"]),
        episode_id=episode_id, patient_key=outcome.record.patient_key,
        facility=outcome.record.facility, zone=rules.zone.key,
        status=OPEN if verdict.eligible else INELIGIBLE, reason=verdict.reason,
        discharge_at=discharge_at, discharge_date=day0,
        window_end=day0 + timedelta(days=WINDOW_DAYS),
        contact_due=due,
        contact_escalation_at=local_moment(due.date(), rules.schedule.due_today_alert_at,
                                           rules.zone),
        visit_due_99496=visit_96, visit_due_99495=visit_95,
        visit_alert_at=local_moment(
            visit_95 - timedelta(days=rules.schedule.visit_alert_days_before),
            rules.schedule.due_today_alert_at, rules.zone),
        med_rec_due=visit_96,  # TCM-5: by the visit, so by the earliest visit date
        visit_numbers=(visit_number,) if visit_number else (),
        flags=verdict.flags if is_production(event.get("processing_id"))
        else (*verdict.flags, NOT_PRODUCTION))


def record_ineligible(outcome: Outcome, episode: Episode, now: datetime) -> Episode:
    """Ineligible discharges are kept with their reason and the care team sees the stays that
    did not qualify (info); one the hub could not read (free-text disposition, no time) is a
    warning: a person decides. ED and outpatient visits are recorded silently: they are not
    stays, and there are many."""
    review = NEEDS_REVIEW in episode.flags
    if not review and episode.reason.startswith(QUIET_REASONS):
        return outcome.save(episode)
    episode = raise_alert(outcome, episode, "discharge_not_eligible",
                          "warning" if review else "info", now, reason=episode.reason,
                          needs_review=review)
    return outcome.save(episode)


def start_outreach(outcome: Outcome, episode: Episode, rules: TcmRules, now: datetime,
                   cause: str) -> Episode:
    """The episode is open: plan §5, tell the care team, release what is due already."""
    contactable = outcome.record.contactable
    episode = replace(episode, status=OPEN, plan=restricted_plan(plan_steps(episode, rules),
                                                                 contactable, rules))
    episode = raise_alert(outcome, episode, "episode_opened", "info", now,
                          discharge_date=episode.discharge_date, contact_due=episode.contact_due,
                          visit_due_99496=episode.visit_due_99496,
                          visit_due_99495=episode.visit_due_99495,
                          window_end=episode.window_end, flags=episode.flags)
    restrictions = restrictions_for(contactable.publicity_code, contactable.protection, rules)
    if restrictions.no_automated:
        episode = raise_alert(outcome, episode, "restricted_contact", "warning", now,
                              flags=restrictions.flags)
    elif target_for("sms", contactable, rules) is None and \
            target_for("voice", contactable, rules) is None:
        episode = raise_alert(outcome, episode, "no_reachable_phone", "warning", now,
                              invalid_phones=contactable.invalid_phones)
    episode, commands = release_due(episode, contactable, rules, now)
    outcome.commands += commands
    return outcome.save(episode.noted(now, "opened", cause, contact_due=episode.contact_due))


def stop_outreach(outcome: Outcome, episode: Episode, rules: TcmRules, reason: str) -> Episode:
    """Cancel every step still to come; released ones get a cancel command for outreach."""
    episode, cancels = stop_steps(episode, outcome.record.contactable, rules, reason)
    outcome.commands += cancels
    return episode


def close_episode(outcome: Outcome, episode: Episode, rules: TcmRules, now: datetime,
                  cause: str, status: str | None = None) -> Episode:
    """Day 30 (or a person): closed completed when the evidence supports a code, else expired,
    with the evidence in the timeline and the alert."""
    evidence = billing_readiness(episode, rules)
    final = status or (COMPLETED if evidence["supportable"] else EXPIRED)
    episode = end_alerts(outcome, stop_outreach(outcome, episode, rules, "closed"), now,
                         f"episode_{final}")
    episode = replace(episode, status=final).noted(now, "closed", cause, status=final,
                                                   evidence=evidence)
    episode = raise_alert(outcome, episode, "episode_closed", "info", now, status=final,
                          supportable=evidence["supportable"], missing=evidence["missing"])
    return outcome.save(episode)


def close_if_window_over(outcome: Outcome, rules: TcmRules, now: datetime) -> None:
    """An open episode whose day 30 has passed is closed before anything else is applied, so a
    late tick never leaves two open episodes (TCM-8) or a readmission after day 30 (TCM-9)."""
    episode = outcome.record.open_episode
    if episode is not None and now > episode.window_close:
        close_episode(outcome, episode, rules, now, "window end")


def stop_for_death(outcome: Outcome, episode: Episode, rules: TcmRules, now: datetime,
                   cause: str) -> Episode:
    """TCM-10: outreach stops at once and the care team is told."""
    episode = end_alerts(outcome, stop_outreach(outcome, episode, rules, "patient_deceased"),
                         now, "patient_deceased")
    episode = replace(episode, status=DECEASED, reason="patient_deceased").noted(
        now, "stopped_deceased", cause)
    return outcome.save(raise_alert(outcome, episode, "patient_deceased", "urgent", now))
