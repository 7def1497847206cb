"""§2 A40 merges: two steps through Kafka, idempotent, and TCM-8 after the merge."""

from __future__ import annotations

from datetime import date
from typing import Any

from hub.domain.episode.actions import apply_action
from hub.domain.episode.lifecycle import adt_key
from hub.domain.episode.merge import (
    MAX_HOPS,
    fold_in,
    forwarded,
    hand_over,
    merge_out_request,
    merge_records,
    survivor_for,
)
from hub.domain.episode.record import PatientRecord
from hub.domain.episode.transitions import apply_adt
from tests.unit.episode_events import KEY, NOW, RULES, adt_event, at, opened

OLD = "GEN|OLD"


def prior(discharge_at: str = "2026-11-23T09:30:00-05:00", **values: Any) -> PatientRecord:
    return opened(key=OLD, discharge_at=discharge_at, visit_number="P1", **values)


def test_a40_names_the_prior_key_to_ask() -> None:
    """§2 A40: the surviving key's agent asks the prior key's agent for its record."""
    event = adt_event("A40", "M1", prior_key=OLD)
    assert merge_out_request(event) == (OLD, {"merge_out": KEY, "control_id": "M1"})
    assert merge_out_request(adt_event("A40", "M1", prior_key=KEY)) is None
    assert merge_out_request(adt_event("A08", "M1")) is None


def test_the_prior_episode_moves_to_the_survivor_with_its_id() -> None:
    """§2 A40: handed over, kept under the surviving key; its id (and command ids) unchanged."""
    before = prior()
    emptied, handed = hand_over(before, KEY, NOW)
    assert emptied is not None and emptied.merged_into == KEY and emptied.episodes == ()
    assert handed is not None
    outcome = merge_records(None, PatientRecord.from_dict(handed["merge_in"]), KEY, now=NOW,
                            rules=RULES)
    [episode] = outcome.record.episodes
    assert (episode.patient_key, episode.status) == (KEY, "open")
    assert episode.episode_id == before.episodes[0].episode_id
    assert outcome.record.contactable.phones  # the prior's phone came along
    assert episode.timeline[-1]["what"] == "merged_from"


def test_two_open_episodes_become_one_the_earlier_kept() -> None:
    """TCM-8 after A40: the later one is voided as a duplicate, its pending texts cancelled and
    its evidence carried over."""
    survivor = apply_adt(None, adt_event("A03", "C1", discharge_at="2026-11-25T09:30:00-05:00",
                                         visit_number="V1"), now=at("2026-11-25 10:00"),
                         rules=RULES).record
    survivor = apply_action(survivor, {
        "kind": "med_rec", "by": "rn.lee", "at": "2026-11-25T11:00:00-05:00"},
        now=at("2026-11-25 11:05"), rules=RULES).record
    outcome = merge_records(survivor, prior(), KEY, now=at("2026-11-25 12:00"), rules=RULES)
    kept = outcome.record.open_episode
    assert kept is not None and kept.discharge_date == date(2026, 11, 23)
    assert kept.med_rec is not None and kept.visit_numbers == ("P1", "V1")
    assert sorted(e.status for e in outcome.record.episodes) == ["open", "voided"]
    assert [c.action for c in outcome.commands] == ["cancel"]
    assert [a.kind for a in outcome.raised] == ["episodes_merged"]


def test_merge_steps_are_idempotent() -> None:
    """At-least-once: a repeated merge_out sends nothing; a repeated merge_in adds nothing."""
    before = prior()
    emptied, handed = hand_over(before, KEY, NOW)
    assert hand_over(emptied, KEY, NOW)[1] is None
    assert handed is not None
    once = fold_in(None, handed["merge_in"], KEY, now=NOW, rules_for=lambda _: RULES)
    again = fold_in(once.record, handed["merge_in"], KEY, now=NOW, rules_for=lambda _: RULES)
    assert again.record == once.record and again.commands == [] and again.alerts == []


