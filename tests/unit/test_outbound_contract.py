"""One contract for the outbound port (issue 10), run against the in-memory fake the unit tests
and the demo use and against the real Twilio adapter talking HTTP to the Twilio stand-in on a
loopback socket: what a send returns, and what the in-doubt look-up finds (by number, channel,
body and creation time, newest first, with a minute's allowance for the provider's clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from hub.adapters.outbound import CallScript, Outbound, RecordingOutbound
from hub.adapters.twilio_outbound import TwilioOutbound
from hub.adapters.twilio_standin import TwilioStandIn
from hub.clock import FixedClock
from hub.config import TwilioSettings

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
PATIENT, OTHER = "+16175550142", "+16175550143"
WELCOME = "Riverside Primary Care: welcome home. Reply 1 if you need help."


@pytest.fixture(params=["fake", pytest.param("twilio", marks=pytest.mark.integration)])
async def port(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Outbound, FixedClock]]:
    clock = FixedClock(T0)  # the provider's clock: the test moves it
    if request.param == "fake":
        fake = RecordingOutbound(clock=clock)
        yield fake, clock
        return
    standin = TwilioStandIn(clock.now)
    await standin.start()
    adapter = TwilioOutbound(TwilioSettings("AC" + "0" * 32, "contract", "+16175550100", None,
                                            standin.url, None))
    try:
        yield adapter, clock
    finally:
        await adapter.close()
        await standin.stop()


async def test_each_send_gets_an_id_of_its_own(port: tuple[Outbound, FixedClock]) -> None:
    outbound, _ = port
    first = await outbound.send_sms(PATIENT, WELCOME, status_callback=None)
    second = await outbound.send_sms(PATIENT, WELCOME, status_callback=None)
    call = await outbound.place_call(PATIENT, CallScript("<Response/>"), status_callback=None)
    assert first.sid.startswith("SM") and second.sid.startswith("SM") and first.sid != second.sid
    assert call.sid.startswith("CA") and first.status and call.status


async def test_a_send_in_doubt_is_found_by_number_channel_and_body(
        port: tuple[Outbound, FixedClock]) -> None:
    outbound, clock = port
    text = await outbound.send_sms(PATIENT, WELCOME, status_callback=None)
    call = await outbound.place_call(PATIENT, CallScript("<Response/>"), status_callback=None)
    clock.at = T0 + timedelta(minutes=3)
    assert (await outbound.find_sent(PATIENT, "sms", WELCOME, T0)).sid == text.sid  # type: ignore[union-attr]
    assert (await outbound.find_sent(PATIENT, "voice", None, T0)).sid == call.sid  # type: ignore[union-attr]
    assert await outbound.find_sent(OTHER, "sms", WELCOME, T0) is None  # another number
    assert await outbound.find_sent(PATIENT, "sms", "Another text", T0) is None


async def test_the_look_up_sees_only_what_was_taken_since_the_send_started(
        port: tuple[Outbound, FixedClock]) -> None:
    """A text of an earlier episode is not this send's: the look-up is bounded by ``since``,
    less a minute for the provider's clock; the newest match is the one returned."""
    outbound, clock = port
    await outbound.send_sms(PATIENT, WELCOME, status_callback=None)
    clock.at = T0 + timedelta(minutes=30)
    assert await outbound.find_sent(PATIENT, "sms", WELCOME, T0 + timedelta(minutes=2)) is None
    assert await outbound.find_sent(  # within the minute's allowance
        PATIENT, "sms", WELCOME, T0 + timedelta(seconds=50)) is not None
    later = await outbound.send_sms(PATIENT, WELCOME, status_callback=None)
    found = await outbound.find_sent(PATIENT, "sms", WELCOME, T0 + timedelta(minutes=29))
    assert found is not None and found.sid == later.sid
    found = await outbound.find_sent(PATIENT, "sms", WELCOME, T0)
    assert found is not None and found.sid == later.sid  # newest first
