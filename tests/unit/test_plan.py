"""The §5 outreach plan as data: steps, times in the facility zone, targets (ADT-4/6),
restrictions (ADT-5), deterministic command ids and expiries inside the window (TCM-1)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from hub.domain.episode.plan import plan_outreach, plan_steps
from hub.domain.episode.record import Contactable, Episode
from hub.domain.episode.rules import OutreachSchedule
from hub.domain.templates import SMS_LIMIT
from tests.unit.episode_events import MOBILE, NY, RULES, opened

LANDLINE = {"e164": "+16175550111", "use": "PRN", "equipment": "PH"}
FAX = {"e164": "+16175550122", "use": "WPN", "equipment": "FX"}
WORK_MOBILE = {"e164": "+16175550133", "use": "WPN", "equipment": "CP"}


def episode(discharge_at: str, **values: Any) -> tuple[Episode, Contactable]:
    record = opened(discharge_at=discharge_at, **values)
    found = record.open_episode or record.episodes[-1]
    return found, record.contactable


def wall(moment: str) -> str:
    return moment.astimezone(NY).strftime("%a %m-%d %H:%M")


@pytest.mark.parametrize("discharge_at, expected", [
    ("2026-11-16T09:30:00-05:00", {  # Monday
        "welcome_sms": "Mon 11-16 09:30", "bd1_call": "Tue 11-17 10:00",
        "visit_reminder": "Thu 11-19 10:00", "checkin_d7": "Mon 11-23 10:00",
        "checkin_d14": "Mon 11-30 10:00", "checkin_d21": "Mon 12-07 10:00",
        "checkin_d28": "Mon 12-14 10:00"}),
    ("2026-11-20T16:00:00-05:00", {  # Friday: call Monday, reminder Tuesday (day 4)
        "bd1_call": "Mon 11-23 10:00", "visit_reminder": "Tue 11-24 10:00"}),
    ("2026-11-25T20:00:00-05:00", {  # eve of Thanksgiving: call Friday, reminder Monday (day 5)
        "bd1_call": "Fri 11-27 10:00", "visit_reminder": "Mon 11-30 10:00"}),
    ("2026-11-23T09:30:00-05:00", {  # Thanksgiving on day 3: the reminder waits for Friday
        "visit_reminder": "Fri 11-27 10:00"}),
])
def test_steps_and_local_times(discharge_at: str, expected: dict[str, str]) -> None:
    """§5 / TCM-3: call on business day 1, reminder on days 3-5 on a business day, check-ins."""
    found, _ = episode(discharge_at)
    times = {s.step: wall(s.not_before) for s in plan_steps(found, RULES)}
    assert {step: times[step] for step in expected} == expected


def test_dst_week_keeps_ten_o_clock() -> None:
    """§5: times are wall-clock in the facility zone across the spring-forward change."""
    found, _ = episode("2026-03-06T15:00:00-05:00")  # Friday before Sunday 8 March
    steps = {s.step: s.not_before for s in plan_steps(found, RULES)}
    assert steps["bd1_call"].hour == 10 and steps["bd1_call"].utcoffset() == timedelta(hours=-4)
    assert steps["checkin_d7"].hour == 10


def test_every_step_expires_inside_the_window() -> None:
    """TCM-1: nothing is sent after day 30; follow-up texts expire with the contact deadline."""
    found, _ = episode("2026-11-23T09:30:00-05:00")
    steps = plan_steps(found, RULES)
    assert all(s.expires_at <= found.window_close for s in steps)
    assert all(s.expires_at > s.not_before
               for s in steps)
    welcome = next(s for s in steps if s.step == "welcome_sms")
    assert welcome.expires_at == found.contact_due


def test_check_ins_beyond_the_window_are_not_planned() -> None:
    """TCM-1: a site schedule with a day-35 check-in never plans past day 30."""
    rules = replace(RULES, schedule=OutreachSchedule(checkin_days=(7, 29, 35)))
    found, _ = episode("2026-11-23T09:30:00-05:00")
    steps = [s.step for s in plan_steps(found, rules)]
    assert "checkin_d29" in steps and "checkin_d35" not in steps


def test_commands_have_deterministic_ids_and_fit() -> None:
    """§5 / MSG-1: command id = "<episode id>:<step>", every SMS ≤ 160 and names the practice."""
    found, contactable = episode("2026-11-23T09:30:00-05:00")
    commands = plan_outreach(found, contactable, RULES)
    assert [c.command_id for c in commands] == [f"{found.episode_id}:{s.step}"
                                                for s in found.plan]
    assert plan_outreach(found, contactable, RULES) == commands  # stable
    for command in commands:
        assert command.zone == "America/New_York" and command.facility == "GEN"
        if command.channel == "sms":
            assert len(command.body) <= SMS_LIMIT and "Riverside Primary Care" in command.body


@pytest.mark.parametrize("phones, sms_to, voice_to", [
    ([LANDLINE, MOBILE], MOBILE["e164"], MOBILE["e164"]),    # ADT-4: CP preferred
    ([WORK_MOBILE, MOBILE], MOBILE["e164"], MOBILE["e164"]),  # own number before work
    ([LANDLINE], LANDLINE["e164"], LANDLINE["e164"]),        # a PH may still be a mobile
    ([FAX, LANDLINE], LANDLINE["e164"], LANDLINE["e164"]),   # never a fax
    ([{"e164": "+16175550144", "use": None, "equipment": None}], "+16175550144", "+16175550144"),
])
def test_targets(phones: list[dict[str, Any]], sms_to: str, voice_to: str) -> None:
    """ADT-4: SMS goes to a mobile when there is one; voice to any valid number; fax never."""
    found, contactable = episode("2026-11-23T09:30:00-05:00", phones=phones)
    targets = {c.channel: c.to for c in plan_outreach(found, contactable, RULES)}
    assert targets == {"sms": sms_to, "voice": voice_to}


def test_no_valid_phone_no_commands() -> None:
    """ADT-4: without a usable number nothing is planned for sending."""
    found, contactable = episode("2026-11-23T09:30:00-05:00", phones=[FAX])
    assert plan_outreach(found, contactable, RULES) == []


def test_caregiver_fallback_only_where_allowed_and_without_the_name() -> None:
    """ADT-6: a caregiver's phone is a fallback where the facility allows it; MSG-4: no name."""
    caregiver = [{"family_name": "RIVERA", "given_name": "LUIS", "relationship": "SPO",
                  "role": "C", "phones": [WORK_MOBILE]}]
    found, contactable = episode("2026-11-23T09:30:00-05:00", phones=[], caregivers=caregiver)
    assert plan_outreach(found, contactable, RULES) == []
    allowed = replace(RULES, caregiver_fallback=True)
    commands = plan_outreach(found, contactable, allowed)
    assert {c.to for c in commands} == {WORK_MOBILE["e164"]}
    assert all("Ana" not in c.body for c in commands)


