"""Reply intents (§5, MSG-2, MSG-6)."""

from __future__ import annotations

import pytest

from hub.domain.replies import classify_reply, voice_digits


@pytest.mark.parametrize("text, intent", [
    ("STOP", "opt_out"), ("stop", "opt_out"), ("Unsubscribe", "opt_out"), ("quit", "opt_out"),
    ("please stop texting me", "opt_out"), ("Don't text me anymore", "opt_out"),
    ("opt out", "opt_out"), ("No más mensajes", "opt_out"), ("ALTO", "opt_out"),
    ("START", "opt_in"), ("unstop", "opt_in"),
    ("HELP", "help_keyword"), ("info", "help_keyword"),
    ("1", "urgent"), ("help me", "urgent"), ("I fell in the bathroom", "urgent"),
    ("chest pain since last night", "urgent"), ("can't breathe", "urgent"),
    ("tengo dolor", "urgent"), ("me siento mal", "urgent"), ("yes", "urgent"),
    ("2", "doing_well"), ("Good thanks!", "doing_well"), ("estoy bien", "doing_well"),
    ("what time is my appointment?", "unclassified"), ("", "unclassified"),
])
def test_reply_intents(text: str, intent: str) -> None:
    """§5 / MSG-2: opt-out by any reasonable wording; cries for help are urgent."""
    assert classify_reply(text).intent == intent


def test_yes_opts_back_in_only_when_opted_out() -> None:
    """MSG-2: YES re-subscribes an opted-out phone; otherwise it is the §5 'yes, call me'."""
    assert classify_reply("yes", opted_out=True).intent == "opt_in"
    assert classify_reply("yes", opted_out=False).intent == "urgent"


def test_twilio_opt_out_type_wins() -> None:
    """MSG-6: Twilio's OptOutType field decides over the words."""
    assert classify_reply("whatever", "STOP").intent == "opt_out"
    assert classify_reply("whatever", "START").intent == "opt_in"


def test_stop_with_a_cry_for_help_is_urgent() -> None:
    """§5: 'stop the pain' is a patient in trouble, not an opt-out."""
    assert classify_reply("stop the pain").intent == "urgent"


@pytest.mark.parametrize("digits, intent", [("1", "urgent"), ("2", "doing_well"),
                                            ("9", "opt_out"), ("5", "unclassified")])
def test_call_keys(digits: str, intent: str) -> None:
    """MSG-1: the call's keys: 1 nurse call, 2 doing well, 9 stop calls."""
    assert voice_digits(digits).intent == intent
