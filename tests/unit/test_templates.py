"""Patient texts: languages (MSG-5), minimum PHI (MSG-4), 160 characters and opt-out (MSG-1)."""

from __future__ import annotations

import pytest

from hub.domain.templates import SMS_LIMIT, TEMPLATES, language_for, render

VALUES = {"name": "Ana", "practice": "Riverside Primary Care", "callback": "+16175550100",
          "visit_due": "11/30"}
SMS = ["welcome_sms", "visit_reminder", "checkin", "help"]


@pytest.mark.parametrize("language", sorted(TEMPLATES))
@pytest.mark.parametrize("template", SMS)
def test_every_sms_fits_names_the_provider_and_offers_opt_out(language: str, template: str) -> None:
    """MSG-1: ≤ 160 characters, names the practice, says how to opt out."""
    text = render(template, language, VALUES)
    assert len(text) <= SMS_LIMIT, text
    assert "Riverside Primary Care" in text and "STOP" in text


def test_a_long_name_drops_the_name_rather_than_overflow() -> None:
    """MSG-1: a long first name never pushes the welcome text over 160 characters."""
    text = render("welcome_sms", "en", {**VALUES, "name": "Maximiliana-Alexandrina"})
    assert len(text) <= SMS_LIMIT and "Maximiliana" not in text


@pytest.mark.parametrize("code, language", [("es", "es"), ("SPA", "es"), ("spa", "es"),
                                            ("en", "en"), ("vi", "en"), (None, "en")])
def test_language_from_pid_15_falls_back_to_english(code: str | None, language: str) -> None:
    """MSG-5: Spanish by code; anything unknown is English."""
    assert language_for(code) == language


def test_texts_carry_no_clinical_words() -> None:
    """MSG-4: no diagnosis, drug, result or specialty in any template."""
    clinical = ("diagnos", "cardio", "oncolog", "medication", "result", "pneumonia", "heart")
    for texts in TEMPLATES.values():
        for text in texts.values():
            assert not any(word in text.lower() for word in clinical), text