def test_folding_in_a_duplicate_cancels_its_waiting_texts_with_the_facility_rules() -> None:
    """TCM-8 after A40: what the agent folds in voids the later episode, returns the cancel for
    its welcome text still waiting for allowed hours and the episodes_merged alert, using the
    surviving facility's rules."""
    survivor = apply_adt(None, adt_event("A03", "C1", discharge_at="2026-11-25T09:30:00-05:00",
                                         visit_number="V1"), now=at("2026-11-25 10:00"),
                         rules=RULES).record
    _, handed = hand_over(prior(), KEY, NOW)
    assert handed is not None
    asked: list[str] = []
    outcome = fold_in(survivor, handed["merge_in"], KEY, now=at("2026-11-25 12:00"),
                      rules_for=lambda facility: asked.append(facility) or RULES)
    [cancel] = outcome.commands
    voided = next(e for e in outcome.record.episodes if e.status == "voided")
    assert (cancel.action, cancel.command_id) == ("cancel", f"{voided.episode_id}:welcome_sms")
    assert cancel.to == "+16175550188"
    assert [a.kind for a in outcome.raised] == ["episodes_merged"] and asked == ["GEN"]


def test_episodes_from_other_zones_are_ordered_by_instant() -> None:
    """TCM-8 after A40: the earlier discharge is kept open even when its offset sorts it later
    as text."""
    survivor = apply_adt(None, adt_event("A03", "C1", discharge_at="2026-11-23T08:00:00-05:00",
                                         visit_number="V1"), now=at("2026-11-23 10:00"),
                         rules=RULES).record
    earlier = prior(discharge_at="2026-11-23T12:30:00+00:00")  # 07:30 New York
    outcome = merge_records(survivor, earlier, KEY, now=at("2026-11-23 12:00"), rules=RULES)
    kept = outcome.record.open_episode
    assert kept is not None and kept.visit_numbers == ("P1", "V1")


def test_the_surviving_demographics_win_and_death_holds() -> None:
    """§2 A40: the A40 carries the current PID; a death known on either side is kept."""
    survivor = apply_adt(None, adt_event("A40", "M1", prior_key=OLD, given_name="ANNA",
                                         phones=[]), now=NOW, rules=RULES).record
    dead_prior = apply_adt(prior(), adt_event("A08", "C9", key=OLD, deceased=True), now=NOW,
                           rules=RULES).record
    merged = merge_records(survivor, dead_prior, KEY, now=NOW, rules=RULES).record
    assert merged.contactable.given_name == "ANNA" and merged.contactable.deceased
    assert merged.contactable.phones  # the survivor had none: the prior's are used


def test_what_reaches_a_merged_away_key_goes_to_the_survivor_tcm_8() -> None:
    """§2 A40, TCM-8: a late ADT, a reply or an action for the old key is the survivor's (else
    a second episode, or a lost reply); a tick and the A40 itself stay; forwards stop after
    MAX_HOPS (merges chained back and forth)."""
    emptied, _ = hand_over(prior(), KEY, NOW)
    assert emptied is not None and emptied.merged_into == KEY
    assert survivor_for(emptied, about_the_patient=True, is_a_merge=False, hops=0) == KEY
    assert survivor_for(emptied, about_the_patient=False, is_a_merge=False, hops=0) is None
    assert survivor_for(emptied, about_the_patient=True, is_a_merge=True, hops=0) is None
    assert survivor_for(emptied, about_the_patient=True, is_a_merge=False,
                        hops=MAX_HOPS) is None
    assert survivor_for(prior(), about_the_patient=True, is_a_merge=False, hops=0) is None
    assert survivor_for(None, about_the_patient=True, is_a_merge=False, hops=0) is None
    tick = forwarded("adt.events", {"event_type": "A03"}, hops=1)
    assert tick == {"follow": {"topic": "adt.events", "value": {"event_type": "A03"},
                               "hops": 2}}


