"""The MLLP listener: frames bytes, hands each message to the ingestor, writes its ACK back.

Messages on one connection are handled in order, one at a time, so ACKs go back in the order the
messages came (a sender may pipeline). Framing problems are kept like any other rejected input.
At most ``max_connections`` are open at once (``MLLP_MAX_CONNECTIONS``): each holds a buffer of
up to one frame, so hundreds of idle or slow senders could otherwise exhaust memory; one over
the cap is closed at once, before anything is read (nothing was sent, nothing is lost: the
sender's engine retries the connection).
"""

from __future__ import annotations

import asyncio
import ssl as ssl_module
from typing import Protocol

from hub.adapters.metrics import CONNECTIONS_REFUSED
from hub.hl7.mllp import Frame, FramingProblem, MllpDecoder, frame
from hub.logs import get_logger
from hub.services.ingest import IngestResult

log = get_logger("hub.mllp")


class Ingest(Protocol):
    async def ingest(self, raw: bytes, *, transport: str, peer: str | None) -> IngestResult: ...

    async def ingest_problem(self, problem: FramingProblem, *, transport: str, peer: str | None
                             ) -> IngestResult | None: ...


class MllpServer:
    def __init__(self, ingestor: Ingest, *, max_frame: int = 1 << 20, idle_timeout: float = 300.0,
                 ssl: ssl_module.SSLContext | None = None, max_connections: int = 256):
        self._ingestor = ingestor
        self._max_frame = max_frame
        self._idle_timeout = idle_timeout
        self._ssl = ssl
        self._max_connections = max_connections
        self.open_connections = 0
        self.refused_connections = 0
        self._server: asyncio.Server | None = None
        self.port: int | None = None

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._serve, host, port, ssl=self._ssl,
                                                  limit=self._max_frame + 1024)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("mllp.listening", host=host, port=self.port, tls=self._ssl is not None)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if peername else None
        if self.open_connections >= self._max_connections:
            self.refused_connections += 1
            CONNECTIONS_REFUSED.inc()
            log.warning("mllp.too_many_connections", peer=peer, count=self.refused_connections)
            writer.close()
            return
        self.open_connections += 1
        try:
            await self._converse(reader, writer, peer)
        finally:
            self.open_connections -= 1

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        peer: str | None) -> None:
        transport = "mllp+tls" if self._ssl else "mllp"
        decoder = MllpDecoder(max_frame=self._max_frame)
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(reader.read(65536), self._idle_timeout)
                except TimeoutError:
                    log.info("mllp.idle_timeout", peer=peer)
                    break
                if not chunk:
                    break
                for item in decoder.feed(chunk):
                    await self._handle(item, writer, transport, peer)
        except (ConnectionError, ssl_module.SSLError) as exc:
            log.info("mllp.connection_lost", peer=peer, error=type(exc).__name__)
        finally:
            # End of stream, idle timeout or reset: a frame the sender started and never ended
            # (and garbage after the last frame) is kept; it was never acknowledged, and there
            # is nobody left to answer.
            try:
                for problem in decoder.close():
                    await self._ingestor.ingest_problem(problem, transport=transport, peer=peer)
            finally:
                writer.close()

    async def _handle(self, item: Frame | FramingProblem, writer: asyncio.StreamWriter,
                      transport: str, peer: str | None) -> None:
        if isinstance(item, Frame):
            result: IngestResult | None = await self._ingestor.ingest(
                item.payload, transport=transport, peer=peer)
        else:
            # garbage between frames, an oversized or unterminated frame: keep the bytes we have
            result = await self._ingestor.ingest_problem(item, transport=transport, peer=peer)
        if result is not None and result.reply:  # MSH-15 NE/ER/SU may ask for no answer
            writer.write(frame(result.ack))
            await writer.drain()
