"""What a patient's message does to the phone's state, whom it reaches and what the hub answers
(``hub.domain.phone.inbound.receive``; MSG-1, MSG-2, MSG-3, §5), with fixed times."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub.domain.messages import OutreachCommand
from hub.domain.phone import decision as core
from hub.domain.phone import ledger
from hub.domain.phone.inbound import receive
from hub.domain.phone.policy import ContactPolicy
from hub.domain.phone.state import PhoneState

NY = ZoneInfo("America/New_York")
AT = datetime(2026, 11, 23, 10, 0, tzinfo=NY)  # a Monday
PHONE = "+16175550188"
PRACTICE = {"practice": "Riverside Primary Care", "callback": "+16175550100"}
POLICY = ContactPolicy()


def command(episode: str, patient: str, step: str = "welcome_sms", *,
            action: str = "send", days: int = 29) -> OutreachCommand:
    return OutreachCommand(f"{episode}:{step}", episode, patient, step, "sms", PHONE,  # type: ignore[arg-type]
                           step, "en", "Riverside Primary Care: hello. Reply STOP to opt out",
                           AT, AT + timedelta(days=days), "America/New_York", "GEN",
                           action)  # type: ignore[arg-type]


def texted(*commands: OutreachCommand, now: datetime = AT) -> PhoneState:
    """A phone the hub texted with each command (sent at ``now``)."""
    state = None
    for cmd in commands:
        state, _ = core.decide(state, cmd, now=now, policy=POLICY)
        if cmd.action == "send":
            state = ledger.mark_sending(state, cmd, now)
            state = ledger.mark_sent(state, cmd.command_id, f"SM-{cmd.command_id}", "queued", now)
    assert state is not None
    return state


def sms(text: str, sid: str = "SMin1", **extra: Any) -> dict[str, Any]:
    return {"kind": "sms_reply", "phone": PHONE, "body": text, "opt_out_type": None,
            "provider_sid": sid, **extra}


def test_a_reply_keeps_its_words_and_time_for_the_care_team() -> None:
    """§5: the reply's text and when it came travel to the episode (the record, not logs)."""
    received = receive(texted(command("E1", "GEN|77")), PHONE, sms("I fell, my chest hurts"),
                       AT + timedelta(hours=2), PRACTICE)
    [event] = received.events
    assert (event.patient_key, event.episode_id, event.intent) == ("GEN|77", "E1", "urgent")
    assert (event.reply_text, event.at) == ("I fell, my chest hurts", AT + timedelta(hours=2))


def test_one_number_two_patients_a_reply_goes_to_both_marked_shared() -> None:
    """§5 (one number, several patients): a household's reply reaches each episode open on
    the number, marked so that no one files it as that patient's answer."""
    state = texted(command("E1", "GEN|77"), command("E2", "GEN|88"))
    received = receive(state, PHONE, sms("2"), AT + timedelta(hours=1), PRACTICE)
    assert {(e.patient_key, e.episode_id) for e in received.events} == {
        ("GEN|77", "E1"), ("GEN|88", "E2")}
    assert {e.reason for e in received.events} == {"shared_phone"}


def test_a_cancel_never_moves_the_number_to_another_patient() -> None:
    """§5: patient B's cancelled step leaves A's reply routed to A alone once B has no open
    step, and a cancel does not become 'the patient of this number'."""
    state = texted(command("E1", "GEN|77"), command("E2", "GEN|88", days=1),
                   command("E2", "GEN|88", "checkin_d7", action="cancel"))
    later = AT + timedelta(days=3)
    [event] = receive(state, PHONE, sms("1"), later, PRACTICE).events
    assert (event.patient_key, event.reason) == ("GEN|77", None)
    cancel_last = texted(command("E1", "GEN|77"), command("E2", "GEN|88", "x", action="cancel"))
    assert cancel_last.patient_key == "GEN|77" and "E2" not in cancel_last.episodes


def test_a_keypress_goes_to_the_episode_whose_call_it_was() -> None:
    """§5: a key pressed on a call is that call's episode's, even on a shared number."""
    state = texted(command("E1", "GEN|77"), command("E2", "GEN|88"))
    value = {"kind": "call_reply", "phone": PHONE, "digits": "1", "provider_sid": "CA1",
             "command_id": "E2:bd1_call"}
    [event] = receive(state, PHONE, value, AT, PRACTICE).events
    assert (event.patient_key, event.channel, event.intent) == ("GEN|88", "voice", "urgent")


def test_a_reply_after_every_window_reaches_the_last_patient_texted() -> None:
    """§5: a patient asking for help after day 30 is never dropped."""
    state = texted(command("E1", "GEN|77", days=1))
    [event] = receive(state, PHONE, sms("help me"), AT + timedelta(days=40), PRACTICE).events
    assert event.patient_key == "GEN|77"


