"""Patient message texts per language (MSG-5), minimum PHI (MSG-4): a first name at most, the
practice, the callback number, what to do. Every SMS names the provider and says how to opt out
and fits in 160 characters (MSG-1); when a long name would not fit, the name is left out."""

from __future__ import annotations

from collections.abc import Mapping

SMS_LIMIT = 160

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "welcome_sms": "Hi {name}, {practice} here. We'll call within 2 business days of your "
                       "hospital stay. Reply 1 to talk sooner, 2 if well. {callback} STOP=opt out",
        "welcome_sms_anon": "{practice} here. We'll call within 2 business days of your hospital "
                            "stay. Reply 1 to talk sooner, 2 if well. {callback} STOP=opt out",
        "visit_reminder": "{practice}: please book your follow-up visit by {visit_due}. Call "
                          "{callback}. Reply STOP to opt out",
        "checkin": "{practice} checking in. Reply 1 if you need us, 2 if you are doing well. "
                   "Reply STOP to opt out",
        "opt_out_confirmation": "{practice}: you will get no more texts. Reply START to resume.",
        "help": "{practice} follow-up after your hospital stay. Call {callback}. Reply STOP to "
                "opt out",
        "voice_call": "Hello, this is {practice} calling after your hospital stay. Press 1 to ask "
                      "a nurse to call you. Press 2 if you are doing well. Press 9 to stop these "
                      "calls. You can call us at {callback}.",
    },
    "es": {
        "welcome_sms": "Hola {name}, le escribe {practice}. Le llamaremos en 2 días hábiles. "
                       "Responda 1 para hablar antes, 2 si está bien. {callback} STOP=no más",
        "welcome_sms_anon": "Le escribe {practice}. Le llamaremos en 2 días hábiles. Responda 1 "
                            "para hablar antes, 2 si está bien. {callback} STOP=no más",
        "visit_reminder": "{practice}: haga su cita de seguimiento antes del {visit_due}. Llame al "
                          "{callback}. Responda STOP para no recibir más",
        "checkin": "{practice} le saluda. Responda 1 si nos necesita, 2 si está bien. Responda "
                   "STOP para no recibir más",
        "opt_out_confirmation": "{practice}: no recibirá más mensajes. Responda START para volver.",
        "help": "{practice}, seguimiento tras su hospitalización. Llame al {callback}. Responda "
                "STOP para no recibir más",
        "voice_call": "Hola, le llama {practice} tras su hospitalización. Marque 1 para que una "
                      "enfermera le llame. Marque 2 si está bien. Marque 9 para no recibir más "
                      "llamadas. Puede llamarnos al {callback}.",
    },
}


def language_for(code: str | None) -> str:
    """MSG-5: PID-15 codes such as ``es``, ``SPA``, ``spa^Spanish`` map to a template language;
    anything unknown is English."""
    value = (code or "").lower()
    if value.startswith(("es", "spa")):
        return "es"
    return "en"


def render(template: str, language: str, values: Mapping[str, str]) -> str:
    texts = TEMPLATES[language_for(language)]
    text = texts[template].format(**values)
    if template == "welcome_sms" and len(text) > SMS_LIMIT:
        text = texts["welcome_sms_anon"].format(**values)
    return text
