"""The folders are the architecture (issue 10): the contracts in ``pyproject.toml``
(``[tool.importlinter]``) hold for the code as it is. Only the entrypoints, ``hub.cli``, import
the stages in ``agents``."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

LINT_IMPORTS = ("import sys; from importlinter.cli import lint_imports_command as run; "
                "sys.exit(run())")


def test_only_the_entrypoints_import_the_stages() -> None:
    done = subprocess.run([sys.executable, "-c", LINT_IMPORTS, "--no-cache"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr  # the contract and what breaks it
    assert "1 kept, 0 broken" in done.stdout
