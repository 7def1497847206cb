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
})
REDACTED = "[redacted]"
_PHONE = re.compile(r"(?<![A-Za-z0-9])\+?\(?\d[\d\s().-]{7,}\d(?![A-Za-z0-9])")
_SEGMENT = re.compile(r"(?:MSH|PID|NK1|PV1|PD1|EVN|MRG)\|[^\s]*")


def redact_phi(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]
               ) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if key not in SAFE_KEYS or isinstance(value, (dict, list, tuple, set, bytes)):
            event_dict[key] = REDACTED
        elif isinstance(value, str):
            event_dict[key] = _scrub(value)
    return event_dict


def _scrub(text: str) -> str:
    return _PHONE.sub(REDACTED, _SEGMENT.sub(REDACTED, text))


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


class LibraryLogFilter(logging.Filter):
    """For the logs of the libraries the hub runs on (aiokafka, Faust): the message is masked
    like the hub's own (phones, HL7 segments), and a message repeated within ``interval``
    seconds is let through once, then counted: a broker that is down for a minute is one
    connection error, not twelve thousand. ``clock`` is a parameter (monotonic seconds)."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self._interval, self._clock = interval, clock
        self._last: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = _scrub(record.getMessage())
        except Exception:  # a library's own bad format string: keep what it said
            text = _scrub(str(record.msg))
        if record.levelno < logging.WARNING:  # progress (rebalances, recovery) is never cut
            record.msg, record.args = text, ()
            return True
        # the same line again (same words, same values), not the same format: a partition
        # assignment or a rebalance step is news each time, a reconnect to one node is not
        key = (record.name, text)
        now = self._clock()
        seen = self._last.get(key)
        if seen is not None and now - seen[0] < self._interval:
            self._last[key] = (seen[0], seen[1] + 1)
            return False
        repeated = seen[1] if seen else 0
        self._last[key] = (now, 0)
        if len(self._last) > 10_000:  # bounded: forget the oldest lines
            for old in sorted(self._last, key=lambda k: self._last[k][0])[:5_000]:
                del self._last[old]
        record.msg = f"{text} (and {repeated} more like it)" if repeated else text
        record.args = ()  # empty, not None: mode's formatter would make None an argument
        return True


def quiet_libraries(prefixes: tuple[str, ...] = ("aiokafka", "faust", "mode")) -> None:
    """For the command-line tools: a library's own error lines are left out, the tool says in
    one line what failed (the worker keeps them, masked: ``filter_library_logs``)."""
    for name in prefixes:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def filter_library_logs(prefixes: tuple[str, ...] = ("aiokafka", "faust", "mode"),
                        log_filter: logging.Filter | None = None) -> logging.Filter:
    """Install the filter on every logger of these libraries (loggers do not pass their
    filters to children, so each module's logger gets it); called once at worker start."""
    chosen = log_filter or LibraryLogFilter()
    names = [name for name in logging.Logger.manager.loggerDict
             if name.split(".")[0] in prefixes]
    for name in {*names, *prefixes}:
        logging.getLogger(name).addFilter(chosen)
    return chosen


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
        redact_phi,  # before the timestamp, which would look like a number to the phone mask
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.JSONRenderer() if json
        else structlog.dev.ConsoleRenderer(colors=False),
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_StderrLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
