"""Stage **webhooks**: Twilio status callbacks, inbound SMS, the call's TwiML and ``<Gather>``
results as Faust web views. Every request's ``X-Twilio-Signature`` is checked; a bad one gets 403
and is counted. Each signed form becomes one ``outreach.inbound`` record, keyed by the phone."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import faust
from faust.web import Request, Response, View

from agents.batches import delivered
from agents.http import aiohttp_request
from agents.topics import Topics
from hub.adapters.metrics import SIGNATURE_FAILURES
from hub.adapters.twilio_webhooks import (
    SignatureChecker,
    gather_result,
    inbound_sms,
    status_callback,
)
from hub.adapters.voice import answered_twiml, say_and_hang_up
from hub.config import Settings
from hub.domain.phone.replies import voice_digits
from hub.domain.templates import language_for, render
from hub.logs import get_logger

log = get_logger("agents.webhooks")
MAX_FORM_BYTES = 64 * 1024
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
XML = "application/xml"

Form = Mapping[str, str]


def register(app: faust.App, topics: Topics, settings: Settings) -> None:
    checker = SignatureChecker(settings.twilio.auth_token, settings.twilio.public_url)
    public = settings.twilio.public_url.rstrip("/") if settings.twilio.public_url else None
    practice = {"practice": settings.practice_name, "callback": settings.callback_number}

    async def verified_form(view: View, request: Request
                            ) -> tuple[dict[str, str], None] | tuple[None, Response]:
        """The form when Twilio signed it; otherwise the refusal to send back (never both)."""
        http = aiohttp_request(request)
        if (http.content_length or 0) > MAX_FORM_BYTES:
            return None, view.json({"error": "payload too large"}, status=413)
        form = {k: str(v) for k, v in (await request.post()).items()}
        url = checker.url_for(http.raw_path, f"{http.scheme}://{http.host}")
        if not checker.valid(url, form, request.headers.get("X-Twilio-Signature")):
            SIGNATURE_FAILURES.labels(http.path).inc()
            log.warning("webhook.bad_signature", path=http.path)
            return None, view.json({"error": "invalid X-Twilio-Signature"}, status=403)
        return form, None

    def webhook(path: str, to_record: Callable[[Form, Form], dict[str, Any]] | None,
                reply: Callable[[View, Form, Form], Response]) -> None:
        """A signed Twilio form post -> (one ``outreach.inbound`` record) -> Twilio's answer."""

        class TwilioWebhook(View):
            async def post(self, request: Request) -> Response:
                form, refusal = await verified_form(self, request)
                if form is None:
                    assert refusal is not None
                    return refusal
                query = {k: str(v) for k, v in request.query.items()}
                if to_record is not None:
                    record = to_record(form, query)
                    if not await delivered(topics.outreach_inbound, record["phone"], record,
                                           timeout=settings.broker_write_timeout):
                        # not kept: Twilio sees the failure (its debugger, a retry where the
                        # webhook asks for one) instead of a 200 for a reply nobody reads
                        return self.json({"error": "not stored, try again"}, status=503)
                return reply(self, form, query)

        app.page(path, name=path)(TwilioWebhook)

    def after_keypress(view: View, form: Form, query: Form) -> Response:
        """The call's last words: a confirmation for 9 (MSG-2, no text after a voice opt-out
        is needed), thanks for anything else."""
        language = language_for(query.get("lang"))
        template = ("call_opted_out" if voice_digits(form.get("Digits", "")).intent == "opt_out"
                    else "call_thanks")
        return view.text(say_and_hang_up(render(template, language, practice), language),
                         content_type=XML)

    webhook("/twilio/sms", lambda form, _query: inbound_sms(form),
            lambda view, _form, _query: view.text(EMPTY_TWIML, content_type=XML))
    webhook("/twilio/status", status_callback,
            lambda view, _form, _query: view.text("", status=204))
    webhook("/twilio/gather", gather_result, after_keypress)
    webhook("/twilio/voice", None, lambda view, form, query: view.text(
        answered_twiml(form.get("AnsweredBy"), query, practice, public), content_type=XML))
