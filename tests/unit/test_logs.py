"""The log pipeline's PHI redaction: a dict in, a dict out."""

from __future__ import annotations

import io
import json

import structlog

from hub import logs
from hub.errors import Hl7Error
from hub.logs import REDACTED, redact_phi


def test_phi_keys_are_redacted_and_ids_kept() -> None:
    """PHI never in logs: names, phones, bodies go; episode id, MSH-10 and Twilio SID stay."""
    event = {"event": "outreach.sent", "to": "+16175550123", "body": "Hi Maria",
             "given_name": "Maria", "mrn": "123", "episode_id": "E1", "control_id": "MSG1",
             "sid": "SM" + "0" * 32}
    out = redact_phi(None, "info", dict(event))
    assert out["to"] == out["body"] == out["given_name"] == out["mrn"] == REDACTED
    assert out["episode_id"] == "E1" and out["control_id"] == "MSG1" and out["sid"] == event["sid"]


def test_a_field_nobody_allowed_is_redacted_whatever_it_holds() -> None:
    """PHI never in logs: fields are allowed by name, so a patient key (it holds the MRN), a
    first name under a new key, a reply text or a nested record are redacted."""
    event = {"event": "x", "patient_key": "GEN|558812", "first_name": "Maria",
             "reply_text": "I fell", "stuff": {"family_name": "DOE"}, "control_id": ["MSG1"]}
    out = redact_phi(None, "info", dict(event))
    assert {k: v for k, v in out.items() if k != "event"} == dict.fromkeys(
        ("patient_key", "first_name", "reply_text", "stuff", "control_id"), REDACTED)


def test_phone_numbers_and_hl7_segments_in_free_text_are_masked() -> None:
    """PHI never in logs: a phone or a PID segment inside an error string is masked."""
    out = redact_phi(None, "error", {"event": "failed for (617) 555-0123",
                                     "error": "bad PID|1||123^^^H^MR||DOE^JANE"})
    assert "555" not in out["event"]
    assert "DOE" not in out["error"] and REDACTED in out["error"]


def test_an_exception_is_logged_without_locals_or_foreign_messages() -> None:
    """PHI never in logs: log.exception keeps the type and the frames, not the raw record in a
    local variable nor a third-party message that echoes data; the hub's own message stays."""
    def handle(record: dict[str, str]) -> None:
        raise KeyError(record["patient_name"] + " has no PID-3")

    out = io.StringIO()
    saved = structlog.get_config()
    logs.configure("info")
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(out))
    try:
        log = logs.get_logger("test")
        try:
            handle({"patient_name": "DOE^JANE", "raw": "PID|1||558812^^^H^MR||DOE^JANE"})
        except KeyError:
            log.exception("normalize.internal_error", control_id="MSG1")
        try:
            raise Hl7Error("PID-3 has no patient identifier", code="missing_field")
        except Hl7Error:
            log.exception("normalize.refused")
    finally:
        structlog.configure(**saved)
    text = out.getvalue()
    assert "DOE" not in text and "558812" not in text
    assert "KeyError at test_logs.py:" in text and " handle" in text and "control_id=MSG1" in text
    assert "Hl7Error (missing_field: PID-3 has no patient identifier)" in text


def test_a_library_error_repeated_is_logged_once_per_interval_and_masked() -> None:
    """Issue 9: a broker down for a minute is one connection error, then a count (the masking
    of a library's line is where it is written: the pipeline test below)."""
    import logging

    from hub.logs import LibraryLogFilter

    now = [0.0]
    chosen = LibraryLogFilter(interval=60.0, clock=lambda: now[0])

    def record(msg: str, *args: object) -> logging.LogRecord:
        return logging.LogRecord("aiokafka.conn", logging.ERROR, __file__, 1, msg, args, None)

    first = record("Unable connect to %s", "node 1")
    assert chosen.filter(first) and first.getMessage() == "Unable connect to node 1"
    for second in range(1, 40):
        now[0] = float(second)
        assert not chosen.filter(record("Unable connect to %s", "node 1"))
    now[0] = 61.0
    later = record("Unable connect to %s", "node 1")
    assert chosen.filter(later) and later.getMessage().endswith("(and 39 more like it)")
    # one format, different values: each is news (a partition assignment after a rebalance)
    assert chosen.filter(record("Setting newly assigned partitions %s", "{raw-0, raw-2}"))
    # but not a patient's value: lines that differ only by a phone are one line (the window
    # keeps masked text, never the number)
    assert chosen.filter(record("rejected %s", "+16175550188"))
    assert not chosen.filter(record("rejected %s", "+16175550199"))
    assert not any("555" in str(key) for key in chosen._repeats._windows)
    assert chosen.filter(record("Setting newly assigned partitions %s", "{raw-1}"))


def test_a_library_progress_line_with_a_bad_format_string_is_kept_not_raised() -> None:
    import logging

    from hub.logs import LibraryLogFilter

    record = logging.LogRecord("faust.app", logging.INFO, __file__, 1, "rebalanced %s %s",
                               ("only one",), None)
    assert LibraryLogFilter().filter(record)
    assert record.getMessage() == "rebalanced %s %s"


