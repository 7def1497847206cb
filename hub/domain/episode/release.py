"""Due plan steps become ``OutreachCommand``s; steps that are no longer wanted are stopped.

A released step remembers the phone it went to: a cancel must reach the outreach partition of
that same number (outreach is keyed by E.164), where it stops a message still waiting for
allowed hours. Steps that were never released need no cancel: outreach never saw them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from hub.domain.episode.processing import NOT_PRODUCTION
from hub.domain.episode.record import Contactable, Episode, PlannedStep
from hub.domain.episode.restrictions import restrictions_for
from hub.domain.episode.rules import TcmRules
from hub.domain.messages import OutreachCommand
from hub.domain.templates import language_for, render, short_date
from hub.errors import ConfigError

# ADT-4 equipment (XTN-3): CP is the preferred SMS target; senders that leave it empty are
# common, so unknown comes next; a PH may still be a mobile mislabelled (and takes the call if
# not). FX, BP, Internet: never.
EQUIPMENT_RANK = {"CP": 0, "": 1, "PH": 2}
FALLBACK_TEMPLATE = "voice_call"  # a text to a number that takes none goes as this call
# XTN-2 use: the patient's own numbers before work or emergency ones
USE_RANK = {"PRN": 0, "ORN": 1, "VHN": 2, "": 3, "WPN": 4, "ASN": 5, "EMR": 6}


@dataclass(frozen=True)
class Target:
    to: str  # E.164
    caregiver: bool = False  # ADT-6 fallback: the text then carries no patient name


def target_for(channel: str, contactable: Contactable, rules: TcmRules) -> Target | None:
    """The phone for ``channel``: the patient's best number, else (where the site allows it)
    a caregiver's; None when nobody can be reached. It is the same number for every channel
    (calls go where the texts go): the caps of MSG-1 (1 a day, 3 a week per patient) and an
    opt-out are kept per phone by the outreach stage, so one patient must never be spread over
    two numbers."""
    best = best_phone(contactable.phones)
    if best is not None:
        return Target(best)
    if rules.caregiver_fallback:
        for caregiver in contactable.caregivers:
            if (found := best_phone(caregiver.get("phones") or ())) is not None:
                return Target(found, caregiver=True)
    return None


def best_phone(phones: Iterable[dict[str, Any]]) -> str | None:
    """The number to reach the person on: mobile before landline, home before work; never a
    fax or pager (``EQUIPMENT_RANK``)."""
    usable = [(EQUIPMENT_RANK[(p.get("equipment") or "").upper()],
               USE_RANK.get((p.get("use") or "").upper(), 9), index, p["e164"])
              for index, p in enumerate(phones)
              if p.get("e164") and (p.get("equipment") or "").upper() in EQUIPMENT_RANK]
    return min(usable)[3] if usable else None


def as_channel(step: PlannedStep, episode: Episode) -> PlannedStep | None:
    """The step as it can reach its number (MSG-6, ``hub.domain.episode.reachability``): a text to a
    number that takes no texts becomes a call; None when the number takes neither."""
    if step.to is None:
        return step
    if step.to in episode.no_texts and step.to in episode.no_calls:
        return None
    if step.channel == "sms" and step.to in episode.no_texts:
        return replace(step, channel="voice", template=FALLBACK_TEMPLATE, reason="no_texts")
    if step.channel == "voice" and step.to in episode.no_calls:
        return None
    return step


def command_for(episode: Episode, step: PlannedStep, contactable: Contactable, rules: TcmRules,
                target: Target, action: str = "send") -> OutreachCommand:
    language = language_for(contactable.language)
    body = ""
    if action == "send":
        name = "" if target.caregiver else (contactable.given_name or "").split(" ")[0].title()
        body = render(step.template, language, {
            "name": name, "practice": rules.practice_name, "callback": rules.callback_number,
            "visit_due": short_date(episode.visit_due_99496, language)})
    return OutreachCommand(
        command_id=f"{episode.episode_id}:{step.step}", episode_id=episode.episode_id,
        patient_key=episode.patient_key, step=step.step,
        channel="voice" if step.channel == "voice" else "sms", to=target.to,
        template=step.template, language=language, body=body,
        not_before=step.not_before,
        expires_at=step.expires_at, zone=episode.zone,
        facility=episode.facility, action="cancel" if action == "cancel" else "send",
        window_end=episode.window_close, control_id=episode.opened_by)


def facts(episode: Episode) -> frozenset[str]:
    """What has happened that makes some steps pointless (``PlannedStep.stop_when``)."""
    found = {"contact"} if episode.contact else set()
    if episode.visit:
        found.add("visit")
    if any(entry["what"] == "patient_replied" for entry in episode.timeline):
        found.add("reply")
    return frozenset(found)


def release_due(episode: Episode, contactable: Contactable, rules: TcmRules,
                now: datetime) -> tuple[Episode, list[OutreachCommand]]:
    """Release every planned step whose time has come, unless it expired, is no longer needed,
    is forbidden by a restriction (ADT-5) or has nobody to reach (ADT-4)."""
    if not episode.is_open or episode.paused_by:
        return episode, []
    known = facts(episode)
    restrictions = restrictions_for(contactable.publicity_code, contactable.protection, rules)
    commands = []
    for step in episode.plan:
        if step.status != "planned" or step.not_before > now:
            continue
        target = target_for(step.channel, contactable, rules)
        reachable = as_channel(replace(step, to=target.to), episode) if target else step
        if now > step.expires_at:
            step = replace(step, status="expired")
        elif NOT_PRODUCTION in episode.flags:  # MSH-11 T/D: nobody is contacted
            step = replace(step, status="skipped", reason=NOT_PRODUCTION)
        elif stopped := sorted(known & set(step.stop_when)):
            step = replace(step, status="cancelled", reason=stopped[0])
        elif not restrictions.allows(step.channel, step.purpose):
            step = replace(step, status="skipped", reason=",".join(restrictions.flags))
        elif target is None:
            step = replace(step, status="skipped", reason="no_reachable_phone")
        elif reachable is None:  # MSG-6: the provider said this number takes neither
            step = replace(step, status="skipped", reason="unreachable")
        else:
            step = replace(reachable, to=None)  # a text to a landline goes as a call
            try:
                commands.append(command_for(episode, step, contactable, rules, target))
                step = replace(step, status="released", to=target.to)
            except ConfigError:  # rules not checked at start-up: skip, never crash the stage
                step = replace(step, status="skipped", reason="template_does_not_fit")
        episode = episode.with_step(step)
    return episode, commands


def stop_steps(episode: Episode, contactable: Contactable, rules: TcmRules, reason: str,
               which: Callable[[PlannedStep], bool] = lambda step: True
               ) -> tuple[Episode, list[OutreachCommand]]:
    """Cancel the chosen planned and released steps; released ones get a cancel command."""
    cancels = []
    for step in episode.plan:
        if step.status not in ("planned", "released") or not which(step):
            continue
        if step.status == "released" and step.to:
            cancels.append(command_for(episode, step, contactable, rules, Target(step.to),
                                       action="cancel"))
        episode = episode.with_step(replace(step, status="cancelled", reason=reason))
    return episode, cancels


def resume_steps(episode: Episode, reason: str, now: datetime) -> Episode:
    """Plan again the steps ``reason`` cancelled that are still ahead (A11, a new discharge).
    Their ids never reached outreach (only released steps get cancels), so they can still go."""
    for step in episode.plan:
        if step.status == "cancelled" and step.reason == reason and step.to is None \
                and step.not_before > now:
            episode = episode.with_step(replace(step, status="planned", reason=None))
    return episode


def unskip_for_phone(episode: Episode, now: datetime) -> Episode:
    """A08 brought a usable phone: steps skipped for lack of one and not yet stale go again."""
    for step in episode.plan:
        if step.status == "skipped" and step.reason == "no_reachable_phone" \
                and step.expires_at > now:
            episode = episode.with_step(replace(step, status="planned", reason=None))
    return episode
