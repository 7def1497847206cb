"""The domain never imports the edge libraries and never reads the clock (style.md)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

FORBIDDEN_MODULES = ("faust", "twilio", "aiokafka", "hl7apy", "mode", "aiohttp")
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}


def test_domain_imports_no_edge_library_and_reads_no_clock() -> None:
    """Pure core: hub/domain imports none of faust/twilio/aiokafka/hl7apy and calls no now()."""
    problems = []
    for path in sorted((REPO / "hub" / "domain").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            problems += [f"{path.name} imports {n}" for n in names
                         if n.split(".")[0] in FORBIDDEN_MODULES]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and \
                    (node.func.value.id, node.func.attr) in CLOCK_CALLS:
                problems.append(f"{path.name}:{node.lineno} reads the clock")
    assert problems == []
    assert len(list((REPO / "hub" / "domain").glob("*.py"))) > 5  # the check saw the domain
