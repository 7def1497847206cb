"""The commands' HL7 input files, read and checked before anything is done with them: a
missing file, a directory or an empty file is one line naming it (``hub: FILE: ...``), never
a traceback, a silent exit 0, or half a feed sent before the bad file is reached."""

from __future__ import annotations

from pathlib import Path

from hub.errors import InputError


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
