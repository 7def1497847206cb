"""What a failed text or call says about the number (MSG-6, §5): a landline or a number that
cannot take texts (21614, 30006, 30003) gets calls instead, starting with a call in place of the
text that failed; an invalid or unroutable number (21211, 21612) takes nothing; a call that
fails marks the number as one calls do not reach. A patient left with no channel on the number
the hub uses is put in front of a person: ``patient_unreachable`` with the attempts so far
(channel, outcome, reason, time; never the number or a text), urgent while no contact is
recorded (TCM-3 is at risk).

Later text steps to a number that cannot take texts are placed as calls with the check-in
script (the caps of MSG-1 hold either way); steps to a number that takes nothing are skipped.
Every failure arrives once per command and status (``apply_outreach_event`` dedupes), and the
fallback call's id is the text's plus ``:voice``, so a redelivered failure never calls twice.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from hub.domain.episode.outcome import Outcome, raise_alert
from hub.domain.episode.record import Episode, PlannedStep
from hub.domain.episode.release import FALLBACK_TEMPLATE, release_due
from hub.domain.episode.rules import TcmRules
from hub.domain.provider_failures import VOICE_FALLBACK, FailureKind, classify_failure

DEAD_NUMBER = frozenset({FailureKind.INVALID_NUMBER, FailureKind.UNROUTABLE})
FAILED = frozenset({"failed", "undelivered"})


def after_failure(outcome: Outcome, episode: Episode, event: dict[str, Any], rules: TcmRules,
                  now: datetime) -> Episode:
    """``episode`` with what a failure event teaches about its number, and what follows."""
    step = _step_of(episode, event.get("command_id"))
    if event.get("status") not in FAILED or step is None or not step.to:
        return episode
    code = event.get("error_code")
    kind = classify_failure(code) if code is not None else None
    number, channel = step.to, event.get("channel")
    if kind in DEAD_NUMBER:
        episode = _mark(episode, number, texts=True, calls=True)
    elif channel == "sms" and kind in VOICE_FALLBACK:
        episode = _mark(episode, number, texts=True)
        episode = _fallback_call(episode, step, now)
    elif channel == "voice" and event.get("status") == "failed" and \
            kind is not FailureKind.RETRIABLE:
        episode = _mark(episode, number, calls=True)
    else:
        return episode
    if number in episode.no_texts and number in episode.no_calls:
        return raise_alert(outcome, episode, "patient_unreachable",
                           "warning" if episode.contact else "urgent", now,
                           attempts=[_attempt(a) for a in episode.attempts])
    if episode.is_open:
        episode, commands = release_due(episode, outcome.record.contactable, rules, now)
        outcome.commands += commands
    return episode


def _fallback_call(episode: Episode, step: PlannedStep, now: datetime) -> Episode:
    """A call in place of the text, planned now, while the text still mattered."""
    name = f"{step.step}:voice"
    if not episode.is_open or any(s.step == name for s in episode.plan) or \
            step.expires_at <= now:
        return episode
    call = PlannedStep(name, "voice", FALLBACK_TEMPLATE, now, step.expires_at,
                       step.purpose, step.stop_when)
    return episode.with_plan((*episode.plan, call))


def _mark(episode: Episode, number: str, *, texts: bool = False, calls: bool = False
          ) -> Episode:
    return replace(episode,
                   no_texts=_add(episode.no_texts, number) if texts else episode.no_texts,
                   no_calls=_add(episode.no_calls, number) if calls else episode.no_calls)


def _add(numbers: tuple[str, ...], number: str) -> tuple[str, ...]:
    return numbers if number in numbers else (*numbers, number)


def _step_of(episode: Episode, command_id: str | None) -> PlannedStep | None:
    prefix = f"{episode.episode_id}:"
    if not command_id or not command_id.startswith(prefix):
        return None
    name = command_id[len(prefix):]
    return next((s for s in episode.plan if s.step == name), None)


def _attempt(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry.get(k) for k in ("at", "channel", "outcome", "reason", "error_code", "by")}
