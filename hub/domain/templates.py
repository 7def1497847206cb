"""Patient message texts per language (MSG-5) with minimum PHI (MSG-4): a first name at most, the
practice, the callback number, what to do; never a diagnosis, drug, result or specialty.

Each template is a list of variants, richest first. ``render`` takes the first one that has
every value it needs and fits: every SMS names the provider, says "Reply STOP", and is at most 160
characters (MSG-1), so a long first name drops the name rather than overflow. The voice script is
short enough for a call well under a minute, with one key each for "call me", "doing well" and
"stop calling" (the keys ``hub.domain.replies.VOICE_KEYS`` reads).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import phonenumbers

from hub.errors import ConfigError

SMS_LIMIT = 160
VOICE_WORD_LIMIT = 110  # ~45 s at a slow 150 words a minute: room for the <Gather> pause
SMS_TEMPLATES = frozenset({"welcome_sms", "visit_reminder", "checkin", "help",
                           "opt_out_confirmation"})
VOICE_TEMPLATES = frozenset({"voice_call", "voicemail", "call_thanks", "call_opted_out"})

_EN: dict[str, tuple[str, ...]] = {
    "welcome_sms": (
        "Hi {name}, {practice} will call you from {callback} within 2 business days. "
        "Reply 1 to talk sooner, 2 if well. Reply STOP to opt out",
        "{practice} will call you from {callback} within 2 business days. Reply 1 to talk "
        "sooner, 2 if well. Reply STOP to opt out",
        "{practice} will call you within 2 business days. Reply 1 to talk sooner, 2 if well. "
        "Reply STOP to opt out",
    ),
    "visit_reminder": (
        "Hi {name}, {practice} here. Please see your doctor for a follow-up visit by "
        "{visit_due}. Call {callback} to book. Reply STOP to opt out",
        "{practice}: please see your doctor for a follow-up visit by {visit_due}. Call "
        "{callback} to book. Reply STOP to opt out",
        "{practice}: please see your doctor for a follow-up visit by {visit_due}. Reply STOP "
        "to opt out",
    ),
    "checkin": (
        "Hi {name}, {practice} checking in. Reply 1 if you need us, 2 if you are doing well, "
        "or call {callback}. Reply STOP to opt out",
        "{practice} checking in. Reply 1 if you need us, 2 if you are doing well, or call "
        "{callback}. Reply STOP to opt out",
        "{practice} checking in. Reply 1 if you need us. Reply STOP to opt out",
    ),
    "help": (
        "{practice}: follow-up after your hospital stay. Call {callback}. Reply STOP to opt out",
        "{practice}: follow-up after your hospital stay. Reply STOP to opt out",
    ),
    "opt_out_confirmation": (
        "{practice}: you will get no more texts. Reply START to resume.",
    ),
    "voice_call": (
        "Hello, this is {practice}, calling to check on you after your hospital stay. "
        "Press 1 if you would like a nurse to call you back. Press 2 if you are doing well. "
        "Press 9 to stop these calls. You can also call us at {callback}.",
        "Hello, this is {practice}, calling to check on you after your hospital stay. "
        "Press 1 if you would like a nurse to call you back. Press 2 if you are doing well. "
        "Press 9 to stop these calls.",
    ),
    "voicemail": (
        "Hello, this is {practice}. Please call us back at {callback}. Thank you.",
        "Hello, this is {practice}, calling to check on you. We will try again. Thank you.",
    ),
    "call_thanks": ("Thank you. Goodbye.",),
    "call_opted_out": ("You will not get more calls from {practice}. Goodbye.",),
}

_ES: dict[str, tuple[str, ...]] = {
    "welcome_sms": (
        "Hola {name}: {practice} le llamará del {callback} en 2 días hábiles. Responda 1 para "
        "hablar antes, 2 si está bien, STOP para no recibir más",
        "{practice} le llamará del {callback} en 2 días hábiles. Responda 1 para hablar antes, "
        "2 si está bien, STOP para no recibir más",
        "{practice} le llamará en 2 días hábiles. Responda 1 para hablar antes, 2 si está bien, "
        "STOP para no recibir más",
    ),
    "visit_reminder": (
        "Hola {name}, le escribe {practice}. Vea a su médico antes del {visit_due}. Llame al "
        "{callback} para la cita. Responda STOP para no recibir más",
        "{practice}: vea a su médico antes del {visit_due}. Llame al {callback} para la cita. "
        "Responda STOP para no recibir más",
        "{practice}: vea a su médico antes del {visit_due}. Responda STOP para no recibir más",
    ),
    "checkin": (
        "Hola {name}, {practice} le saluda. Responda 1 si nos necesita, 2 si está bien, o "
        "llame al {callback}. Responda STOP para no recibir más",
        "{practice} le saluda. Responda 1 si nos necesita, 2 si está bien, o llame al "
        "{callback}. Responda STOP para no recibir más",
        "{practice} le saluda. Responda 1 si nos necesita. Responda STOP para no recibir más",
    ),
    "help": (
        "{practice}: seguimiento tras su hospitalización. Llame al {callback}. Responda STOP "
        "para no recibir más",
        "{practice}: seguimiento tras su hospitalización. Responda STOP para no recibir más",
    ),
    "opt_out_confirmation": (
        "{practice}: no recibirá más mensajes. Responda START para volver.",
    ),
    "voice_call": (
        "Hola, le llama {practice} para saber cómo está después de su hospitalización. "
        "Marque 1 si desea que una enfermera le llame. Marque 2 si está bien. Marque 9 para "
        "no recibir más llamadas. También puede llamarnos al {callback}.",
        "Hola, le llama {practice} para saber cómo está después de su hospitalización. "
        "Marque 1 si desea que una enfermera le llame. Marque 2 si está bien. Marque 9 para "
        "no recibir más llamadas.",
    ),
    "voicemail": (
        "Hola, le llama {practice}. Por favor llámenos al {callback}. Gracias.",
        "Hola, le llama {practice} para saber cómo está. Volveremos a llamar. Gracias.",
    ),
    "call_thanks": ("Gracias. Adiós.",),
    "call_opted_out": ("No recibirá más llamadas de {practice}. Adiós.",),
}

TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {"en": _EN, "es": _ES}


def language_for(code: str | None) -> str:
    """MSG-5: PID-15 codes such as ``es``, ``SPA``, ``spa^Spanish`` map to a template language;
    anything unknown is English."""
    value = (code or "").strip().lower()
    if value.startswith(("es", "spa")):
        return "es"
    return "en"


_MONTHS = {"en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                   "Dec"),
           "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov",
                  "dic")}


def short_date(day: date, language: str) -> str:
    """A date nobody misreads (no 11/12 vs 12/11): ``Nov 30`` / ``30 nov``."""
    lang = language_for(language)
    month = _MONTHS[lang][day.month - 1]
    return f"{month} {day.day}" if lang == "en" else f"{day.day} {month}"


def display_number(number: str) -> str:
    """A callback number as people read it: +16175550100 -> (617) 555-0100 (national format
    in its own country); anything that does not parse is shown as configured."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_valid_number(parsed):
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def render(template: str, language: str, values: Mapping[str, str]) -> str:
    """The first variant of ``template`` in ``language`` that has its values and fits (MSG-1).

    ``values``: ``practice`` and ``callback`` always; ``name`` (first name, may be empty) and
    ``visit_due`` where the template uses them. Raises ``ConfigError`` when no variant fits,
    which ``check_templates`` makes happen at start-up instead.
    """
    filled = {key: (value or "").strip() for key, value in values.items()}
    if filled.get("callback"):
        filled["callback"] = display_number(filled["callback"])
    variants = TEMPLATES[language_for(language)][template]
    reachable = any("{callback}" in variant for variant in variants)
    for variant in variants:
        if reachable and filled.get("callback") and "{callback}" not in variant:
            continue  # MSG-1: say how to reach the provider whenever a number is configured
        if any(f"{{{key}}}" in variant and not filled.get(key)
               for key in ("name", "callback", "visit_due")):
            continue  # never "Hi ," or "call us at ."
        text = variant.format(**filled)
        if _fits(template, text):
            return text
    raise ConfigError(f"template {template!r} ({language}) cannot be rendered within the limits "
                      "of MSG-1 with these values (practice name too long?)")


def _fits(template: str, text: str) -> bool:
    if template in VOICE_TEMPLATES:
        return len(text.split()) <= VOICE_WORD_LIMIT
    return len(text) <= SMS_LIMIT


def check_templates(practice: str, callback: str) -> None:
    """At start-up: every template renders for this practice in every language, with the
    longest date a reminder can carry and without a name (the variant every patient can get)."""
    if not practice.strip():
        raise ConfigError("the practice name is required: every message names the provider (MSG-1)")
    for language, texts in TEMPLATES.items():
        values = {"practice": practice, "callback": callback, "name": "",
                  "visit_due": short_date(date(2026, 12, 31), language)}
        for template in texts:
            render(template, language, values)
