"""Patient texts: languages (MSG-5), minimum PHI (MSG-4), 160 characters, the provider named and
opt-out in every SMS, a voice script well under a minute with its keys (MSG-1)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.phone.replies import VOICE_KEYS
from hub.domain.template_check import check_templates
from hub.domain.templates import (
    SMS_LIMIT,
    TEMPLATES,
    VOICE_WORD_LIMIT,
    language_for,
    render,
    short_date,
)
from hub.errors import ConfigError

VALUES = {"name": "Ana", "practice": "Riverside Primary Care", "callback": "+16175550100",
          "visit_due": "Nov 30"}
PATIENT_SMS = ["welcome_sms", "visit_reminder", "checkin", "help"]
LANGUAGES = sorted(TEMPLATES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", PATIENT_SMS)
def test_every_sms_fits_names_the_provider_and_offers_opt_out(language: str, template: str) -> None:
    """MSG-1: ≤ 160 characters, names the practice and its number, says "Reply STOP"."""
    text = render(template, language, VALUES)
    assert len(text) <= SMS_LIMIT, text
    assert "Riverside Primary Care" in text and "(617) 555-0100" in text
    assert "STOP" in text
    if language == "en":
        assert "Reply STOP to opt out" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_welcome_says_who_when_and_what_to_do(language: str) -> None:
    """§5 welcome: who we are, a call from a named number within 2 business days, 1 / 2 / STOP."""
    text = render("welcome_sms", language, VALUES)
    assert "Ana" in text and "2" in text and "1 " in text and "STOP" in text


@given(name=st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=60),
       template=st.sampled_from(PATIENT_SMS), language=st.sampled_from(LANGUAGES))
def test_a_long_name_never_overflows(name: str, template: str, language: str) -> None:
    """MSG-1 property: whatever the first name, the text stays within 160 characters."""
    assert len(render(template, language, {**VALUES, "name": name})) <= SMS_LIMIT


def test_a_long_name_is_left_out_rather_than_cut() -> None:
    """MSG-1: a name that does not fit is dropped, the rest of the message kept."""
    text = render("welcome_sms", "en", {**VALUES, "name": "Maximiliana-Alexandrina-Josefina"})
    assert "Maximiliana" not in text and "(617) 555-0100" in text and len(text) <= SMS_LIMIT


def test_no_name_never_gives_an_empty_greeting() -> None:
    """MSG-4: without a first name the greeting is left out, never "Hi ,"."""
    text = render("welcome_sms", "en", {**VALUES, "name": ""})
    assert not text.startswith("Hi") and "Riverside Primary Care" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_voice_script_is_short_with_keys_replies_understand(language: str) -> None:
    """MSG-1: the call is under a minute, with 1 (call me), 2 (doing well) and an opt-out key."""
    text = render("voice_call", language, VALUES)
    assert len(text.split()) <= VOICE_WORD_LIMIT
    for key in ("1", "2", "9"):
        assert f" {key} " in text
    assert {VOICE_KEYS[k].intent for k in ("1", "2", "9")} == {"urgent", "doing_well", "opt_out"}


@pytest.mark.parametrize("code, language", [("es", "es"), ("SPA", "es"), ("spa^Spanish", "es"),
                                            ("en", "en"), ("vi", "en"), ("", "en"), (None, "en")])
def test_language_from_pid_15_falls_back_to_english(code: str | None, language: str) -> None:
    """MSG-5: Spanish by code; anything unknown is English."""
    assert language_for(code) == language


def test_unknown_language_renders_english() -> None:
    """MSG-5: a template asked for in an unsupported language comes out in English."""
    assert render("checkin", "vi", VALUES) == render("checkin", "en", VALUES)


def test_texts_carry_no_clinical_words() -> None:
    """MSG-4: no diagnosis, drug, result or specialty in any template of any language."""
    clinical = ("diagnos", "cardio", "oncolog", "medica", "result", "pneumon", "heart",
                "corazón", "prescri", "surgery", "cirug", "lab ")
    for variants in TEMPLATES.values():
        for texts in variants.values():
            for text in texts:
                assert not any(word in text.lower() for word in clinical), text


def test_dates_are_unambiguous_in_each_language() -> None:
    """MSG-5: the visit date reads naturally and never as 11/12 vs 12/11."""
    assert short_date(date(2026, 11, 30), "en") == "Nov 30"
    assert short_date(date(2026, 11, 30), "es") == "30 nov"


def test_start_up_check_refuses_a_practice_name_that_cannot_fit() -> None:
    """MSG-1: a practice name too long for a 160-character text fails at start-up."""
    check_templates("Riverside Primary Care", "+16175550100")
    with pytest.raises(ConfigError):
        check_templates("Riverside Regional Medical Center Department of Internal Medicine "
                        "and Transitional Care Services at the Main Campus", "+16175550100")
    with pytest.raises(ConfigError):
        check_templates("  ", "+16175550100")


def test_callback_number_is_shown_as_people_dial_it() -> None:
    """MSG-1: the provider's number is readable; an unparseable one is shown as configured."""
    assert "(617) 555-0100" in render("help", "en", VALUES)
    assert "ext. 12" in render("help", "en", {**VALUES, "callback": "ext. 12"})
