"""ADT-1 dedupe on (MSH-3, MSH-4, MSH-10)."""

from __future__ import annotations

from hub.dedupe import Seen, classify, dedupe_key


def test_key_is_application_facility_and_control_id() -> None:
    """ADT-1: the dedupe key is (MSH-3, MSH-4, MSH-10)."""
    record = {"sending_application": "EPIC", "sending_facility": "GEN", "control_id": "42"}
    assert dedupe_key(record) == "EPIC|GEN|42"
    assert dedupe_key({**record, "control_id": None}) is None


def test_resend_of_same_bytes_is_a_duplicate_but_reused_id_is_not() -> None:
    """ADT-1: same key and bytes is a duplicate; same key with other content goes on, flagged."""
    assert classify(None, "a") is Seen.NEW
    assert classify("a", "a") is Seen.DUPLICATE
    assert classify("a", "b") is Seen.CONTROL_ID_REUSED
