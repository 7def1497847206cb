"""``hub send``: read HL7 files (one or many messages, batches), send each over MLLP in order and
print each ACK's MSA line, so an integration analyst sees exactly what the hub answered."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from hub.adapters.mllp_client import MllpClient
from hub.hl7.ack import ack_summary
from hub.hl7.batch import read_batch


async def send_files(files: list[Path], host: str, port: int, *, out: TextIO) -> int:
    client = await MllpClient.connect(host, port)
    rejected = 0
    try:
        for path in files:
            batch = read_batch(path.read_bytes())  # the file read and split once
            for problem in batch.problems:
                print(f"{path.name}: warning: {problem}", file=out)
            for index, message in enumerate(batch.messages, start=1):
                ack = await client.send(message)
                summary = ack_summary(ack)
                rejected += not summary.startswith(("AA", "CA"))
                print(f"{path.name}#{index}: {summary}", file=out)
    finally:
        await client.close()
    return 1 if rejected else 0
