"""Which number outreach uses (ADT-4, ADT-6, MSG-1): one per patient for texts and calls."""

from __future__ import annotations

from hub.domain.episode.record import Contactable
from hub.domain.episode.release import target_for
from hub.domain.episode.rules import TcmRules

RULES = TcmRules(practice_name="Riverside Primary Care", callback_number="+16175550100")
HOME = {"e164": "+16175550001", "use": "PRN", "equipment": "PH"}
WORK = {"e164": "+16175550002", "use": "WPN", "equipment": ""}
MOBILE = {"e164": "+16175550003", "use": "PRN", "equipment": "CP"}
FAX = {"e164": "+16175550004", "use": "PRN", "equipment": "FX"}


def test_texts_and_calls_go_to_one_number() -> None:
    """MSG-1: caps and opt-out are per phone, so a home line and a work number of unknown
    equipment never split one patient's texts and calls over two numbers."""
    contactable = Contactable(phones=(HOME, WORK))
    sms, voice = (target_for(channel, contactable, RULES) for channel in ("sms", "voice"))
    assert sms is not None and voice is not None and sms.to == voice.to


def test_the_mobile_is_preferred_and_a_fax_never_used() -> None:
    """ADT-4: CP is the preferred target; FX is never texted or called."""
    assert target_for("voice", Contactable(phones=(HOME, MOBILE)), RULES).to == MOBILE["e164"]  # type: ignore[union-attr]
    assert target_for("sms", Contactable(phones=(FAX,)), RULES) is None
