"""The domain, the HL7 package and the services never import the edge libraries and never read
the clock (style.md; issue 10: the services are use cases over ports)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

FORBIDDEN_MODULES = ("faust", "twilio", "aiokafka", "hl7apy", "mode", "aiohttp")
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
               ("date", "today"), ("time", "time"), ("time", "time_ns"),
               ("time", "monotonic"), ("time", "localtime")}
CLOCK_FUNCTIONS = {"now", "utcnow", "today", "time", "time_ns", "monotonic", "localtime"}


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    problems = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
            if node.module == "time":  # ``from time import time`` and the like
                problems += [f"{path.name} imports {node.module}.{a.name}" for a in node.names
                             if a.name in CLOCK_FUNCTIONS]
        problems += [f"{path.name} imports {n}" for n in names
                     if n.split(".")[0] in FORBIDDEN_MODULES]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else \
                owner.attr if isinstance(owner, ast.Attribute) else None
            if (owner_name, node.func.attr) in CLOCK_CALLS:
                problems.append(f"{path.name}:{node.lineno} reads the clock")
    return problems


def test_domain_imports_no_edge_library_and_reads_no_clock() -> None:
    """Pure core: hub/domain imports none of faust/twilio/aiokafka/hl7apy and calls no now()."""
    paths = sorted((REPO / "hub" / "domain").rglob("*.py"))  # the kernel and both aggregates
    assert len(paths) > 30  # the check saw the domain
    assert [p for path in paths for p in _problems(path)] == []


def test_services_import_no_edge_library_and_read_no_clock() -> None:
    """hub/services: no Kafka, Twilio, Faust or HTTP library, no now(): the stages and the
    adapters bring those in through ports and parameters."""
    paths = sorted((REPO / "hub" / "services").glob("*.py"))
    assert len(paths) >= 4  # the check saw the services
    assert [p for path in paths for p in _problems(path)] == []


def test_hl7_imports_no_edge_library_and_reads_no_clock() -> None:
    """hub/hl7 is pure too: hl7apy serves only the reference check of the benchmark and the
    tests (hub/cli/bench/reference.py), the file inspection is the command's."""
    paths = sorted((REPO / "hub" / "hl7").glob("*.py"))
    assert len(paths) > 10  # the check saw the HL7 package
    assert [p for path in paths for p in _problems(path)] == []


def test_the_check_catches_what_it_forbids(tmp_path: Path) -> None:
    """The purity check itself: each forbidden form is reported."""
    sample = tmp_path / "sample.py"
    sample.write_text("import faust\nfrom twilio.rest import Client\nimport datetime\n"
                      "from time import time\n"
                      "a = datetime.datetime.now()\nb = datetime.date.today()\n")
    assert len(_problems(sample)) == 5