def test_open_alerts_follow_the_episode_to_the_surviving_key_as_they_are() -> None:
    """§2 A40 and the care team's books (kept per patient key): the prior key's open alert is
    handed to the survivor's book as it is: acknowledged stays acknowledged (no escalation an
    hour later), nobody is notified again and no "cleared" goes out; a redelivered hand-over
    changes nothing; a later clear finds it; no alert stays open under the old key."""
    from hub.domain.alerts.lifecycle import acknowledge, on_alert, on_tick, open_cases
    from hub.domain.alerts.routing import Person, Routing, Team

    routing = Routing(teams={"care-team": Team("care-team", members=("rn1", "rn2"),
                                               on_call=("rn1", "rn2"), channels=("webhook",),
                                               webhook="https://team.example/hook")},
                      people={"rn1": Person("rn1", "Rita"), "rn2": Person("rn2", "Sam")})
    readmitted = apply_adt(prior(), adt_event("A01", "R1", key=OLD), now=at("2026-11-24 08:00"),
                           rules=RULES)
    [raised] = [a for a in readmitted.raised if a.kind == "readmission"]
    books: dict[str, Any] = {}
    first = on_alert(None, OLD, raised.to_dict(), routing, at("2026-11-24 08:00"))
    assert first.deliveries  # the team was told once
    books[OLD] = acknowledge(first.book, raised.alert_id, "rn.lee", routing,
                             at("2026-11-24 08:05")).book
    _, handed = hand_over(readmitted.record, KEY, at("2026-11-24 09:00"))
    assert handed is not None
    moved = fold_in(None, handed["merge_in"], KEY, now=at("2026-11-24 09:00"),
                    rules_for=lambda _: RULES)
    told: list[dict[str, Any]] = []
    handovers: list[tuple[str, dict[str, Any]]] = []
    for alert in moved.alerts:
        step = on_alert(books.get(alert.patient_key), alert.patient_key, alert.to_dict(),
                        routing, at("2026-11-24 09:00"))
        books[alert.patient_key], handovers = step.book, handovers + step.handovers
        told += step.deliveries
    for target, record in handovers + handovers:  # the second time: a redelivery
        step = on_alert(books.get(target), target, record, routing, at("2026-11-24 09:00"))
        books[target] = step.book
        told += step.deliveries
    assert [d for d in told if d["alert_id"] == raised.alert_id] == []  # nobody told again
    assert open_cases(books[OLD]) == []
    [case] = [c for c in open_cases(books[KEY]) if c["kind"] == "readmission"]
    assert (case["alert_id"], case["state"], case["acked_by"]) == (
        raised.alert_id, "acknowledged", "rn.lee")
    later = on_tick(books[KEY], routing, at("2026-11-24 10:30"))
    assert not [a for a in later.actions if a["action"] == "alert_escalated"]
    # the readmission's end (discharged home again) now clears it where it is
    home = apply_adt(moved.record, adt_event("A03", "H2", discharge_at="2026-11-26T10:00:00-05:00"),
                     now=at("2026-11-26 10:30"), rules=RULES)
    for alert in home.alerts:
        books[alert.patient_key] = on_alert(books.get(alert.patient_key), alert.patient_key,
                                            alert.to_dict(), routing, at("2026-11-26 10:30")).book
    assert [c for c in open_cases(books[KEY]) if c["kind"] == "readmission"] == []


