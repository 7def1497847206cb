"""Stage **webhooks**: Twilio status callbacks, inbound SMS and ``<Gather>`` results as Faust web
views. Every request's ``X-Twilio-Signature`` is checked; a bad one gets 403 and is counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import faust
from faust.web import Request, Response, View

from agents.topics import Topics
from hub.adapters.twilio_webhooks import (
    SignatureChecker, gather_result, inbound_sms, status_callback)
from hub.config import Settings
from hub.logs import get_logger

log = get_logger("agents.webhooks")
MAX_FORM_BYTES = 64 * 1024
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
THANKS_TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Thank you. Goodbye.'
                "</Say></Response>")


def register(app: faust.App, topics: Topics, settings: Settings) -> Counter[str]:
    checker = SignatureChecker(settings.twilio.auth_token, settings.twilio.public_url)
    refused: Counter[str] = Counter()

    async def verified_form(view: View, request: Request
                            ) -> tuple[dict[str, str], None] | tuple[None, Response]:
        """The form when Twilio signed it; otherwise the refusal to send back (never both)."""
        if (request.content_length or 0) > MAX_FORM_BYTES:
            return None, view.json({"error": "payload too large"}, status=413)
        form = {k: str(v) for k, v in (await request.post()).items()}
        url = checker.url_for(request.path_qs, str(request.url))
        if not checker.valid(url, form, request.headers.get("X-Twilio-Signature")):
            refused[request.path] += 1
            log.warning("webhook.bad_signature", path=request.path, refused=refused[request.path])
            return None, view.json({"error": "invalid X-Twilio-Signature"}, status=403)
        return form, None

    def webhook(path: str, to_record: Callable[[dict[str, str]], dict[str, Any]],
                reply: Callable[[View], Response]) -> None:
        """A signed Twilio form post -> one ``outreach.inbound`` record -> Twilio's answer."""

        class TwilioWebhook(View):
            async def post(self, request: Request) -> Response:
                form, refusal = await verified_form(self, request)
                if form is None:
                    return refusal
                record = to_record(form)
                await topics.outreach_inbound.send(key=record["phone"], value=record)
                return reply(self)

        app.page(path, name=path)(TwilioWebhook)

    xml = "application/xml"
    webhook("/twilio/sms", inbound_sms, lambda v: v.text(EMPTY_TWIML, content_type=xml))
    webhook("/twilio/status", status_callback, lambda v: v.text("", status=204))
    webhook("/twilio/gather", gather_result, lambda v: v.text(THANKS_TWIML, content_type=xml))

    return refused
