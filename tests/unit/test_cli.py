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
