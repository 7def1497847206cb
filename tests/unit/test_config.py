"""Settings are read once from the environment and fail clearly at start-up."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.config import Settings
from hub.domain.calendar import BusinessCalendar
from hub.domain.episode.rules import rules_for_settings
from hub.domain.episode.transitions import apply_adt
from hub.errors import ConfigError
from tests.unit.episode_events import NY, adt_event


def test_defaults_without_environment() -> None:
    """An empty environment gives the documented defaults."""
    settings = Settings.from_env({})
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.mllp_port == 2575
    assert settings.default_zone == ZoneInfo("America/New_York")
    assert settings.sender == "twilio"
    assert settings.log_format == "console" and settings.non_production == "record"
    assert Settings.from_env({"HUB_LOG_FORMAT": " JSON "}).log_format == "json"


def test_facility_zones_map_each_sending_facility() -> None:
    """ADT-2: each sending facility reads its timestamps in its own configured zone."""
    settings = Settings.from_env({
        "HUB_FACILITY_TZ": "America/Chicago",
        "HUB_FACILITY_ZONES": "WEST=America/Los_Angeles, HI=Pacific/Honolulu"})
    assert settings.zone_for("WEST") == ZoneInfo("America/Los_Angeles")
    assert settings.zone_for("HI") == ZoneInfo("Pacific/Honolulu")
    assert settings.zone_for("OTHER") == ZoneInfo("America/Chicago")


@pytest.mark.parametrize("env, variable", [
    ({"HUB_FACILITY_TZ": "Mars/Olympus"}, "HUB_FACILITY_TZ"),
    ({"HUB_FACILITY_ZONES": "NOEQUALS"}, "HUB_FACILITY_ZONES"),
    ({"MLLP_PORT": "twenty"}, "MLLP_PORT"),
    ({"HUB_SENDER": "carrier-pigeon"}, "HUB_SENDER"),
    ({"HUB_SENDER": ""}, "HUB_SENDER"),  # an unset ${HUB_SENDER} must not mean real texts
    ({"MLLP_MAX_FRAME_BYTES": str(8 << 20)}, "MLLP_MAX_FRAME_BYTES"),  # could not be kept
    ({"HUB_OUTREACH_CONCURRENCY": "0"}, "HUB_OUTREACH_CONCURRENCY"),  # nothing would be sent
    ({"HUB_STANDBY_REPLICAS": "-1"}, "HUB_STANDBY_REPLICAS"),
    ({"HUB_STANDBY_REPLICAS": "warm"}, "HUB_STANDBY_REPLICAS"),
    ({"TWILIO_MAX_REQUESTS_PER_SECOND": "-5"}, "TWILIO_MAX_REQUESTS_PER_SECOND"),
    ({"TWILIO_MAX_REQUESTS_PER_SECOND": "fast"}, "TWILIO_MAX_REQUESTS_PER_SECOND"),
    ({"TWILIO_IN_DOUBT_SECONDS": "0"}, "TWILIO_IN_DOUBT_SECONDS"),
    ({"HUB_REBALANCE_TIMEOUT": "-3"}, "HUB_REBALANCE_TIMEOUT"),
    ({"HUB_FETCH_WAIT_MS": "0"}, "HUB_FETCH_WAIT_MS"),  # a busy loop of empty fetches
    ({"HUB_FETCH_WAIT_MS": "60000"}, "HUB_FETCH_WAIT_MS"),  # records would wait a minute
    ({"HUB_PRODUCER_LINGER_MS": "5000"}, "HUB_PRODUCER_LINGER_MS"),  # a write held 5 s
    ({"HUB_LOG_FORMAT": "xml"}, "HUB_LOG_FORMAT"),
    ({"HUB_NON_PRODUCTION": "ignore"}, "HUB_NON_PRODUCTION"),
    ({"HUB_BROKER_START_WAIT": "-1"}, "HUB_BROKER_START_WAIT"),
    ({"HUB_BROKER_START_WAIT": "nan"}, "HUB_BROKER_START_WAIT"),
    # one leaked secret must not open two doors
    ({"HUB_API_TOKEN": "same", "HUB_HL7_HTTP_TOKEN": "same"}, "HUB_HL7_HTTP_TOKEN"),
    ({"HUB_API_TOKEN": "same", "HUB_METRICS_TOKEN": "same"}, "HUB_METRICS_TOKEN"),
    ({"HUB_HL7_HTTP_TOKEN": "same", "HUB_METRICS_TOKEN": "same"}, "HUB_METRICS_TOKEN"),
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
    for variable in ("TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "HUB_PUBLIC_URL",
                     "HUB_CALLBACK_NUMBER"):
        assert variable in caught.value.message


def test_a_complete_twilio_configuration_starts() -> None:
    """MSG-1/MSG-6: credentials, a number to call from, where Twilio calls back, and the number
    every message gives patients; a Messaging Service may send the texts."""
    Settings.from_env({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t",
                       "TWILIO_FROM_NUMBER": "+16175550100",
                       "TWILIO_MESSAGING_SERVICE_SID": "MG1",
                       "HUB_PUBLIC_URL": "https://hub.example.org",
                       "HUB_CALLBACK_NUMBER": "+16175550100"}).require_sender()


def test_recording_sender_needs_no_twilio_account() -> None:
    """HUB_SENDER=record (the demo's stand-in) starts without Twilio credentials."""
    Settings.from_env({"HUB_SENDER": "record"}).require_sender()


def test_holiday_calendars_hub_wide_and_per_facility() -> None:
    """TCM-3 (CONTESTED holidays): US federal by default; a hub-wide and per-facility choice."""
    assert Settings.from_env({}).holidays_for("ANY") == BusinessCalendar("US")
    settings = Settings.from_env({"HUB_HOLIDAYS": "US-MA +2026-12-24 -2026-11-11",
                                  "HUB_FACILITY_HOLIDAYS": "WEST=US-CA, CLINIC=none"})
    assert settings.holidays_for("OTHER") == BusinessCalendar(
        "US", "MA", frozenset({date(2026, 12, 24)}), frozenset({date(2026, 11, 11)}))
    assert settings.holidays_for("WEST") == BusinessCalendar("US", "CA")
    assert settings.holidays_for("CLINIC") == BusinessCalendar("")


def test_visit_day_counting_is_calendar_unless_strict() -> None:
    """TCM-4 (CONTESTED): +7/+14 by default, the strict reading on request."""
    assert not Settings.from_env({}).strict_visit_days
    assert Settings.from_env({"HUB_VISIT_DAY_COUNTING": "Strict"}).strict_visit_days


@pytest.mark.parametrize("env, variable", [
    ({"HUB_HOLIDAYS": "XX"}, "HUB_HOLIDAYS"),
    ({"HUB_HOLIDAYS": "US-ZZ"}, "HUB_HOLIDAYS"),
    ({"HUB_HOLIDAYS": "US 2026-12-24"}, "HUB_HOLIDAYS"),
    ({"HUB_HOLIDAYS": "US +2026-13-01"}, "HUB_HOLIDAYS"),
    ({"HUB_HOLIDAYS": "+2026-12-24"}, "HUB_HOLIDAYS"),
    ({"HUB_FACILITY_HOLIDAYS": "WEST"}, "HUB_FACILITY_HOLIDAYS"),
    ({"HUB_FACILITY_HOLIDAYS": "WEST=XX"}, "HUB_FACILITY_HOLIDAYS"),
    ({"HUB_VISIT_DAY_COUNTING": "loose"}, "HUB_VISIT_DAY_COUNTING"),
])
def test_bad_calendar_settings_name_their_variable(env: dict[str, str], variable: str) -> None:
    """TCM-3/TCM-4: a calendar or day counting the hub cannot use stops the start-up."""
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(env)


def test_calendar_settings_reach_the_deadlines() -> None:
    """TCM-3/TCM-4: the facility's holidays move the contact deadline, strict counting the
    visit dates. Wednesday 25 Nov 2026, the day before Thanksgiving."""
    event = adt_event("A03", "C1", discharge_at="2026-11-25T09:30:00-05:00")  # from GEN
    now = datetime(2026, 11, 25, 10, 0, tzinfo=NY)
    federal = rules_for_settings(Settings.from_env({}))("GEN")
    episode = apply_adt(None, event, now=now, rules=federal).record.episodes[0]
    assert episode.contact_due.date() == date(2026, 11, 30)  # Thu 26 is a holiday: Fri, Mon
    assert (episode.visit_due_99496, episode.visit_due_99495) == (
        date(2026, 12, 2), date(2026, 12, 9))
    settings = Settings.from_env({"HUB_FACILITY_HOLIDAYS": "GEN=none",
                                  "HUB_VISIT_DAY_COUNTING": "strict"})
    episode = apply_adt(None, event, now=now,
                        rules=rules_for_settings(settings)("GEN")).record.episodes[0]
    assert episode.contact_due.date() == date(2026, 11, 27)  # Thu, Fri
    assert (episode.visit_due_99496, episode.visit_due_99495) == (
        date(2026, 12, 1), date(2026, 12, 8))


@pytest.mark.parametrize("value", ["0", "-1", "soon", "601"])
def test_a_wrong_broker_write_timeout_stops_the_start(value: str) -> None:
    """ADT-9: HUB_BROKER_WRITE_TIMEOUT is seconds in (0, 600], else the start stops naming it."""
    with pytest.raises(ConfigError, match="HUB_BROKER_WRITE_TIMEOUT"):
        Settings.from_env({"HUB_BROKER_WRITE_TIMEOUT": value})


@pytest.mark.parametrize("variable, value", [("HUB_RETENTION_DAYS", "30"),
                                             ("HUB_RETENTION_DAYS", "soon"),
                                             ("HUB_RETENTION_SWEEP_SECONDS", "0"),
                                             ("HUB_RETENTION_SWEEP_SECONDS", "hourly"),
                                             ("MLLP_MAX_CONNECTIONS", "many")])
def test_bounded_state_settings_are_checked(variable: str, value: str) -> None:
    """Bounded state (issue 9): retention past the 30-day window, a whole number of
    connections; a wrong value stops the start naming the variable."""
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({variable: value})


def test_a_dead_worker_is_noticed_in_seconds_unless_faust_s_defaults_are_asked_for() -> None:
    """Issue 9: a killed worker's partitions move after its session timeout, twice the
    rebalance timeout; the hub's default keeps it at 10 s, not Faust's 60."""
    assert Settings.from_env({}).rebalance_timeout == 5.0
    assert Settings.from_env({"HUB_REBALANCE_TIMEOUT": "3"}).rebalance_timeout == 3.0
    assert Settings.from_env({"HUB_REBALANCE_TIMEOUT": "0"}).rebalance_timeout is None


def test_alert_routing_and_smtp_are_read_and_checked_at_start_up(tmp_path: Path) -> None:
    """HUB_ALERT_ROUTING: a missing file, a team that mails without a relay: refused at once."""
    routing = tmp_path / "routing.yaml"
    routing.write_text("teams:\n  ops:\n    channels: [email]\n    email: [ops@example.org]\n")
    with pytest.raises(ConfigError, match="HUB_ALERT_ROUTING: cannot read"):
        Settings.from_env({"HUB_ALERT_ROUTING": str(tmp_path / "nope.yaml")})
    with pytest.raises(ConfigError, match="team ops sends email: set HUB_SMTP_HOST"):
        Settings.from_env({"HUB_ALERT_ROUTING": str(routing)})
    settings = Settings.from_env({"HUB_ALERT_ROUTING": str(routing), "HUB_SMTP_HOST": "relay",
                                  "HUB_SMTP_PORT": "2525", "HUB_SMTP_STARTTLS": "false"})
    assert settings.routing.teams["ops"].email == ("ops@example.org",)
    assert settings.smtp is not None and (settings.smtp.port, settings.smtp.starttls) == (
        2525, False)
    with pytest.raises(ConfigError, match="HUB_SMTP_CA_FILE"):
        Settings.from_env({"HUB_SMTP_HOST": "relay", "HUB_SMTP_CA_FILE": str(tmp_path / "x")})
