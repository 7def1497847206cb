"""The real Twilio adapter against Twilio's official OpenAPI contract, served by Prism."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from hub.adapters.outbound import CallScript, ProviderError
from hub.adapters.twilio_outbound import TwilioOutbound
from hub.config import TwilioSettings

ACCOUNT = "AC" + "0123456789abcdef" * 2
SERVICE = "MG" + "fedcba9876543210" * 2


def settings(prism_url: str, **overrides: str | None) -> TwilioSettings:
    values: dict[str, str | None] = dict(
        account_sid=ACCOUNT, auth_token="test-token", from_number="+16175550100",
        messaging_service_sid=None, api_url=prism_url, public_url=None)
    values.update(overrides)
    return TwilioSettings(**values)  # type: ignore[arg-type]


async def test_sms_request_matches_the_contract(prism) -> None:
    """MSG-6: a text from a From number is a valid Messages.json request; we read SID and status."""
    outbound = TwilioOutbound(settings(prism.url))
    try:
        receipt = await outbound.send_sms(
            "+16175550123", "Hi from your care team. Reply STOP to opt out.",
            status_callback="https://hub.example.org/twilio/status")
    finally:
        await outbound.close()
    assert re.fullmatch(r"SM[0-9a-f]{32}", receipt.sid), receipt
    assert receipt.status


async def test_sms_through_a_messaging_service_matches_the_contract(prism) -> None:
    """MSG-6: a text through a Messaging Service SID instead of a From number is also valid."""
    outbound = TwilioOutbound(settings(prism.url, from_number=None, messaging_service_sid=SERVICE))
    try:
        receipt = await outbound.send_sms("+16175550123", "Reply STOP to opt out.",
                                          status_callback=None)
    finally:
        await outbound.close()
    assert receipt.sid.startswith("SM")


TWIML = ('<Response><Gather input="dtmf" numDigits="1" timeout="5" action="https://hub.example.org/'
         'twilio/gather"><Say>Press 1.</Say></Gather></Response>')


async def test_call_with_machine_detection_and_a_twiml_url_matches_the_contract(prism) -> None:
    """MSG-6/MSG-1: a call that detects a machine, fetches its TwiML from the hub and is cut at
    one minute is a valid Calls.json request."""
    outbound = TwilioOutbound(settings(prism.url))
    script = CallScript(TWIML, url="https://hub.example.org/twilio/voice?command_id=ep-1%3Abd1")
    try:
        receipt = await outbound.place_call("+16175550123", script,
                                            status_callback="https://hub.example.org/twilio/status")
    finally:
        await outbound.close()
    assert re.fullmatch(r"CA[0-9a-f]{32}", receipt.sid), receipt


async def test_call_with_inline_twiml_matches_the_contract(prism) -> None:
    """MSG-6: without a public URL the menu goes inline; still a valid Calls.json request."""
    outbound = TwilioOutbound(settings(prism.url))
    try:
        receipt = await outbound.place_call("+16175550123", CallScript(TWIML), status_callback=None)
    finally:
        await outbound.close()
    assert receipt.sid.startswith("CA")


# Prism answers with Twilio's canned examples: a text "testing" and calls from 2019.
@pytest.mark.parametrize("channel, body, sid", [("sms", "testing", "SM"), ("voice", None, "CA")])
async def test_looking_up_an_in_doubt_send_matches_the_contract(prism, channel: str,
                                                                body: str | None,
                                                                sid: str) -> None:
    """Send ledger: asking Twilio for the texts or calls to a number is a valid Messages.json /
    Calls.json list request; what it lists since the send is found, what is older or another
    text is not."""
    outbound = TwilioOutbound(settings(prism.url))
    try:
        found = await outbound.find_sent("+16175550123", channel, body,
                                         datetime(2019, 1, 1, tzinfo=UTC))
        later = await outbound.find_sent("+16175550123", channel, body,
                                         datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
        other = await outbound.find_sent("+16175550123", "sms", "another text",
                                         datetime(2019, 1, 1, tzinfo=UTC))
    finally:
        await outbound.close()
    assert found is not None and found.sid.startswith(sid)
    assert later is None and other is None


async def test_a_request_the_contract_refuses_becomes_a_final_provider_error(prism) -> None:
    """A request Prism rejects (account SID not of Twilio's form) is a final ProviderError."""
    outbound = TwilioOutbound(settings(prism.url, account_sid="not-an-account"))
    try:
        with pytest.raises(ProviderError) as caught:
            await outbound.send_sms("+16175550123", "Reply STOP to opt out.", status_callback=None)
    finally:
        await outbound.close()
    assert caught.value.http_status is not None and 400 <= caught.value.http_status < 500
    assert caught.value.retriable is False
