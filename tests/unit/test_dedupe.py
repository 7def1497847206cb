"""ADT-1 dedupe on (MSH-3, MSH-4, MSH-10)."""

from __future__ import annotations

from hub.dedupe import Seen, SeenMessages, classify, dedupe_key


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


def test_only_a_normalized_message_is_remembered() -> None:
    """ADT-1: a message classified but not remembered (it was dead-lettered) is still NEW when
    replayed unchanged; once remembered, the same bytes are a duplicate and other bytes under
    the same key a reused control id."""
    record = {"sending_application": "EPIC", "sending_facility": "GEN", "control_id": "42",
              "sha256": "a"}
    table: dict[str, str] = {}
    seen = SeenMessages(table)
    assert seen.classify(record) is Seen.NEW  # normalize fails here: nothing remembered
    assert seen.classify(record) is Seen.NEW and table == {}
    seen.remember(record)
    assert seen.classify(record) is Seen.DUPLICATE
    assert seen.classify({**record, "sha256": "b"}) is Seen.CONTROL_ID_REUSED


def test_a_message_without_control_id_is_never_a_duplicate() -> None:
    """ADT-1: no MSH-10, no dedupe key: nothing is remembered, nothing dropped."""
    record = {"sending_application": "EPIC", "sending_facility": "GEN", "control_id": "",
              "sha256": "a"}
    seen = SeenMessages({})
    seen.remember(record)
    assert seen.classify(record) is Seen.NEW
