"""The folders are the architecture (issue 10): the contracts in ``pyproject.toml``
(``[tool.importlinter]``) hold for the code as it is. Only the entrypoints, ``hub.cli``, import
the stages in ``agents``; the domain's two aggregates, the patient's episode and the phone's
conversation, never import each other."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

LINT_IMPORTS = ("import sys; from importlinter.cli import lint_imports_command as run; "
                "sys.exit(run())")


def test_the_import_contracts_hold() -> None:
    done = subprocess.run([sys.executable, "-c", LINT_IMPORTS, "--no-cache"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr  # the contract and what breaks it
    assert "2 kept, 0 broken" in done.stdout