def test_every_library_line_goes_through_the_hub_s_pipeline_masked() -> None:
    """Issue 13: Faust's, aiokafka's, twilio's (any library's) records are written by the
    hub's renderer: phones and segments masked, an exception as its type and frames (never the
    message or locals), a host address readable, a repeated error once then counted."""
    import logging
    import logging.config

    saved = logging.root.handlers[:], logging.root.level
    levels = {name: logging.getLogger(name).level for name in ("aiokafka", "faust", "mode")}
    for name in levels:  # a command-line test before this one may have quieted them
        logging.getLogger(name).setLevel(logging.NOTSET)
    out = io.StringIO()
    config = logs.library_logging_config("info")
    config["handlers"]["stderr"]["stream"] = out
    logging.config.dictConfig(config)
    try:
        logging.getLogger("twilio.http_client").info("POST To=%s Body=%s", "+16175550123",
                                                      "Hi Maria")  # its requests: never
        logging.getLogger("twilio.http_client").warning("retrying %s", "+16175550123")
        logging.getLogger("aiokafka.conn").error("Unable connect to %s", "('10.0.4.7', 9092)")
        logging.getLogger("aiokafka.conn").error("Unable connect to %s", "('10.0.4.7', 9092)")
        try:
            raise ValueError("PID|1||558812^^^H^MR||DOE^JANE")
        except ValueError:
            logging.getLogger("faust.agents").exception("Agent crashed")
    finally:
        logging.root.handlers[:], _ = saved
        logging.root.setLevel(saved[1])
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    lines = out.getvalue().splitlines()
    text = "\n".join(lines)
    assert "555-0123" not in text and "5550123" not in text and "558812" not in text
    assert "DOE" not in text and "Maria" not in text
    assert any(f"retrying {REDACTED}" in line and "[twilio.http_client]" in line
               for line in lines), text
    assert sum("Unable connect to ('10.0.4.7', 9092)" in line for line in lines) == 1
    assert any(line.startswith("ValueError at test_logs.py:") for line in lines), text


def test_ids_and_hosts_stay_readable_and_repeated_warnings_are_counted() -> None:
    """Issue 13: a numeric control id or a host address is not a phone; the sixth identical
    warning within the minute is dropped and the next one written says how many were."""
    out = redact_phi(None, "info", {"event": "mllp.listening", "host": "127.0.0.1",
                                    "control_id": "20261123093000123", "peer": "10.1.2.3:4100",
                                    "error": "connect to 10.1.2.3 failed for 617.555.0123"})
    assert (out["host"], out["control_id"], out["peer"]) == (
        "127.0.0.1", "20261123093000123", "10.1.2.3:4100")
    assert out["error"] == f"connect to 10.1.2.3 failed for {REDACTED}"

    now = [0.0]
    limit = logs.RepeatLimit(interval=60.0, burst=5, clock=lambda: now[0])
    written = 0
    for _ in range(50):
        try:
            limit(None, "warning", {"event": "ingest.broker_unavailable"})
            written += 1
        except structlog.DropEvent:
            pass
    assert written == 5
    assert limit(None, "info", {"event": "ingest.broker_unavailable"}) == {
        "event": "ingest.broker_unavailable"}  # information is never cut
    now[0] = 61.0
    assert limit(None, "warning", {"event": "ingest.broker_unavailable"})["suppressed"] == 45


def test_a_record_echoed_in_a_library_message_has_its_person_fields_masked() -> None:
    """PHI never in logs: a library that prints the value it could not handle (a dict, a JSON
    text) shows its keys, not the person's name, MRN, phone, key or words; nearby ids stay."""
    from hub.logs import _scrub

    echoed = _scrub("Cannot decode {'family_name': 'RIVERA', 'mrn': '558812', "
                    "'patient_key': 'GEN|558812', 'reply_text': 'I fell', 'episode_id': 'ep-1'}")
    assert all(word not in echoed for word in ("RIVERA", "558812", "I fell"))
    assert "'family_name': [redacted]" in echoed and "'episode_id': 'ep-1'" in echoed
    assert _scrub('{"body": "Hi Ana, call (617) 555-0188", "step": "welcome_sms"}') == (
        '{"body": [redacted], "step": "welcome_sms"}')
    assert _scrub("hostname: db1 auto=5") == "hostname: db1 auto=5"  # not a person's field


def without_time(line: dict[str, object]) -> str:
    """A JSON log line without its timestamp, whose microseconds may hold any digits ("555")."""
    return json.dumps({k: v for k, v in line.items() if k != "timestamp"})


def test_json_lines_for_a_log_collector_are_masked_the_same() -> None:
    """HUB_LOG_FORMAT=json: the worker's own lines and every library's are one JSON object a
    line (for Loki, CloudWatch, Elastic...), with the same masking as the console's."""
    import logging
    import logging.config

    own = io.StringIO()
    saved = structlog.get_config()
    logs.configure("info", json=True)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(own))
    try:
        logs.get_logger("test").warning("outreach.refused", to="+16175550123",
                                        episode_id="E1", error="no reach at (617) 555-0123")
    finally:
        structlog.configure(**saved)
    line = json.loads(own.getvalue())
    assert line["event"] == "outreach.refused" and line["level"] == "warning"
    assert line["episode_id"] == "E1" and line["to"] == REDACTED
    assert "555" not in without_time(line) and "timestamp" in line

    saved_root = logging.root.handlers[:], logging.root.level
    quieted = logging.getLogger("aiokafka").level  # by a command-line test before this one
    logging.getLogger("aiokafka").setLevel(logging.NOTSET)
    library = io.StringIO()
    config = logs.library_logging_config("info", json=True)
    config["handlers"]["stderr"]["stream"] = library
    logging.config.dictConfig(config)
    try:
        logging.getLogger("aiokafka.conn").error("rejected %s", "+16175550188")
    finally:
        logging.root.handlers[:], logging.root.level = saved_root
        logging.getLogger("aiokafka").setLevel(quieted)
    written = json.loads(library.getvalue())
    assert "555" not in without_time(written) and written["level"] == "error"
