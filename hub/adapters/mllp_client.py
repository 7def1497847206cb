"""A small MLLP client: send messages in order on one connection, read each ACK (``hub send``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl as ssl_module

from hub.hl7.mllp import Frame, MllpDecoder, frame


class MllpClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader = reader
        self._writer = writer
        self._decoder = MllpDecoder()
        self._pending: list[bytes] = []
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "the server"

    @classmethod
    async def connect(cls, host: str, port: int, *, ssl: ssl_module.SSLContext | None = None,
                      timeout: float = 10.0) -> MllpClient:
        """``ConnectionError`` naming the address when nothing takes the connection: refused,
        an unknown host, or a peer that does not answer within ``timeout``."""
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, ssl=ssl), timeout)
        except TimeoutError as exc:
            raise ConnectionError(f"cannot connect to {host}:{port} (no answer in "
                                  f"{timeout:g} s)") from exc
        except OSError as exc:
            # asyncio puts its own words in strerror; the errno says it plainly
            why = (os.strerror(exc.errno) if exc.errno and exc.errno > 0
                   else exc.strerror or str(exc)).lower()
            raise ConnectionError(f"cannot connect to {host}:{port} ({why})") from exc
        return cls(reader, writer)

    async def send(self, message: bytes, *, timeout: float = 30.0) -> bytes:
        """Send one message and return the payload of the ACK that answers it; a peer that
        says nothing is a ``TimeoutError`` naming it, one that hangs up a ``ConnectionError``."""
        try:
            self._writer.write(frame(message))
            await self._writer.drain()
            return await asyncio.wait_for(self._next_frame(), timeout)
        except TimeoutError as exc:
            raise TimeoutError(f"{self.peer}: no ACK within {timeout:g} s") from exc
        except ConnectionResetError as exc:
            raise ConnectionError(f"{self.peer} closed the connection before it answered "
                                  "(reset)") from exc

    async def _next_frame(self) -> bytes:
        while not self._pending:
            chunk = await self._reader.read(65536)
            if not chunk:
                raise ConnectionError(f"{self.peer} closed the connection before it "
                                      "answered")
            self._pending.extend(item.payload for item in self._decoder.feed(chunk)
                                 if isinstance(item, Frame))
        return self._pending.pop(0)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError):  # the peer may have closed first
            await self._writer.wait_closed()