def test_a_clear_that_overtakes_the_hand_over_is_not_undone() -> None:
    """A40 across partitions: the survivor's clear can be read before the prior key's book
    hands the case over; the case then arrives cleared, never open again."""
    from hub.domain.alerts.lifecycle import on_alert, open_cases
    from hub.domain.alerts.routing import Routing

    readmitted = apply_adt(prior(), adt_event("A01", "R1", key=OLD), now=at("2026-11-24 08:00"),
                           rules=RULES)
    [raised] = [a for a in readmitted.raised if a.kind == "readmission"]
    routing = Routing()
    old = on_alert(None, OLD, raised.to_dict(), routing, at("2026-11-24 08:00")).book
    cleared = {**raised.to_dict(), "patient_key": KEY, "event": "alert_cleared",
               "reason": "discharged_again"}
    survivor = on_alert(None, KEY, cleared, routing, at("2026-11-24 09:01")).book
    merged = {**raised.to_dict(), "event": "alert_cleared", "reason": "merged",
              "detail": {"merged_into": KEY}}
    [(target, record)] = on_alert(old, OLD, merged, routing, at("2026-11-24 09:02")).handovers
    survivor = on_alert(survivor, target, record, routing, at("2026-11-24 09:02")).book
    assert open_cases(survivor) == [] and survivor["cases"][raised.alert_id]["state"] == "cleared"


def test_an_event_the_old_key_applied_before_the_hand_over_stays_there() -> None:
    """§2 A40, TCM-8 across a crash: the prior's discharge and readmission read again after the
    hand-over (redelivered, or from an older commit) are absorbed by the old key, which
    remembers them; forwarded, they could reach the survivor before its episodes and open a
    second episode there for the same discharge, and the hand-over would void the real one and
    its acknowledged alert."""
    discharge = adt_event("A03", "C1", key=OLD, discharge_at="2026-11-23T09:30:00-05:00",
                          visit_number="P1")
    readmitted = apply_adt(prior(), adt_event("A01", "C2", key=OLD), now=NOW, rules=RULES)
    assert [a.kind for a in readmitted.raised] == ["readmission"]
    emptied, _ = hand_over(readmitted.record, KEY, NOW)
    assert emptied is not None
    for event in (discharge, adt_event("A01", "C2", key=OLD)):
        assert survivor_for(emptied, about_the_patient=True, is_a_merge=False, hops=0,
                            applied_id=adt_key(event)) is None
        again = apply_adt(emptied, event, now=NOW, rules=RULES)
        assert (again.record, again.commands, again.alerts) == (emptied, [], [])
    late = adt_event("A08", "C3", key=OLD)  # never applied here: the survivor's
    assert survivor_for(emptied, about_the_patient=True, is_a_merge=False, hops=0,
                        applied_id=adt_key(late)) == KEY


def test_the_agent_names_what_each_record_kind_is_remembered_by() -> None:
    """The episodes stage asks ``survivor_for`` with the id each record is remembered by once
    applied (ADT, outreach result, care-team action): if the two drifted apart, a record the old
    key had applied would be forwarded again."""
    from agents.episodes import _applied_id
    from agents.topics import EPISODE_ACTIONS, EPISODE_TICKS, EVENTS, OUTREACH_EVENTS
    from hub.domain.episode.outreach_results import apply_outreach_event

    record = prior()
    episode = record.episodes[0]
    readmitted = adt_event("A01", "C2", key=OLD)
    result = {"kind": "send_result", "patient_key": OLD, "episode_id": episode.episode_id,
              "command_id": f"{episode.episode_id}:welcome_sms", "channel": "sms",
              "status": "sent", "at": NOW.isoformat(), "provider_sid": "SM1"}
    action = {"kind": "attempt", "by": "rn.lee", "channel": "phone", "outcome": "no answer",
              "at": NOW.isoformat(), "action_id": "a-1"}
    for topic, value, apply in (
            (EVENTS, readmitted, lambda r, v: apply_adt(r, v, now=NOW, rules=RULES)),
            (OUTREACH_EVENTS, result,
             lambda r, v: apply_outreach_event(r, v, now=NOW, rules=RULES)),
            (EPISODE_ACTIONS, action, lambda r, v: apply_action(r, v, now=NOW, rules=RULES))):
        applied = apply(record, value).record.applied
        assert _applied_id(topic, value) in applied and _applied_id(topic, value) not in \
            record.applied, topic
    assert _applied_id(EPISODE_TICKS, {"tick": "due"}) is None
