"""§2 A40 (A34/A39/A47): merge a prior patient id into the surviving one.

The two records can live on different partitions, so the merge is two steps through Kafka:
the surviving key's agent asks the prior key's agent to hand its record over (``merge_out``),
that agent marks its record merged and sends it back (``merge_in``), and the surviving agent
folds it in. TCM-8 holds after the merge: at most one open episode, the earlier one kept.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from hub.domain.episode import OPEN, VOIDED, PatientRecord


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


def fold_in(survivor: PatientRecord | None, prior: dict[str, Any], surviving_key: str,
            now: datetime) -> PatientRecord:
    """The surviving key's side: take over the prior episodes; keep one open (the earlier)."""
    incoming = PatientRecord.from_dict(prior)
    survivor = survivor or replace(incoming, patient_key=surviving_key, episodes=(), applied=())
    episodes = list(survivor.episodes) + [
        replace(e, patient_key=surviving_key).noted(now, "merged_from", incoming.patient_key)
        for e in incoming.episodes]
    open_ones = sorted((e for e in episodes if e.status == OPEN), key=lambda e: e.discharge_at)
    for extra in open_ones[1:]:
        index = episodes.index(extra)
        episodes[index] = replace(extra, status=VOIDED, reason="merged_duplicate").noted(
            now, "voided", f"merge of {incoming.patient_key}")
    return replace(survivor, episodes=tuple(episodes),
                   applied=tuple(dict.fromkeys(survivor.applied + incoming.applied)))
