"""The outreach call's TwiML (MSG-1, MSG-6): the PHI-free script inside a one-key ``<Gather>``
(dtmf, 5 s timeout, action URL), short enough for a call under a minute. Built with the official
``twilio`` package so the XML is always well-formed."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from hub.domain.messages import OutreachCommand

SAY_LANGUAGE = {"es": "es-US", "en": "en-US"}


def voice_twiml(command: OutreachCommand, public_url: str | None) -> str:
    response = VoiceResponse()
    action = f"{public_url}/twilio/gather" if public_url else None
    gather = response.gather(input="dtmf", num_digits=1, timeout=5, action=action,
                             method="POST")
    gather.say(command.body, language=SAY_LANGUAGE.get(command.language, "en-US"))
    return str(response)
