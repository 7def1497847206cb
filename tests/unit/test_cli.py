"""The ``hub`` command's start-up behaviour (no servers needed)."""

from __future__ import annotations

import os
import subprocess
import sys

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

    from hub.cli import faust_worker

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
