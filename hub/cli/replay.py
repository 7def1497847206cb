"""``hub replay``, ``hub deadletters export`` and ``hub deadletters replay``: nothing is lost,
and what was refused can be fixed and sent again: raw HL7 through the same ingest path (ACKs
printed as for ``hub send``), a later stage's record (an event, a command, a reply) back onto
the topic and key it came from, where the stage takes it again.

Refused messages live in two places: ``hl7.adt.rejected`` (the listener answered AE/AR, or the
bytes did not frame) and ``adt.deadletter`` (a stage after the listener could not process a
record it had accepted). The export writes both, each file named after its topic.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from hub.adapters.kafka_sink import KafkaSink
from hub.adapters.topic_reader import TopicReader
from hub.cli.inputs import hl7_inputs
from hub.clock import SystemClock
from hub.errors import ConfigError
from hub.hl7.ack import ack_summary
from hub.hl7.batch import read_batch
from hub.services.ingest import Ingestor
from hub.topic_names import DEADLETTER, RAW, REJECTED, STAGE_INPUTS

EXPORTED = ((DEADLETTER, "deadletter"), (REJECTED, "rejected"))  # topic, file prefix
# a stage's dead letter goes back to the stage input it came from; raw HL7 is replayed as files
REPLAYABLE_TOPICS = STAGE_INPUTS - {RAW}


async def replay_files(files: list[Path], bootstrap: str, *, idempotent: bool, out: TextIO,
                       zone_for: Callable[[str], ZoneInfo], phone_region: str,
                       refuse_non_production: bool = False) -> int:
    """``zone_for``/``phone_region`` are the worker's settings, so a replayed message is
    checked as the normalize stage will read it."""
    read = hl7_inputs(files)  # every file checked before the first message is kept
    sink = KafkaSink(bootstrap, idempotent=idempotent)
    await sink.start()
    refused = 0
    try:
        ingestor = Ingestor(sink, SystemClock(), zone_for=zone_for, phone_region=phone_region,
                            refuse_non_production=refuse_non_production)
        for path, raw in read:
            batch = read_batch(raw)  # the file read and split once
            for problem in batch.problems:
                print(f"{path.name}: warning: {problem}", file=out)
            for index, message in enumerate(batch.messages, start=1):
                result = await ingestor.ingest(message, transport="replay", peer=None)
                summary = ack_summary(result.ack)
                refused += result.ack_code != "AA"
                print(f"{path.name}#{index}: {summary}", file=out)
    finally:
        await sink.stop()
    return 1 if refused else 0


async def export_dead_letters(bootstrap: str, directory: Path, *, out: TextIO) -> int:
    """Each dead letter and each refused message as ``<kind>-<n>-<control id>.hl7`` (the exact
    bytes) and ``.json`` (why: code, message, location, and the topic it came from)."""
    reader = TopicReader(bootstrap, [topic for topic, _kind in EXPORTED])
    await reader.start()
    try:
        found = await reader.read_to_end()
    finally:
        await reader.stop()
    directory.mkdir(parents=True, exist_ok=True)
    for topic, kind in EXPORTED:
        for number, record in enumerate(found[topic], start=1):
            control_id = re.sub(r"[^A-Za-z0-9_.-]", "_", record.get("control_id") or "x")
            stem = f"{kind}-{number:05d}-{control_id}"
            if record.get("raw_b64"):
                (directory / f"{stem}.hl7").write_bytes(base64.b64decode(record["raw_b64"]))
            (directory / f"{stem}.json").write_text(json.dumps(reason(topic, record), indent=2))
    print(f"{len(found[DEADLETTER])} dead letters ({DEADLETTER}) and "
          f"{len(found[REJECTED])} refused messages ({REJECTED}) written to "
          f"{directory}", file=out)
    return 0


def reason(topic: str, record: dict[str, Any]) -> dict[str, Any]:
    """Why a record was refused, in one shape for both topics: ``topic``, ``code``, ``message``
    and ``location`` first, then the record's other fields (its bytes are the .hl7 file)."""
    rest = {k: v for k, v in record.items() if k not in ("raw_b64", "error")}
    error = record.get("error") or {}
    return {"topic": topic, "code": error.get("code"), "message": error.get("message"),
            "location": error.get("location"), **rest}


def replayable(path: Path) -> tuple[str, str, dict[str, Any]]:
    """(topic, key, record) of an exported dead letter's ``.json``; a ``ConfigError`` naming
    the file when it is not one a stage can take again (raw HL7 goes through ``hub replay``)."""
    try:
        letter = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path.name}: not an exported dead letter ({exc.__class__.__name__})"
                          ) from exc
    record, topic, key = (letter.get(k) for k in ("record", "source_topic", "source_key"))
    if not isinstance(letter, dict) or not isinstance(record, dict):
        raise ConfigError(f"{path.name}: no record to replay (raw HL7: hub replay the .hl7 "
                          "file beside it)")
    if topic not in REPLAYABLE_TOPICS or not isinstance(key, str) or not key:
        raise ConfigError(f"{path.name}: its source topic and key are not ones the hub reads "
                          f"({topic!r})")
    return topic, key, record


async def replay_dead_letters(files: list[Path], bootstrap: str, *, idempotent: bool,
                              out: TextIO) -> int:
    """Each file checked first (nothing is sent if one is wrong), then each record written
    back, with ``acks=all``, to the topic it came from; the stages are idempotent."""
    letters = [replayable(path) for path in files]
    sink = KafkaSink(bootstrap, idempotent=idempotent)
    await sink.start()
    try:
        for path, (topic, key, record) in zip(files, letters, strict=True):
            await sink.write(topic, key, record)
            print(f"{path.name}: replayed to {topic}", file=out)
    finally:
        await sink.stop()
    return 0


def register(sub: Any) -> None:
    replay = sub.add_parser("replay", help="ingest HL7 files into Kafka (same path as MLLP)")
    replay.add_argument("files", nargs="+", type=Path, metavar="FILE",
                        help="HL7 files (one or many messages, batches), fixed exports included")
    replay.set_defaults(run=lambda args: asyncio.run(_replay(args)))
    dead = sub.add_parser("deadletters", help="dead letters")
    dead_sub = dead.add_subparsers(dest="dead_command", required=True)
    export = dead_sub.add_parser("export", help="write each dead letter's bytes and reason")
    export.add_argument("directory", type=Path,
                        help="where to write them (made when missing)")
    export.set_defaults(run=lambda args: asyncio.run(_replay(args)))
    again = dead_sub.add_parser(
        "replay", help="send exported dead letters of a stage back to the topic they came from")
    again.add_argument("files", nargs="+", type=Path, help="the exported .json files")
    again.set_defaults(run=lambda args: asyncio.run(_replay(args)))


async def _replay(args: Any) -> int:
    from hub.config import Settings

    settings = Settings.from_env()
    if args.command == "replay":
        return await replay_files(args.files, settings.kafka_bootstrap,
                                  idempotent=settings.kafka_idempotence, out=sys.stdout,
                                  zone_for=settings.zone_for, phone_region=settings.phone_region,
                                  refuse_non_production=settings.non_production == "refuse")
    if args.dead_command == "replay":
        return await replay_dead_letters(args.files, settings.kafka_bootstrap,
                                         idempotent=settings.kafka_idempotence, out=sys.stdout)
    return await export_dead_letters(settings.kafka_bootstrap, args.directory, out=sys.stdout)
