"""The care-team API's answers about one patient: bearer auth (401/403), unknown patient (404),
the rules' 409/422 with the worker's clock, and one JSON shape {error, code} for all of them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from hub.api.care_team import checked_action, parse_action, patient_view
from hub.api.refusals import HL7_HTTP_OFF, ApiRefusal, check_bearer, error_body
from hub.domain.episode.actions import RuleViolation, apply_action
from hub.errors import HubError
from tests.unit.episode_events import KEY, NOW, RULES, at, opened

CONTACT = {"kind": "contact", "by": "rn.lee", "channel": "phone",
           "at": "2026-11-23T11:00:00-05:00"}


def stored(**overrides: Any) -> dict[str, Any]:
    return opened(**overrides).to_dict()


def refusal(error: HubError) -> tuple[int, dict[str, Any]]:
    return error.status, error_body(error)  # type: ignore[attr-defined]


@pytest.mark.parametrize("header, token, status, code", [
    ("Bearer secret", "", 401, "api_off"),
    (None, "secret", 401, "missing_token"),
    ("Basic c2VjcmV0", "secret", 401, "missing_token"),
    ("Bearer nope", "secret", 403, "invalid_token"),
])
def test_bearer_token_refusals(header: str | None, token: str, status: int, code: str) -> None:
    """401 without a usable token or with the API off, 403 with a wrong one."""
    with pytest.raises(ApiRefusal) as refused:
        check_bearer(header, token)
    got_status, body = refusal(refused.value)
    assert (got_status, body["code"]) == (status, code)
    assert set(body) == {"error", "code"} and body["error"]


def test_hl7_over_http_is_its_own_door_and_off_without_its_token() -> None:
    """POST /hl7 names its own setting when it is off; its token alone opens it."""
    with pytest.raises(ApiRefusal) as refused:
        check_bearer("Bearer anything", "", off=HL7_HTTP_OFF)
    assert refused.value.code == "hl7_http_off" and "HUB_HL7_HTTP_TOKEN" in refused.value.message
    check_bearer("Bearer door", "door", off=HL7_HTTP_OFF)


def test_the_right_token_passes() -> None:
    """The configured token is accepted."""
    check_bearer("Bearer secret", "secret")


def test_unknown_patient_is_404_for_reads_and_actions() -> None:
    """404 no_patient with the reason, not a 409 from the rules."""
    for call in (lambda: patient_view(KEY, None, lambda _f: RULES),
                 lambda: checked_action(KEY, None, CONTACT, now=NOW)):
        with pytest.raises(ApiRefusal) as refused:
            call()
        assert refusal(refused.value) == (404, {"error": "no patient 'GEN|77'",
                                                "code": "no_patient"})


def test_a_contact_dated_tomorrow_is_refused_with_the_worker_clock() -> None:
    """TCM-3: an action dated in the future (beyond clock skew) is 422 in_the_future."""
    tomorrow = {**CONTACT, "at": "2026-11-24T11:00:00-05:00"}
    with pytest.raises(RuleViolation) as refused:
        checked_action(KEY, stored(), tomorrow, now=at("2026-11-23 12:00"))
    assert refusal(refused.value)[0] == 422 and refused.value.code == "in_the_future"
    assert checked_action(KEY, stored(), tomorrow, now=at("2026-11-24 11:02"))["kind"] == \
        "contact"


def test_a_second_contact_is_409() -> None:
    """TCM-3: a contact already recorded -> 409 already_recorded."""
    record = apply_action(opened(), {**CONTACT, "action_id": "a1"}, now=NOW, rules=RULES).record
    with pytest.raises(RuleViolation) as refused:
        checked_action(KEY, record.to_dict(), CONTACT, now=at("2026-11-23 12:00"))
    assert refusal(refused.value) == (409, {"error": "a contact is already recorded for this "
                                                     "episode", "code": "already_recorded"})


def test_an_accepted_action_gets_an_id_for_the_agent() -> None:
    """Each accepted action carries a fresh action_id (the agent's idempotence key)."""
    first = checked_action(KEY, stored(), CONTACT, now=at("2026-11-23 12:00"))
    second = checked_action(KEY, stored(), CONTACT, now=at("2026-11-23 12:00"))
    assert first["action_id"] != second["action_id"] and first["by"] == "rn.lee"


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b'"contact"'])
def test_a_body_that_is_not_a_json_object_is_400(body: bytes) -> None:
    """400 bad_body, with the same JSON shape."""
    with pytest.raises(ApiRefusal) as refused:
        parse_action(body)
    assert refusal(refused.value)[0] == 400 and refused.value.code == "bad_body"


def test_the_patient_view_has_the_timeline_and_facility_billing() -> None:
    """Read one: every episode with its timeline and billing readiness under the facility's
    rules (TCM-3: a facility counting one attempt sees the contact as met)."""
    record = apply_action(opened(), {"kind": "attempt", "by": "rn.lee", "channel": "phone",
                                     "outcome": "no answer", "at": "2026-11-23T11:00:00-05:00"},
                          now=NOW, rules=RULES).record
    lenient = replace(RULES, attempts_for_billing=1)
    view = patient_view(KEY, record.to_dict(), {"GEN": lenient}.__getitem__)
    [episode] = view["episodes"]
    assert view["patient_key"] == KEY
    assert [e["what"] for e in episode["timeline"]][-1] == "recorded_attempt"
    assert "contact requirement met by documented unsuccessful attempts (TCM-3)" in \
        episode["billing"]["notes"]
