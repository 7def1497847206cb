"""Structured logs that never carry PHI.

``redact_phi`` is a structlog processor: a pure function from event dict to event dict. Logs carry
ids (episode id, MSH-10 control id, Twilio SID) to trace a case end to end; values under keys that
can hold patient data are replaced, and phone numbers or HL7 segments that slip into free text are
masked.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import traceback
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import structlog

from hub.errors import HubError

# Log fields are allowed by name: a field nobody listed here is redacted, whatever it holds, so
# a new log call cannot leak a name or a phone by choosing a key the redactor never heard of.
# Ids (MSH-10 control id, opaque episode and command ids, Twilio SIDs), codes and counts only.
SAFE_KEYS = frozenset({
    "event", "level", "timestamp", "logger", "exception",
    "alert_id", "code", "command_id", "control_id", "count", "episode_id", "error",
    "event_type", "host", "http_status",
    "in_doubt", "intent", "kind", "location", "path", "peer", "port", "provider_code",
    "refused", "retention_days", "retriable", "seen", "sid", "size", "stage", "template",
    "tls", "topic",
    "field", "local", "offset", "partition", "reason", "rebuild", "retry_in_s", "rows", "what",
    "workers", "team", "channel", "status", "attempt",  # alert delivery (hub.domain.alerts)
    "suppressed",  # lines of the same event left out by the rate limit since the last one
})
# Ids that are not PHI and must stay readable as they are (a numeric control id or an IP
# address looks like a phone number to the mask of free text).
ID_KEYS = frozenset({"alert_id", "command_id", "control_id", "episode_id", "host", "peer",
                     "port", "sid", "topic", "partition", "offset", "path", "code"})
REDACTED = "[redacted]"
_PHONE = re.compile(r"(?<![A-Za-z0-9])\+?\(?\d[\d\s().-]{7,}\d(?![A-Za-z0-9])")
_SEGMENT = re.compile(r"(?:MSH|PID|NK1|PV1|PD1|EVN|MRG)\|[^\s]*")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
# a record echoed in free text (a library printing the value it could not handle): the values
# of the fields that hold a person's data are masked, whatever the quoting
_PHI_FIELD = re.compile(
    r"""(?P<key>\b["']?(?:family_name|given_name|name|first_name|last_name|mrn|birth_date|dob|"""
    r"""phone|phones|e164|to|from|body|text|reply_text|address|email|patient_key|key)["']?"""
    r"""\s*[:=]\s*)(?P<value>"[^"]*"|'[^']*'|[^\s,;}\]]+)""", re.IGNORECASE)


def redact_phi(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]
               ) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if key not in SAFE_KEYS or isinstance(value, (dict, list, tuple, set, bytes)):
            event_dict[key] = REDACTED
        elif isinstance(value, str) and key not in ID_KEYS:
            event_dict[key] = _scrub(value)
    return event_dict


def _phone_or_address(match: re.Match[str]) -> str:
    found = match.group(0)
    return found if _IPV4.fullmatch(found.strip("()")) else REDACTED  # a host stays readable


def _scrub(text: str) -> str:
    text = _PHI_FIELD.sub(lambda m: m.group("key") + REDACTED, _SEGMENT.sub(REDACTED, text))
    return _PHONE.sub(_phone_or_address, text)


def safe_exception(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]
                   ) -> MutableMapping[str, Any]:
    """``log.exception`` without PHI: the exception's type and where it was raised (file, line,
    function of the innermost frames), never its local variables (a rich traceback prints the
    raw HL7 record being handled) and never a third-party message (a KeyError echoes the key).
    The hub's own errors keep their message: those are written to be safe to log."""
    exc_info = event_dict.pop("exc_info", None)
    if not exc_info:
        return event_dict
    if exc_info is True:
        exc_info = sys.exc_info()
    exc = exc_info if isinstance(exc_info, BaseException) else exc_info[1]
    if exc is None:
        return event_dict
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    summary = type(exc).__name__
    if isinstance(exc, HubError):
        summary += f" ({exc.code}: {exc.message})"
    event_dict["exception"] = f"{summary} at {where}" if where else summary
    return event_dict


class Repeats:
    """The same line again: at most ``burst`` of one key are written per ``interval`` seconds;
    the rest are counted, and the next one written carries the count. Bounded in memory.
    ``clock``: monotonic seconds, a parameter."""

    def __init__(self, interval: float = 60.0, burst: int = 1,
                 clock: Callable[[], float] = time.monotonic):
        self._interval, self._burst, self._clock = interval, burst, clock
        self._windows: dict[Any, list[float]] = {}  # key -> [start, written, dropped]

    def admit(self, key: Any) -> int | None:
        """None: drop this one. Else write it; the number is how many were dropped before."""
        now = self._clock()
        window = self._windows.get(key)
        if window is None or now - window[0] >= self._interval:
            if len(self._windows) >= 10_000:  # bounded: forget every window
                self._windows.clear()
            self._windows[key] = [now, 1, 0]
            return int(window[2]) if window else 0
        if window[1] < self._burst:
            window[1] += 1
            return 0
        window[2] += 1
        return None


