"""The log pipeline's PHI redaction: a dict in, a dict out."""

from __future__ import annotations

from hub.logs import REDACTED, redact_phi


def test_phi_keys_are_redacted_and_ids_kept() -> None:
    """PHI never in logs: names, phones, bodies go; episode id, MSH-10 and Twilio SID stay."""
    event = {"event": "outreach.sent", "to": "+16175550123", "body": "Hi Maria",
             "given_name": "Maria", "mrn": "123", "episode_id": "E1", "control_id": "MSG1",
             "sid": "SM" + "0" * 32}
    out = redact_phi(None, "info", dict(event))
    assert out["to"] == out["body"] == out["given_name"] == out["mrn"] == REDACTED
    assert out["episode_id"] == "E1" and out["control_id"] == "MSG1" and out["sid"] == event["sid"]


def test_phone_numbers_and_hl7_segments_in_free_text_are_masked() -> None:
    """PHI never in logs: a phone or a PID segment inside an error string is masked."""
    out = redact_phi(None, "error", {"event": "failed for (617) 555-0123",
                                     "error": "bad PID|1||123^^^H^MR||DOE^JANE"})
    assert "555" not in out["event"]
    assert "DOE" not in out["error"] and REDACTED in out["error"]
