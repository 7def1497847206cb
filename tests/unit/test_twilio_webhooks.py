"""Twilio webhook signatures and form parsing (MSG-6)."""

from __future__ import annotations

from hub.adapters.twilio_webhooks import SignatureChecker, inbound_sms, status_callback

URL = "https://hub.example.org/twilio/sms"
FORM = {"From": "+16175550123", "To": "+16175550100", "Body": "1", "MessageSid": "SM" + "1" * 32}


def test_a_request_signed_with_our_token_is_valid() -> None:
    """MSG-6: HMAC-SHA1 over URL + sorted params with the auth token validates."""
    checker = SignatureChecker("token", None)
    assert checker.valid(URL, FORM, checker.sign(URL, FORM))


def test_forged_or_altered_requests_are_refused() -> None:
    """MSG-6: another token, an altered body, another URL or no signature all fail."""
    checker = SignatureChecker("token", None)
    signature = checker.sign(URL, FORM)
    assert not SignatureChecker("other", None).valid(URL, FORM, signature)
    assert not checker.valid(URL, {**FORM, "Body": "2"}, signature)
    assert not checker.valid(URL + "?x=1", FORM, signature)
    assert not checker.valid(URL, FORM, None)


def test_public_url_replaces_the_internal_one() -> None:
    """Behind a proxy the signature is over the public URL Twilio called."""
    checker = SignatureChecker("token", "https://hub.example.org/")
    assert checker.url_for("/twilio/sms", "http://10.0.0.5:6066") == URL


def test_the_signed_url_keeps_the_query_as_twilio_called_it() -> None:
    """MSG-6: a callback URL the hub made with command_id=ep-1%3Astep is signed by Twilio as
    written; the check uses the raw request line, so the encoded colon still matches."""
    checker = SignatureChecker("token", None)
    url = "http://10.0.0.5:6066/twilio/status?command_id=ep-1%3Awelcome_sms"
    signature = checker.sign(url, FORM)
    rebuilt = checker.url_for("/twilio/status?command_id=ep-1%3Awelcome_sms",
                              "http://10.0.0.5:6066")
    assert checker.valid(rebuilt, FORM, signature)
    assert not checker.valid(rebuilt.replace("%3A", ":"), FORM, signature)


def test_form_posts_become_inbound_records() -> None:
    """MSG-6: OptOutType is carried; a status callback keeps its error code as a number."""
    assert inbound_sms({**FORM, "OptOutType": "STOP"})["opt_out_type"] == "STOP"
    status = status_callback({"To": "+16175550123", "MessageSid": "SM1",
                              "MessageStatus": "undelivered", "ErrorCode": "30003"},
                             {"command_id": "ep-1:welcome_sms"})
    assert status == {"kind": "status", "phone": "+16175550123", "provider_sid": "SM1",
                      "channel": "sms", "status": "undelivered", "error_code": 30003,
                      "answered_by": None, "command_id": "ep-1:welcome_sms"}
