"""``hub send``: read HL7 files (one or many messages, batches), send each over MLLP in order and
print each ACK's MSA line, so an integration analyst sees exactly what the hub answered."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, TextIO

from hub.adapters.mllp_client import MllpClient
from hub.cli.inputs import hl7_inputs, port_number, positive_seconds
from hub.hl7.ack import ack_summary
from hub.hl7.batch import read_batch


async def send_files(files: list[Path], host: str, port: int, *, out: TextIO,
                     timeout: float = 30.0) -> int:
    """``timeout``: seconds to wait for each ACK (a listener that says nothing ends the run
    with one line naming it)."""
    read = hl7_inputs(files)  # every file checked before the first message goes
    client = await MllpClient.connect(host, port)
    rejected = 0
    try:
        for path, raw in read:
            batch = read_batch(raw)  # the file read and split once
            for problem in batch.problems:
                print(f"{path.name}: warning: {problem}", file=out)
            for index, message in enumerate(batch.messages, start=1):
                ack = await client.send(message, timeout=timeout)
                summary = ack_summary(ack)
                rejected += not summary.startswith(("AA", "CA"))
                print(f"{path.name}#{index}: {summary}", file=out)
    finally:
        await client.close()
    return 1 if rejected else 0


def register(sub: Any) -> None:
    send = sub.add_parser("send", help="send HL7 files over MLLP and print each ACK")
    send.add_argument("files", nargs="+", type=Path, metavar="FILE",
                      help="HL7 files (one or many messages, batches)")
    send.add_argument("--host", default="127.0.0.1", help="the MLLP listener (default 127.0.0.1)")
    send.add_argument("--port", type=port_number, default=2575, help="its port (default 2575)")
    send.add_argument("--timeout", type=positive_seconds, default=30.0,
                      help="seconds to wait for each ACK (default 30)")
    send.set_defaults(run=lambda args: asyncio.run(
        send_files(args.files, args.host, args.port, out=sys.stdout, timeout=args.timeout)))