@pytest.mark.parametrize("publicity_code, protection, steps", [
    ("01", None, ["welcome_sms", "bd1_call"]),      # ADT-5: no reminders
    ("03", None, ["welcome_sms", "visit_reminder", "checkin_d7", "checkin_d14", "checkin_d21",
                  "checkin_d28"]),                    # ADT-5: no calls
    (None, True, []),                                # PD1-12: no automated outreach
])
def test_restrictions_remove_steps(publicity_code: str | None, protection: bool | None,
                                   steps: list[str]) -> None:
    """ADT-5: PD1-11 01 / 03 and PD1-12 Y restrict what the hub sends by itself."""
    found, contactable = episode("2026-11-23T09:30:00-05:00", publicity_code=publicity_code,
                                 protection=protection)
    assert [c.step for c in plan_outreach(found, contactable, RULES)] == steps
    skipped = [s for s in found.plan if s.status == "skipped"]
    assert all(s.reason and s.reason.startswith("restricted:") for s in skipped)


def test_spanish_patient_gets_spanish_texts() -> None:
    """MSG-5: PID-15 Spanish -> Spanish SMS and call script."""
    found, contactable = episode("2026-11-23T09:30:00-05:00", language="spa")
    commands = plan_outreach(found, contactable, RULES)
    assert {c.language for c in commands} == {"es"}
    assert "Responda" in commands[0].body and "Marque" in commands[1].body
