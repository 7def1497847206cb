"""The commands' input files, read and checked before anything is done with them: a missing
file, a directory, an empty file or a malformed line is one line naming it (``hub: FILE:
...``), never a traceback, a silent exit 0, or half a feed sent before the bad file is reached.
HL7 feeds, and the JSON lines of ``hub simulate``'s ``--replies`` and ``--actions``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hub.clock import aware_instant
from hub.errors import InputError
from hub.hl7.phones import to_e164


def hl7_input(path: Path) -> bytes:
    """The file's bytes; ``OSError`` (missing, a directory, unreadable: named by the caller's
    handler) or ``InputError`` when there is nothing in it."""
    raw = path.read_bytes()
    if not raw.strip(b" \t\r\n\x0b\x1c\x00"):
        raise InputError(f"{path}: empty: no HL7 message in it")
    return raw


def hl7_inputs(paths: list[Path]) -> list[tuple[Path, bytes]]:
    """Every file read and checked first, in the order given."""
    return [(path, hl7_input(path)) for path in paths]


def _json_lines(path: Path, option: str, needed: tuple[str, ...]
                ) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(line number, where, object) for each line of ``option``'s file: a JSON object with the
    ``needed`` strings and an ``at`` with an offset; a line that is not one is refused with its
    number (a ``InputError``)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise InputError(f"{option} {path}: cannot read it ({why})") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{option} {path} line {number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not JSON ({exc.msg})") from exc
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in needed):
            names = ", ".join(f'"{k}"' for k in needed[:-1]) + f' and "{needed[-1]}"'
            raise InputError(f"{where}: needs {names} as strings")
        try:
            aware_instant(item["at"])
        except ValueError as exc:
            raise InputError(f"{where}: \"at\": {exc}") from None
        yield number, where, item


def read_replies(path: Path, phone_region: str = "US") -> list[dict[str, str]]:
    """``--replies``: one JSON object a line, ``{"at": ISO time with offset, "from": phone,
    "text": ...}``."""
    replies = []
    for _number, where, item in _json_lines(path, "--replies", ("at", "from", "text")):
        phone, problem = to_e164(item["from"], phone_region)
        if phone is None:
            raise InputError(f"{where}: \"from\" is not a phone number ({problem})")
        replies.append({"at": item["at"], "from": phone, "text": item["text"]})
    return replies


def read_actions(path: Path) -> list[dict[str, Any]]:
    """``--actions``: one JSON object a line, ``{"at", "patient", "kind", "by", ...}``: the body
    of ``POST /episodes/{patient}/actions`` with the patient key and the time it is recorded."""
    actions = [{**item, "action_id": f"simulated-{number}"} for number, _where, item
               in _json_lines(path, "--actions", ("at", "patient", "kind", "by"))]
    if not actions:
        raise InputError(f"--actions {path}: no actions in it")
    return actions


# Option types: argparse turns a ValueError here into one line naming the option and the value
# ("argument --days: invalid positive whole value: '0'").

def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def positive_seconds(text: str) -> float:
    value = float(text)
    if not 0 < value < 86_400:
        raise ValueError(text)
    return value


def port_number(text: str) -> int:
    value = int(text)
    if not 0 < value < 65_536:
        raise ValueError(text)
    return value


def whole_in(low: int, high: int) -> Callable[[str], int]:
    """An option's whole number from ``low`` to ``high`` (argparse names the option when not)."""
    def whole(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(text)
        return value
    whole.__name__ = f"whole number from {low:,} to {high:,}"
    return whole


def positive_rate(text: str) -> float:
    value = float(text)
    if not 0 < value <= 10_000:  # also refuses nan and inf
        raise ValueError(text)
    return value


positive_int.__name__ = "positive whole"
positive_rate.__name__ = "rate above 0, at most 10,000 a second"
positive_seconds.__name__ = "number of seconds"
port_number.__name__ = "port"
