"""The MLLP listener on real sockets (plain and TLS), with the in-memory broker port: many
connections, pipelined messages, split writes, idle timeout, resets, mutual TLS (ADT-8, ADT-9);
and with the real Kafka producer pointed where no broker listens (AR)."""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
import struct
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.adapters.kafka_sink import KafkaSink
from hub.adapters.mllp_client import MllpClient
from hub.adapters.mllp_server import MllpServer
from hub.adapters.tls import client_context, server_context
from hub.clock import FixedClock
from hub.hl7.ack import ack_summary
from hub.hl7.mllp import START, frame
from hub.services.ingest import Ingestor, MemorySink
from tests.unit.test_metrics import scraped

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def message(n: int) -> bytes:
    return (f"MSH|^~\\&|EPIC|GEN|HUB|HUB|20261123||ADT^A08^ADT_A01|M{n}|P|2.5\r"
            f"PID|1||{n}^^^GEN^MR\r").encode()


async def serve(**kwargs: object) -> tuple[MllpServer, MemorySink]:
    sink = MemorySink([])
    server = MllpServer(Ingestor(sink, FixedClock(NOW)), **kwargs)  # type: ignore[arg-type]
    await server.start("127.0.0.1", 0)
    return server, sink


async def test_many_connections_each_get_their_own_acks_in_order() -> None:
    """ADT-9: 8 concurrent connections x 25 pipelined messages; every ACK matches its message."""
    server, sink = await serve()

    async def one_connection(c: int) -> list[str]:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"".join(frame(message(c * 100 + i)) for i in range(25)))  # pipelined
        await writer.drain()
        client = MllpClient(reader, writer)
        acks = [ack_summary(await client._next_frame()) for _ in range(25)]
        await client.close()
        return acks

    try:
        results = await asyncio.gather(*(one_connection(c) for c in range(8)))
    finally:
        await server.stop()
    for c, acks in enumerate(results):
        assert acks == [f"AA M{c * 100 + i}" for i in range(25)]
    assert len(sink.records) == 200


async def test_a_frame_written_one_byte_at_a_time_is_acked() -> None:
    """ADT-8: a frame split across many TCP writes is reassembled."""
    server, _sink = await serve()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        for byte in frame(message(1)):
            writer.write(bytes([byte]))
            await writer.drain()
        assert ack_summary(await MllpClient(reader, writer)._next_frame()) == "AA M1"
        writer.close()
    finally:
        await server.stop()


async def test_idle_connection_is_closed_by_the_listener() -> None:
    """ADT-8: a connection silent past the idle timeout is closed (EOF for the sender)."""
    server, _sink = await serve(idle_timeout=0.3)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        assert await asyncio.wait_for(reader.read(), timeout=10) == b""
        writer.close()
    finally:
        await server.stop()


async def test_a_frame_cut_off_by_the_idle_timeout_is_kept() -> None:
    """ADT-8, nothing lost: the bytes of a frame still open when the idle timeout closes the
    connection are kept in hl7.adt.rejected (unterminated), not dropped with the decoder."""
    server, sink = await serve(idle_timeout=0.3)
    cut = START + message(2)[:30]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(frame(message(1)) + cut)  # one write: the server reads both at once
        client = MllpClient(reader, writer)
        assert ack_summary(await client._next_frame()) == "AA M1"
        assert await asyncio.wait_for(reader.read(), timeout=10) == b""  # closed after keeping
        writer.close()
    finally:
        await server.stop()
    [(topic, _key, kept)] = [r for r in sink.records if r[2].get("error")]
    assert topic == "hl7.adt.rejected" and kept["error"]["code"] == "mllp_unterminated"
    assert base64.b64decode(kept["raw_b64"]) == cut[1:]


async def test_a_frame_cut_off_by_a_connection_reset_is_kept() -> None:
    """ADT-8, nothing lost: a sender that resets the connection mid-frame (TCP RST) leaves its
    partial frame in hl7.adt.rejected."""
    sink = NotifyingSink([])
    server = MllpServer(Ingestor(sink, FixedClock(NOW)))
    await server.start("127.0.0.1", 0)
    cut = START + message(4)[:30]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(frame(message(3)) + cut)
        assert ack_summary(await MllpClient(reader, writer)._next_frame()) == "AA M3"
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # linger 0: the kernel sends RST, not FIN
        await asyncio.wait_for(sink.rejected.wait(), timeout=10)
    finally:
        await server.stop()
    [(topic, _key, kept)] = [r for r in sink.records if r[2].get("error")]
    assert topic == "hl7.adt.rejected" and kept["error"]["code"] == "mllp_unterminated"
    assert base64.b64decode(kept["raw_b64"]) == cut[1:]


