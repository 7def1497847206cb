"""The ``hub`` command's start-up behaviour (no servers needed)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def test_worker_without_twilio_credentials_is_a_clear_start_up_error() -> None:
    """A missing Twilio credential stops `hub worker` at start-up with the variables to set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "HUB_"))}
    done = subprocess.run([sys.executable, "-m", "hub", "worker"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "TWILIO_ACCOUNT_SID" in done.stderr and "TWILIO_AUTH_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_worker_keeps_the_root_logger_at_its_level() -> None:
    """Logs and speed: at WARNING Faust's terminal spinner would set the root logger to DEBUG
    and make every library debug line a record to build, mask and drop; the worker has none."""
    import logging

    import faust

    from hub.cli.worker import faust_worker

    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    try:
        worker = faust_worker(faust.App("tcm-hub-cli-test", autodiscover=False), "warn")
        assert worker.spinner is None
        root.setLevel(logging.WARNING)
        worker.on_setup_root_logger(root, logging.WARNING)
        assert root.level == logging.WARNING
        assert not logging.getLogger("aiokafka.conn").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(before[0])
        root.handlers[:] = before[1]


def _pipeline_bench(*options: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "bench", "--pipeline", "--episodes", "0", "--seconds",
         "0.05", *options],
        cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)


def test_the_pipeline_bench_refuses_a_wrong_option_in_one_line() -> None:
    """Bad input: a count or a rate the bench cannot run is one line naming the option."""
    for options, named in ((("--discharges", "0"), "--discharges"),
                           (("--rate", "-5"), "--rate")):
        done = _pipeline_bench(*options, env={})
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and named in done.stderr, done.stderr


def test_a_broker_that_refuses_the_pipeline_bench_is_one_line_naming_it() -> None:
    """Failure, not absence: a bootstrap address whose port refuses the connection is one line
    with the address and the variable; no library error lines, no traceback."""
    import socket

    with socket.socket() as closed:  # a port bound, never listened on: connections refused
        closed.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{closed.getsockname()[1]}"
        done = _pipeline_bench("--discharges", "10", env={"KAFKA_BOOTSTRAP_SERVERS": address})
    assert done.returncode == 3, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert address in done.stderr and "KAFKA_BOOTSTRAP_SERVERS" in done.stderr


def test_a_missing_file_a_directory_or_a_refused_peer_is_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 13: a bad input is one line on stderr naming it, and a non-zero exit."""
    from hub.cli.main import main

    missing = tmp_path / "nope.hl7"
    assert main(["hl7", "parse", str(missing)]) == 2
    assert capsys.readouterr().err == f"hub: {missing}: No such file or directory\n"
    assert main(["hl7", "parse", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"hub: {tmp_path}: Is a directory\n"
    message = tmp_path / "one.hl7"
    message.write_bytes(b"MSH|^~\\&|A|B|C|D|20260101||ADT^A03|1|P|2.5\r")
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    assert main(["send", str(message), "--host", "127.0.0.1", "--port", str(port)]) == 3
    assert capsys.readouterr().err == (
        f"hub: cannot connect to 127.0.0.1:{port} (connection refused)\n")
