"""The outreach call (MSG-1, MSG-6): PHI-free scripts, built with the official ``twilio`` package
so the XML is always well-formed.

With a public URL the call asks Twilio to detect an answering machine (``DetectMessageEnd``)
and then fetch its TwiML from the hub's ``/twilio/voice``: a person hears the one-key menu inside
a ``<Gather>`` (dtmf, 5 s), a machine hears the callback message and the call hangs up. Without
one (a local rehearsal) the menu is sent inline and there is nowhere for a keypress to go.
The ids in the URLs are the command id (an opaque episode id and a step): no PHI.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse

from hub.adapters.outbound import CallScript
from hub.domain.messages import OutreachCommand
from hub.domain.templates import language_for, render

SAY_LANGUAGE = {"es": "es-US", "en": "en-US"}
MACHINE = ("machine_end_beep", "machine_end_silence", "machine_end_other", "machine_start")


def call_script(command: OutreachCommand, public_url: str | None) -> CallScript:
    query = {"command_id": command.command_id, "lang": language_for(command.language)}
    return CallScript(
        twiml=menu_twiml(command.body, query, public_url),
        url=f"{public_url}/twilio/voice?{urlencode(query)}" if public_url else None)


def menu_twiml(text: str, query: Mapping[str, str], public_url: str | None) -> str:
    response = VoiceResponse()
    action = f"{public_url}/twilio/gather?{urlencode(query)}" if public_url else None
    gather = response.gather(input="dtmf", num_digits=1, timeout=5, action=action,
                             method="POST")
    gather.say(text, language=SAY_LANGUAGE[language_for(query.get("lang"))])
    return str(response)


def answered_twiml(answered_by: str | None, query: Mapping[str, str],
                   practice: Mapping[str, str], public_url: str | None) -> str:
    """What the call plays once Twilio knows who answered: the menu for a person (or when it
    could not tell), the PHI-free callback message for a machine, nothing for a fax."""
    language = language_for(query.get("lang"))
    if answered_by == "fax":
        response = VoiceResponse()
        response.hangup()
        return str(response)
    if answered_by in MACHINE:
        return say_and_hang_up(render("voicemail", language, practice), language)
    return menu_twiml(render("voice_call", language, practice), query, public_url)


def say_and_hang_up(text: str, language: str) -> str:
    response = VoiceResponse()
    response.say(text, language=SAY_LANGUAGE[language_for(language)])
    response.hangup()
    return str(response)
