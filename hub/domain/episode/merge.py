"""§2 A40 (A34/A39 older): merge a prior patient id into the surviving one.

The two records can live on different partitions, so the merge is two steps through Kafka:

1. the A40 reaches the surviving key: ``apply_adt`` updates its demographics, and
   ``merge_out_request`` says what to send to the prior key (``{"merge_out": surviving}``);
2. the prior key's agent calls ``hand_over``: its record is marked ``merged_into`` and emptied,
   and the record as it was goes to the surviving key (``{"merge_in": record, "at": ...}``);
3. the surviving key's agent calls ``fold_in`` (``merge_records`` on the handed-over dict, with
   the survivor's facility rules) and sends the outcome's cancels and alert like any other.

Every step is idempotent: a repeated ``merge_out`` finds the record already merged and sends
nothing; a repeated ``merge_in`` finds its episodes already there. TCM-8 holds afterwards: at
most one open episode, the earlier discharge kept open, the later one voided as a duplicate
with its evidence carried over. Opt-outs need no merge: they belong to phone numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from datetime import datetime
from typing import Any

from hub.domain.episode.lifecycle import stop_outreach
from hub.domain.episode.outcome import Outcome, end_alerts, move_alerts, raise_alert
from hub.domain.episode.record import OPEN, VOIDED, Contactable, Episode, PatientRecord
from hub.domain.episode.rules import TcmRules

EVIDENCE = ("contact", "visit", "med_rec")
MAX_HOPS = 3  # merges chained back and forth must not bounce a record for ever


def merge_out_request(event: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(prior key, request) to send when an ADT merge names a prior id different from ours."""
    merge = event.get("merge") or {}
    prior, surviving = merge.get("prior_key"), event["patient"]["key"]
    if not prior or prior == surviving:
        return None
    return prior, {"merge_out": surviving, "control_id": event["control_id"]}


def hand_over(record: PatientRecord | None, surviving_key: str, now: datetime
              ) -> tuple[PatientRecord | None, dict[str, Any] | None]:
    """The prior key's side: mark the record merged and return what to send to the survivor."""
    if record is None or record.merged_into:
        return record, None
    handed = record.to_dict()
    return replace(record, merged_into=surviving_key, episodes=()), {"merge_in": handed,
                                                                      "at": now.isoformat()}


def merge_records(surviving: PatientRecord | None, prior: PatientRecord | None,
                  surviving_key: str, *, now: datetime, rules: TcmRules) -> Outcome:
    """The surviving key's side: take over the prior episodes (ids unchanged, so commands already
    sent keep matching), one open episode at most, cancels for the duplicate's pending steps."""
    survivor = surviving or PatientRecord(surviving_key, prior.facility if prior else "")
    outcome = Outcome(survivor)
    if prior is None:
        outcome.notes.append("nothing to merge")
        return outcome
    known = {e.episode_id for e in survivor.episodes}
    incoming = [replace(e, patient_key=surviving_key).noted(now, "merged_from", prior.patient_key)
                for e in prior.episodes if e.episode_id not in known]
    for episode in incoming:
        move_alerts(outcome, episode, prior.patient_key, now)
    # by instant, not by string: the two records may come from facilities in different zones
    episodes = sorted((*survivor.episodes, *incoming),
                      key=lambda e: e.discharge_at)
    outcome.record = replace(
        survivor, episodes=tuple(episodes),
        contactable=_contactable(survivor.contactable, prior.contactable),
        applied=tuple(dict.fromkeys(survivor.applied + prior.applied)))
    open_ones = [e for e in episodes if e.status == OPEN]
    if len(open_ones) > 1:
        _keep_earliest_open(outcome, open_ones, prior.patient_key, rules, now)
    elif incoming and open_ones:
        outcome.save(raise_alert(outcome, open_ones[0], "episodes_merged", "info", now,
                                 prior_key=prior.patient_key))
    return outcome


def fold_in(survivor: PatientRecord | None, handed: dict[str, Any], surviving_key: str, *,
            now: datetime, rules_for: Callable[[str], TcmRules]) -> Outcome:
    """Step 3 for the ``merge_in`` dict ``hand_over`` sent: the surviving facility's rules (the
    prior's when the survivor has no record yet), so the voided duplicate's cancels reach the
    right outreach partition and the care team hears of the merge."""
    prior = PatientRecord.from_dict(handed)
    facility = survivor.facility if survivor is not None else prior.facility
    return merge_records(survivor, prior, surviving_key, now=now, rules=rules_for(facility))


def _keep_earliest_open(outcome: Outcome, open_ones: list[Episode], prior_key: str,
                        rules: TcmRules, now: datetime) -> None:
    kept = open_ones[0]
    cause = f"merge of {prior_key}"
    for extra in open_ones[1:]:
        carried = {k: getattr(extra, k) for k in EVIDENCE
                   if getattr(kept, k) is None and getattr(extra, k) is not None}
        kept = replace(kept, **carried, attempts=(*kept.attempts, *extra.attempts),
                       visit_numbers=tuple(dict.fromkeys(kept.visit_numbers
                                                         + extra.visit_numbers)))
        kept = kept.noted(now, "merged_duplicate_attached", cause, episode_id=extra.episode_id,
                          evidence=sorted(carried))
        extra = end_alerts(outcome, stop_outreach(outcome, extra, rules, "merged_duplicate"),
                           now, "merged_duplicate")
        outcome.save(replace(extra, status=VOIDED, reason="merged_duplicate").noted(
            now, "voided", cause, kept=kept.episode_id))
    outcome.save(raise_alert(outcome, kept, "episodes_merged", "info", now, prior_key=prior_key))


def _contactable(survivor: Contactable, prior: Contactable) -> Contactable:
    """The survivor's values where it has them (the A40 carried the current PID), else the
    prior's; death on either side holds."""
    values = {f.name: getattr(survivor, f.name) or getattr(prior, f.name)
              for f in fields(Contactable)}
    return Contactable(**values)



def survivor_for(record: PatientRecord | None, *, about_the_patient: bool,
                 is_a_merge: bool, hops: int, applied_id: str | None = None) -> str | None:
    """The key a record for a merged-away key belongs to, or None to handle it here. A late
    ADT, a reply to a text sent before the merge (the phone learns the survivor only with its
    next command) or a care-team action on the old key is the survivor's: applied here it would
    open a second episode (TCM-8) or be lost. Ticks stay (they concern this record), the A40
    itself stays (it is what merges), and after ``MAX_HOPS`` forwards it stays too.

    A record this key had applied before it handed its episodes over (``applied_id`` in its
    ``applied``: redelivered after a crash or read again from an older commit) stays as well:
    its effects went to the survivor with the record, and here it is absorbed as "already
    applied". Forwarded, it could reach the survivor before the hand-over and open there a
    second episode for the same discharge, which the hand-over would then void the real one
    for (the crash test's merge across kills did this once)."""
    if record is None or not record.merged_into or not about_the_patient or is_a_merge \
            or hops >= MAX_HOPS or (applied_id is not None and applied_id in record.applied):
        return None
    return record.merged_into


def forwarded(source: str, value: dict[str, Any], hops: int) -> dict[str, Any]:
    """The tick that carries a record to the survivor's key (``survivor_for``)."""
    return {"follow": {"topic": source, "value": value, "hops": hops + 1}}