def test_the_confirmation_is_the_one_text_an_opted_out_number_gets_at_2am() -> None:
    """MSG-2 / MSG-3: the confirmation goes at once (even at 2 a.m., the patient just wrote),
    while the day's planned text to the same number is suppressed."""
    night = datetime(2026, 11, 24, 2, 0, tzinfo=NY)
    received = receive(texted(command("E1", "GEN|77")), PHONE, sms("stop please"), night,
                       PRACTICE)
    assert received.state.opted_out and received.answer is not None
    state, decision = core.decide(received.state, received.answer, now=night, policy=POLICY)
    assert isinstance(decision, core.SendNow)
    _, planned = core.decide(state, command("E1", "GEN|77", "checkin_d7"), now=night,
                             policy=POLICY)
    assert planned == core.Suppress("opted_out")


def test_answers_neither_obey_nor_use_up_the_daily_cap() -> None:
    """MSG-1: answers are not outreach: after the day's text a HELP is answered, and the
    answer does not count towards the caps."""
    state = texted(command("E1", "GEN|77"))
    received = receive(state, PHONE, sms("HELP"), AT + timedelta(hours=1), PRACTICE)
    assert received.answer is not None and received.answer.template == "help"
    now = AT + timedelta(hours=1)
    state, decision = core.decide(received.state, received.answer, now=now, policy=POLICY)
    assert isinstance(decision, core.SendNow)
    state = ledger.mark_sent(ledger.mark_sending(state, received.answer, now),
                           received.answer.command_id, "SMout", "queued", now)
    assert len(state.cap_history()) == 1


def test_no_answer_to_what_twilio_or_the_call_already_confirmed() -> None:
    """MSG-6: Twilio answers its own STOP/HELP keywords; a key on a call confirms on the
    call."""
    state = texted(command("E1", "GEN|77"))
    assert receive(state, PHONE, sms("STOP", opt_out_type="STOP"), AT, PRACTICE).answer is None
    assert receive(state, PHONE, sms("HELP", opt_out_type="HELP"), AT, PRACTICE).answer is None
    key9 = {"kind": "call_reply", "phone": PHONE, "digits": "9", "provider_sid": "CA1",
            "command_id": "E1:bd1_call"}
    received = receive(state, PHONE, key9, AT, PRACTICE)
    assert received.state.opted_out and received.answer is None


def test_a_second_revocation_is_not_confirmed_again() -> None:
    """MSG-2: one confirmation per revocation; START then a new STOP is a new revocation."""
    state = texted(command("E1", "GEN|77"))
    first = receive(state, PHONE, sms("stop", "SM1"), AT, PRACTICE)
    again = receive(first.state, PHONE, sms("I said stop", "SM2"), AT, PRACTICE)
    assert first.answer is not None and again.answer is None
    back = receive(again.state, PHONE, sms("START", "SM3"), AT, PRACTICE)
    assert not back.state.opted_out
    anew = receive(back.state, PHONE, sms("cancel", "SM4"), AT, PRACTICE)
    assert anew.answer is not None and anew.answer.command_id.endswith("SM4")


def test_episodes_long_over_are_forgotten_by_the_number() -> None:
    """§5: a number keeps routing for episodes of the last months only, not for ever."""
    old = command("E0", "GEN|11", days=1)
    state = texted(old)
    later = OutreachCommand(**{**command("E1", "GEN|77").__dict__,
                               "expires_at": AT + timedelta(days=200)})
    state, _ = core.decide(state, later, now=AT, policy=POLICY)
    assert list(state.episodes) == ["E1"]


def test_a_patient_whose_steps_lapsed_still_shares_the_number_until_the_window_ends() -> None:
    """§5 (one number, several patients): between two released steps (the welcome expired,
    the next check-in not yet due) the patient's episode is still open on the number: a reply
    then reaches both patients, flagged, not only the one texted last."""
    from dataclasses import replace

    ana = replace(command("E1", "GEN|77", days=1), window_end=AT + timedelta(days=29))
    ben = replace(command("E2", "GEN|88", days=10), window_end=AT + timedelta(days=29))
    state = texted(ana, ben)
    received = receive(state, PHONE, sms("1"), AT + timedelta(days=5), PRACTICE)
    assert {e.patient_key for e in received.events} == {"GEN|77", "GEN|88"}
    assert {e.reason for e in received.events} == {"shared_phone"}
    after = receive(state, PHONE, sms("1"), AT + timedelta(days=31), PRACTICE)
    assert [e.patient_key for e in after.events] == ["GEN|88"]  # the last texted, alone


def test_asking_for_the_texts_back_in_words_reaches_a_person_and_only_start_opts_in() -> None:
    """MSG-2 both ways, MSG-6: "start again please" from an opted-out number goes to a person
    (who asks for START: Twilio lifts its own block only for that word), and the number stays
    opted out; START opts it back in."""
    state = ledger.opt_out(texted(command("E1", "GEN|77")), AT, via="keyword")
    asked = receive(state, PHONE, sms("start again please"), AT + timedelta(hours=1), PRACTICE)
    assert asked.intent.intent == "unclassified" and "START" in asked.intent.reason
    assert asked.state.opted_out and asked.answer is None
    back = receive(state, PHONE, sms("START", opt_out_type="START"), AT + timedelta(hours=1),
                   PRACTICE)
    assert back.intent.intent == "opt_in" and not back.state.opted_out
