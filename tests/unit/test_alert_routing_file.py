"""The routing file: read by a person, checked at start-up, every error names the line."""

from __future__ import annotations

import pytest

from hub.domain.alerts.routing_file import parse_routing
from hub.domain.alerts.signature import sign, verify
from hub.errors import ConfigError

GOOD = """\
link: https://tcm.example.org/
escalate_after_minutes: 10
default_team: general
integration_team: integration
people:
  ana: {name: Ana Diaz, phone: "+1 202 555 0101", email: ana@example.org}
teams:
  general:
    members: [ana]
    on_call: [ana]
    channels: [sms, webhook]
    webhook: https://chat.example.org/hooks/abc
    webhook_secret_env: HOOK_SECRET
  integration:
    channels: [email]
    email: [it@example.org]
routes:
  - {facility: GENHOSP, program: car, team: general}
feeds:
  GENHOSP: {silence_minutes: 90, hours: "06:00-22:00", days: [mon, tue, sat]}
"""
ENV = {"HOOK_SECRET": "x" * 32}


def test_a_good_file_gives_teams_people_routes_and_feeds() -> None:
    routing = parse_routing(GOOD, "routing.yaml", ENV)
    assert routing.people["ana"].phone == "+12025550101"
    assert routing.teams["general"].webhook_secret == "x" * 32
    assert routing.team_for("urgent_reply", "GENHOSP", "CAR").name == "general"
    assert routing.team_for("feed_silence", "GENHOSP").name == "integration"
    assert routing.link == "https://tcm.example.org" and routing.feeds["GENHOSP"].days == {0, 1, 5}


@pytest.mark.parametrize("change, line, words", [
    (("on_call: [ana]", "on_call: [bob]"), 10, "'bob' is not in people"),
    (("channels: [sms, webhook]", "chanels: [sms]"), 11, "unknown setting 'chanels'"),
    (("channels: [email]", "channels: [fax]"), 15, "'fax' is not one of"),
    (('"+1 202 555 0101"', '"555-0101"'), 6, "not a valid number"),
    (("team: general}", "team: cardio}"), 18, "no team 'cardio'"),
    (('hours: "06:00-22:00"', 'hours: "22:00-06:00"'), 20, "end must come after"),
    (("webhook_secret_env: HOOK_SECRET", "webhook_secret_env: MISSING"), 13, "MISSING is not set"),
    (("escalate_after_minutes: 10", "escalate_after_minutes: soon"), 2, "number of minutes"),
    (("  integration:\n", "  integration: [\n"), 16, "expected"),  # where YAML noticed
])
def test_every_error_names_the_file_and_the_line(change: tuple[str, str], line: int,
                                                  words: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_routing(GOOD.replace(*change), "routing.yaml", ENV)
    assert str(error.value).startswith(f"routing.yaml, line {line}:") and words in str(error.value)


def test_an_empty_file_is_an_error() -> None:
    with pytest.raises(ConfigError, match="empty"):
        parse_routing("# nothing\n", "routing.yaml", {})


def test_the_webhook_signature_verifies_and_refuses_forged_or_stale() -> None:
    body, secret = b'{"alert_id": "ep-1:urgent_reply"}', "s" * 32
    header = sign(secret, body, 1_800_000_000)
    assert verify(secret, header, body, now=1_800_000_100)
    assert not verify(secret, header, body + b" ", now=1_800_000_100)  # body changed
    assert not verify("t" * 32, header, body, now=1_800_000_100)  # another key
    assert not verify(secret, header, body, now=1_800_000_000 + 301)  # replayed later
    assert not verify(secret, "garbage", body, now=1_800_000_000)