class NotifyingSink(MemorySink):
    """The in-memory broker, telling the test when a rejected record arrives (no sleeping)."""

    def __init__(self, records: list) -> None:  # type: ignore[type-arg]
        super().__init__(records)
        self.rejected = asyncio.Event()

    async def write(self, topic: str, key: str, value: dict) -> None:  # type: ignore[type-arg]
        await super().write(topic, key, value)
        if topic == "hl7.adt.rejected":
            self.rejected.set()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway CA, a server certificate for 127.0.0.1 and a client certificate (openssl)."""
    d = tmp_path_factory.mktemp("pki")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=tcm-hub test CA")
    for name, extra in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
            f"{name}.csr", "-subj", f"/CN={name}")
        (d / f"{name}.ext").write_text(extra + "\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
    return d


async def test_mutual_tls_accepts_a_client_certificate_and_refuses_none(pki: Path) -> None:
    """ADT-9 over TLS: with a client CA configured, a client with a certificate gets its AA;
    one without a certificate never gets to send."""
    tls = server_context(str(pki / "server.pem"), str(pki / "server.key"), str(pki / "ca.pem"))
    server, sink = await serve(ssl=tls)
    try:
        good = await MllpClient.connect("127.0.0.1", server.port, ssl=client_context(
            str(pki / "ca.pem"), str(pki / "client.pem"), str(pki / "client.key")))
        assert ack_summary(await good.send(message(7))) == "AA M7"
        await good.close()
        with pytest.raises((ssl.SSLError, ConnectionError, asyncio.IncompleteReadError)):
            anonymous = await MllpClient.connect("127.0.0.1", server.port,
                                                 ssl=client_context(str(pki / "ca.pem")))
            await anonymous.send(message(8), timeout=10)
    finally:
        await server.stop()
    assert [r[2]["transport"] for r in sink.records] == ["mllp+tls"]


async def test_msh_15_ne_gets_no_ack_on_the_wire() -> None:
    """ADT-9 enhanced mode: a message with MSH-15 NE is kept and answered with nothing; the next
    message's ACK is the first frame the sender reads."""
    server, sink = await serve()
    quiet = message(1).replace(b"|P|2.5\r", b"|P|2.5|||NE|NE\r")
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(frame(quiet) + frame(message(2)))
        await writer.drain()
        client = MllpClient(reader, writer)
        assert ack_summary(await client._next_frame()) == "AA M2"
        await client.close()
    finally:
        await server.stop()
    assert [r[2]["control_id"] for r in sink.records] == ["M1", "M2"]


async def test_broker_unreachable_means_ar_over_a_real_socket() -> None:
    """ADT-9: with the Kafka producer pointed at a port where no broker listens, the listener
    still answers, AR with broker_unavailable (the sender resends unchanged), never AA."""
    with socket.socket() as probe:  # a free port, closed again: connection refused
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    sink = KafkaSink(f"127.0.0.1:{closed_port}", request_timeout_ms=2000)
    server = MllpServer(Ingestor(sink, FixedClock(NOW)))
    await server.start("127.0.0.1", 0)
    try:
        client = await MllpClient.connect("127.0.0.1", server.port)
        first = ack_summary(await client.send(message(5)))
        second = ack_summary(await client.send(message(6)))  # the sink tries again, still AR
        await client.close()
    finally:
        await server.stop()
        await sink.stop()
    assert first.startswith("AR M5") and "broker_unavailable" in first
    assert second.startswith("AR M6")


async def test_connections_over_the_cap_are_closed_and_the_others_still_answer() -> None:
    """Bounded connections (issue 9): with a cap of 2, a third connection is closed before
    anything is read; the two open ones still get their ACKs, and once one closes a new
    connection is served."""
    refused = scraped("tcm_mllp_connections_refused_total")
    server, _sink = await serve(max_connections=2)
    try:
        first = await MllpClient.connect("127.0.0.1", server.port)
        second = await MllpClient.connect("127.0.0.1", server.port)
        assert ack_summary(await first.send(message(1))) == "AA M1"  # both really open
        assert ack_summary(await second.send(message(2))) == "AA M2"
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        assert await reader.read() == b""  # closed by the server, nothing answered
        writer.close()
        assert server.refused_connections == 1
        assert scraped("tcm_mllp_connections_refused_total") == refused + 1  # /metrics too
        await first.close()
        for _ in range(50):  # the server notices the close on its next read
            third = await MllpClient.connect("127.0.0.1", server.port)
            try:
                assert ack_summary(await third.send(message(3), timeout=5)) == "AA M3"
                break
            except (ConnectionError, asyncio.IncompleteReadError, AssertionError):
                await third.close()
        else:
            raise AssertionError("no connection was served after one closed")
        await third.close()
        await second.close()
    finally:
        await server.stop()
