"""§2 A11 (cancel admit) and A40 (merge) against open episodes."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hub.domain.merge import fold_in, hand_over, merge_out_request
from hub.domain.rules import TcmRules
from hub.domain.transitions import apply_adt, apply_tick
from tests.unit.episode_events import KEY, adt_event

NY = ZoneInfo("America/New_York")
RULES = TcmRules()
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=NY)


def opened(key: str = KEY, discharge_at: str = "2026-11-23T09:30:00-05:00"):  # type: ignore[no-untyped-def]
    event = adt_event("A03", f"C-{key}", discharge_at=discharge_at)
    event["patient"]["key"] = key
    return apply_adt(None, event, now=NOW, rules=RULES).record


def test_a11_retracts_the_readmission_and_resumes_outreach() -> None:
    """§2 A11: the flag its A01 raised is retracted; steps still ahead are planned again."""
    readmitted = apply_adt(opened(), adt_event("A01", "C2"), now=NOW, rules=RULES).record
    retracted = apply_adt(readmitted, adt_event("A11", "C3"), now=NOW, rules=RULES)
    episode = retracted.record.open_episode
    assert episode is not None and episode.readmitted_by is None
    assert [a.kind for a in retracted.alerts] == ["readmission_retracted"]
    tick = apply_tick(retracted.record, now=datetime(2026, 11, 24, 10, 0, tzinfo=NY), rules=RULES)
    assert [c.step for c in tick.commands] == ["bd1_call"]


def test_a40_merge_moves_the_prior_episode_to_the_survivor() -> None:
    """§2 A40: the prior id's episode is handed over and kept under the surviving key."""
    event = adt_event("A40", "M1")
    event["merge"] = {"prior_key": "GEN|OLD", "prior_identifiers": []}
    prior_key, request = merge_out_request(event)  # type: ignore[misc]
    assert prior_key == "GEN|OLD" and request["merge_out"] == KEY
    emptied, handed = hand_over(opened("GEN|OLD"), KEY, NOW)
    assert emptied is not None and emptied.merged_into == KEY and emptied.episodes == ()
    merged = fold_in(None, handed["merge_in"], KEY, NOW)  # type: ignore[index]
    [episode] = merged.episodes
    assert episode.patient_key == KEY and episode.status == "open"


def test_merge_of_two_open_episodes_keeps_one_open() -> None:
    """TCM-8 after A40: two open episodes become one; the earlier discharge stays open."""
    later = opened(KEY, "2026-11-25T09:30:00-05:00")
    _, handed = hand_over(opened("GEN|OLD"), KEY, NOW + timedelta(days=3))
    merged = fold_in(later, handed["merge_in"], KEY, NOW + timedelta(days=3))  # type: ignore[index]
    assert sorted(e.status for e in merged.episodes) == ["open", "voided"]
    assert merged.open_episode.discharge_date == "2026-11-23"  # type: ignore[union-attr]


def test_handing_over_twice_sends_nothing_the_second_time() -> None:
    """At-least-once: a repeated merge_out finds the record already merged."""
    emptied, _ = hand_over(opened("GEN|OLD"), KEY, NOW)
    assert hand_over(emptied, KEY, NOW)[1] is None