class LibraryLogFilter(logging.Filter):
    """For the logs of the libraries the hub runs on (on the worker's one handler): each record
    becomes its plain text (a library's bad format string is kept as written, never raised),
    and a warning or error repeated within ``interval`` seconds is let through once, then
    counted: a broker that is down for a minute is one connection error, not twelve thousand.
    The text is masked where it is written (``_library_line``)."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self._repeats = Repeats(interval, burst=1, clock=clock)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a library's own bad format string: keep what it said
            text = str(record.msg)
        record.args = ()  # empty, not None: a formatter would make None an argument
        record.msg = text
        if record.levelno < logging.WARNING:  # progress (rebalances, recovery) is never cut
            return True
        # the same line again (same words, same values), not the same format: a partition
        # assignment or a rebalance step is news each time, a reconnect to one node is not
        dropped = self._repeats.admit((record.name, _scrub(text)))  # masked: no PHI kept
        if dropped is None:
            return False
        if dropped:
            record.msg = f"{text} (and {dropped} more like it)"
        return True


def quiet_libraries(prefixes: tuple[str, ...] = ("aiokafka", "faust", "mode")) -> None:
    """For the command-line tools: a library's own error lines are left out, the tool says in
    one line what failed (the worker keeps them, masked: ``library_logging_config``)."""
    for name in prefixes:
        logging.getLogger(name).setLevel(logging.CRITICAL)


class RepeatLimit:
    """A structlog processor: a warning or error of the same event (and code) is written at
    most ``burst`` times per ``interval`` seconds; the rest are dropped and counted, and the next
    line written says how many (``suppressed=N``). A broker outage answered AR a thousand times
    is a few lines, not a thousand. Info lines are never cut. ``clock``: monotonic seconds."""

    def __init__(self, interval: float = 60.0, burst: int = 5,
                 clock: Callable[[], float] = time.monotonic):
        self._repeats = Repeats(interval, burst, clock)

    def __call__(self, _logger: Any, method: str, event_dict: MutableMapping[str, Any]
                 ) -> MutableMapping[str, Any]:
        if method not in ("warning", "warn", "error", "exception", "critical"):
            return event_dict
        dropped = self._repeats.admit((str(event_dict.get("event")),
                                       str(event_dict.get("code", ""))))
        if dropped is None:
            raise structlog.DropEvent
        if dropped:
            event_dict["suppressed"] = dropped
        return event_dict


def _library_line(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]
                  ) -> MutableMapping[str, Any]:
    """A library's record as one of the hub's lines: its logger's name, its level, its message
    masked (phones, HL7 segments) as the ``event``, an exception as its type and frames
    (``safe_exception``, run before); nothing else of the record (args, stack, locals)."""
    record = event_dict["_record"]
    kept = {"event": _scrub(str(event_dict.get("event"))), "logger": record.name,
            "level": record.levelname.lower(), "_record": record,
            "_from_structlog": event_dict.get("_from_structlog", False)}
    if "exception" in event_dict:
        kept["exception"] = event_dict["exception"]
    event_dict.clear()
    event_dict.update(kept)
    return event_dict


def library_logging_config(level: str, json: bool = False) -> dict[str, Any]:
    """``logging.config.dictConfig`` for the worker (given to Faust's worker, which would
    otherwise install its own): every library's records (Faust, mode, aiokafka, aiohttp,
    twilio, asyncio, ...) reach the root handler, pass the repeat filter, and are written by
    structlog's renderer like the hub's own lines, masked the same way."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"repeats": {"()": LibraryLogFilter}},
        "formatters": {"hub": {
            "()": structlog.stdlib.ProcessorFormatter,
            "foreign_pre_chain": [safe_exception, _library_line,
                                  structlog.processors.TimeStamper(fmt="iso", utc=True)],
            "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                           _renderer(json)],
        }},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "hub", "filters": ["repeats"]}},
        "root": {"level": level.upper() if level != "warn" else "WARNING",
                 "handlers": ["stderr"]},
        # the Twilio SDK's info lines are its requests, bodies included: a patient's text
        "loggers": {"twilio": {"level": "WARNING"}},
    }


def _renderer(json: bool) -> Any:
    return (structlog.processors.JSONRenderer() if json
            else structlog.dev.ConsoleRenderer(colors=False))


class _StderrLogger:
    """Writes each line to the ``sys.stderr`` of the moment (not the one at configuration: a
    command run inside a test, or a redirected stream, must not leave loggers on a closed
    file)."""

    def __init__(self, *_args: Any) -> None:
        pass

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = error = err = critical = fatal = exception = msg


def configure(level: str = "info", json: bool = False) -> None:
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        safe_exception,
        RepeatLimit(),
        redact_phi,  # before the timestamp, which would look like a number to the phone mask
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _renderer(json),
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_StderrLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
