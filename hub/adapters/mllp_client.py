"""A small MLLP client: send messages in order on one connection, read each ACK (``hub send``)."""

from __future__ import annotations

import asyncio
import contextlib
import ssl as ssl_module

from hub.hl7.mllp import Frame, MllpDecoder, frame


class MllpClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader = reader
        self._writer = writer
        self._decoder = MllpDecoder()
        self._pending: list[bytes] = []

    @classmethod
    async def connect(cls, host: str, port: int, *, ssl: ssl_module.SSLContext | None = None,
                      timeout: float = 10.0) -> MllpClient:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ssl), timeout)
        return cls(reader, writer)

    async def send(self, message: bytes, *, timeout: float = 30.0) -> bytes:
        """Send one message and return the payload of the ACK that answers it."""
        self._writer.write(frame(message))
        await self._writer.drain()
        return await asyncio.wait_for(self._next_frame(), timeout)

    async def _next_frame(self) -> bytes:
        while not self._pending:
            chunk = await self._reader.read(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection before it answered")
            self._pending.extend(item.payload for item in self._decoder.feed(chunk)
                                 if isinstance(item, Frame))
        return self._pending.pop(0)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError):  # the peer may have closed first
            await self._writer.wait_closed()
