"""``hub send``: read HL7 files (one or many messages, batches), send each over MLLP in order and
print each ACK's MSA line, so an integration analyst sees exactly what the hub answered."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from hub.adapters.mllp_client import MllpClient
from hub.hl7.batch import read_batch
from hub.hl7.charset import CODECS, declared_charset


def ack_summary(ack: bytes) -> str:
    """``AA <control id>`` plus the ERR text when there is one, from an ACK's MSA/ERR segments,
    read in the character set its MSH-18 names (the hub answers in the sender's)."""
    codec = CODECS.get(declared_charset(ack), "utf-8")
    text = ack.decode(codec, "replace").replace("\r\n", "\r").replace("\n", "\r")
    segments = [s for s in text.split("\r") if s]
    msa = next((s for s in segments if s.startswith("MSA")), "")
    sep = msa[3:4] or "|"
    fields = msa.split(sep)
    code = fields[1] if len(fields) > 1 else "?"
    control = fields[2] if len(fields) > 2 else ""
    errors = [s for s in segments if s.startswith("ERR")]
    detail = f"  {errors[0]}" if errors else ""
    return f"{code} {control}{detail}"


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
