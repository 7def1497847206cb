"""ADT-1 dedupe on (MSH-3, MSH-4, MSH-10)."""

from __future__ import annotations

from datetime import date
from typing import Any

from hub.services.dedupe import Seen, SeenMessages, classify, dedupe_key, stale_shard

RECEIVED = "2026-08-03T10:00:00-04:00"


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
              "sha256": "a", "received_at": RECEIVED}
    table: dict[str, Any] = {}
    seen = SeenMessages(table)
    assert seen.classify(record) is Seen.NEW  # normalize fails here: nothing remembered
    assert seen.classify(record) is Seen.NEW and table == {}
    seen.remember(record, 3)
    assert seen.classify(record) is Seen.DUPLICATE
    assert seen.classify({**record, "sha256": "b"}) is Seen.CONTROL_ID_REUSED


def test_a_message_without_control_id_is_never_a_duplicate() -> None:
    """ADT-1: no MSH-10, no dedupe key: nothing is remembered, nothing dropped."""
    record = {"sending_application": "EPIC", "sending_facility": "GEN", "control_id": "",
              "sha256": "a", "received_at": RECEIVED}
    seen = SeenMessages({})
    seen.remember(record, 0)
    assert seen.classify(record) is Seen.NEW


def test_an_entry_is_forgotten_only_after_the_retention_in_its_own_shard() -> None:
    """ADT-1 memory bounded: an entry keeps the day its message was received and its shard; it
    is stale from the day after the retention's first day, and entries written before they had
    a day (a bare hash) are kept rather than guessed old."""
    record = {"sending_application": "EPIC", "sending_facility": "GEN", "control_id": "42",
              "sha256": "a", "received_at": RECEIVED}
    table: dict[str, Any] = {}
    SeenMessages(table).remember(record, 5)
    [entry] = table.values()
    assert entry == {"sha256": "a", "seen": "2026-08-03", "shard": 5}
    assert stale_shard(entry, date(2026, 8, 3)) is None  # received that very day: kept
    assert stale_shard(entry, date(2026, 8, 4)) == 5
    assert stale_shard("a", date(2099, 1, 1)) is None


def test_an_entry_written_before_days_were_kept_still_dedupes() -> None:
    """ADT-1: a table written by an earlier version (key -> hash) classifies as before."""
    record = {"sending_application": "EPIC", "sending_facility": "GEN", "control_id": "42",
              "sha256": "a", "received_at": RECEIVED}
    seen = SeenMessages({"EPIC|GEN|42": "a"})
    assert seen.classify(record) is Seen.DUPLICATE
    assert seen.classify({**record, "sha256": "b"}) is Seen.CONTROL_ID_REUSED


def test_a_record_without_a_readable_receipt_time_is_remembered_and_never_pruned() -> None:
    """ADT-1 bad input: a raw record whose received_at is missing or unreadable still dedupes
    (the stage never fails on it) and is kept rather than guessed old."""
    for received in (None, "yesterday"):
        record = {"sending_application": "EPIC", "sending_facility": "GEN", "control_id": "7",
                  "sha256": "a", "received_at": received}
        table: dict[str, Any] = {}
        seen = SeenMessages(table)
        seen.remember(record, 1)
        assert seen.classify(record) is Seen.DUPLICATE
        assert stale_shard(table["EPIC|GEN|7"], date(2099, 1, 1)) is None
