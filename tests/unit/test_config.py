"""Settings are read once from the environment and fail clearly at start-up."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from hub.config import Settings
from hub.errors import ConfigError


def test_defaults_without_environment() -> None:
    """An empty environment gives the documented defaults."""
    settings = Settings.from_env({})
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.mllp_port == 2575
    assert settings.default_zone == ZoneInfo("America/New_York")
    assert settings.sender == "twilio"


def test_facility_zones_map_each_sending_facility() -> None:
    """ADT-2: each sending facility reads its timestamps in its own configured zone."""
    settings = Settings.from_env({"HUB_FACILITY_TZ": "America/Chicago",
                                  "HUB_FACILITY_ZONES": "WEST=America/Los_Angeles, HI=Pacific/Honolulu"})
    assert settings.zone_for("WEST") == ZoneInfo("America/Los_Angeles")
    assert settings.zone_for("HI") == ZoneInfo("Pacific/Honolulu")
    assert settings.zone_for("OTHER") == ZoneInfo("America/Chicago")


@pytest.mark.parametrize("env, variable", [
    ({"HUB_FACILITY_TZ": "Mars/Olympus"}, "HUB_FACILITY_TZ"),
    ({"HUB_FACILITY_ZONES": "NOEQUALS"}, "HUB_FACILITY_ZONES"),
    ({"MLLP_PORT": "twenty"}, "MLLP_PORT"),
    ({"HUB_SENDER": "carrier-pigeon"}, "HUB_SENDER"),
])
def test_bad_values_name_their_variable(env: dict[str, str], variable: str) -> None:
    """A bad setting is a ConfigError that names the variable to fix."""
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(env)


def test_missing_twilio_credentials_fail_at_start_up() -> None:
    """A worker that would text patients refuses to start without Twilio credentials."""
    settings = Settings.from_env({"TWILIO_ACCOUNT_SID": "AC1"})
    with pytest.raises(ConfigError) as caught:
        settings.require_sender()
    assert "TWILIO_AUTH_TOKEN" in caught.value.message
    assert "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID" in caught.value.message


def test_recording_sender_needs_no_twilio_account() -> None:
    """HUB_SENDER=record (the demo's stand-in) starts without Twilio credentials."""
    Settings.from_env({"HUB_SENDER": "record"}).require_sender()
