"""``hub hl7 parse``: what the hub makes of each message in a sample feed, as one JSON object per
message (the AdtEvent, or an error with code, message and location), for an integration analyst."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from hub.cli.inputs import hl7_inputs
from hub.errors import Hl7Error
from hub.hl7.extract import normalize
from hub.hl7.parse import split_messages


def parse_files(paths: list[Path], *, zone_for: Callable[[str], ZoneInfo], phone_region: str,
                out: TextIO) -> int:
    """Print one JSON line per message; return 1 when any message was rejected, else 0."""
    rejected = 0
    for path, raw in hl7_inputs(paths):
        for index, message in enumerate(split_messages(raw), start=1):
            where: dict[str, Any] = {"file": path.name, "message": index}
            try:
                result: dict[str, Any] = {**where, "ok": True, "event": normalize(
                    message, zone_for=zone_for, phone_region=phone_region)}
            except Hl7Error as error:
                rejected += 1
                result = {**where, "ok": False, "error": {**error.to_dict(),
                                                          "ack": error.ack_code}}
            print(json.dumps(result, ensure_ascii=False), file=out)
    return 1 if rejected else 0


def register(sub: Any) -> None:
    hl7 = sub.add_parser("hl7", help="HL7 tools for integration analysts")
    hl7_sub = hl7.add_subparsers(dest="hl7_command", required=True)
    parse = hl7_sub.add_parser("parse", help="print the AdtEvent (or the refusal) of each message")
    parse.add_argument("files", nargs="+", type=Path, metavar="FILE",
                       help="HL7 files (one or many messages, batches)")
    parse.set_defaults(run=_parse)


def _parse(args: Any) -> int:
    from hub.config import Settings

    settings = Settings.from_env()
    return parse_files(args.files, zone_for=settings.zone_for,
                       phone_region=settings.phone_region, out=sys.stdout)
