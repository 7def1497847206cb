"""Run ``hub worker`` as its own process against the test broker and Prism, as production would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hub.adapters.mllp_client import MllpClient
from hub.hl7.ack import ack_summary
from tests.integration import servers

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "integration-test-token"
API_TOKEN = "care-team-test-token"
HL7_TOKEN = "sending-system-test-token"


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    mllp_port: int
    web_port: int
    log: Path
    env: dict[str, str]

    def stop(self) -> None:
        servers.stop(self.process, timeout=30)

    def kill(self) -> None:
        """An abrupt crash: no shutdown, no final commit or flush."""
        os.killpg(self.process.pid, 9)
        self.process.wait(10)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]


def start_worker(kafka: servers.Kafka, prism: servers.Prism, workdir: Path, *,
                 clock_start: str, app_id: str, partitions: int = 2,
                 extra_env: dict[str, str] | None = None) -> Worker:
    workdir.mkdir(parents=True, exist_ok=True)
    mllp_port, web_port = servers.free_port(), servers.free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
        "HUB_APP_ID": app_id,
        "HUB_PARTITIONS": str(partitions),
        "MLLP_HOST": "127.0.0.1", "MLLP_PORT": str(mllp_port),
        "HUB_WEB_HOST": "127.0.0.1", "HUB_WEB_PORT": str(web_port),
        "HUB_STORE": "memory://", "HUB_DATA_DIR": str(workdir / "data"),
        "HUB_FACILITY_TZ": "America/New_York",
        "HUB_PRACTICE_NAME": "Riverside Primary Care", "HUB_CALLBACK_NUMBER": "+16175550100",
        "HUB_CLOCK_START": clock_start, "HUB_TICK_SECONDS": "1",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+16175550100", "TWILIO_API_URL": prism.url,
        "HUB_PUBLIC_URL": f"http://127.0.0.1:{web_port}", "HUB_API_TOKEN": API_TOKEN,
        "HUB_HL7_HTTP_TOKEN": HL7_TOKEN,
        "NO_PROXY": "127.0.0.1,localhost",
        **(extra_env or {}),
    }
    log = workdir / "worker.log"
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "hub", "worker", "--loglevel", "info"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=servers.REPO)
    servers.wait_for_port(mllp_port, process, log, timeout=120)
    # and its web server: a worker whose web port could not be bound stops right after the
    # listener opened, and a test would wait on it for ever
    servers.wait_for_port(web_port, process, log, timeout=120)
    return Worker(process, mllp_port, web_port, log, env)


def module_worker(app_id: str, clock_start: datetime) -> Any:
    """A module-scoped ``worker`` fixture: one ``hub worker`` for every test of a module,
    stopped by its PID when the module is done. Assign it to ``worker`` in the module."""

    @pytest.fixture(scope="module")
    def worker(kafka: servers.Kafka, prism: servers.Prism,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
        running = start_worker(kafka, prism, Path(tmp_path_factory.mktemp("worker")),
                               clock_start=clock_start.isoformat(), app_id=app_id)
        yield running
        running.stop()

    return worker


async def send(port: int, message: bytes) -> str:
    """One HL7 message over MLLP to a worker's listener; its ACK summarized ("AA C1 ...")."""
    client = await MllpClient.connect("127.0.0.1", port)
    try:
        return ack_summary(await client.send(message))
    finally:
        await client.close()
