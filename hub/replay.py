"""``hub replay`` and ``hub deadletters export``: nothing is lost, and what was refused can be
fixed and sent again through the same ingest path (ACKs printed as for ``hub send``)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import TextIO

from hub.adapters.kafka_sink import KafkaSink
from hub.clock import SystemClock
from hub.hl7.parse import batch_problems, split_messages
from hub.ingestor import Ingestor
from hub.sendfiles import ack_summary
from hub.topic_reader import TopicReader


async def replay_files(files: list[Path], bootstrap: str, *, idempotent: bool, out: TextIO) -> int:
    sink = KafkaSink(bootstrap, idempotent=idempotent)
    await sink.start()
    refused = 0
    try:
        ingestor = Ingestor(sink, SystemClock())
        for path in files:
            for problem in batch_problems(path.read_bytes()):
                print(f"{path.name}: warning: {problem}", file=out)
            for index, message in enumerate(split_messages(path.read_bytes()), start=1):
                result = await ingestor.ingest(message, transport="replay", peer=None)
                summary = ack_summary(result.ack)
                refused += result.ack_code != "AA"
                print(f"{path.name}#{index}: {summary}", file=out)
    finally:
        await sink.stop()
    return 1 if refused else 0


async def export_dead_letters(bootstrap: str, directory: Path, *, out: TextIO) -> int:
    """Each dead letter as ``<n>-<control id>.hl7`` (the exact bytes) and ``.json`` (why)."""
    reader = TopicReader(bootstrap, ["adt.deadletter"])
    await reader.start()
    try:
        letters = (await reader.read_to_end())["adt.deadletter"]
    finally:
        await reader.stop()
    directory.mkdir(parents=True, exist_ok=True)
    for number, letter in enumerate(letters, start=1):
        stem = f"{number:05d}-{re.sub(r'[^A-Za-z0-9_.-]', '_', letter.get('control_id') or 'x')}"
        if letter.get("raw_b64"):
            (directory / f"{stem}.hl7").write_bytes(base64.b64decode(letter["raw_b64"]))
        reason = {k: v for k, v in letter.items() if k != "raw_b64"}
        (directory / f"{stem}.json").write_text(json.dumps(reason, indent=2))
    print(f"{len(letters)} dead letters written to {directory}", file=out)
    return 0
