"""docker-compose.yml, .env.example and the README's configuration table name only variables the
hub reads, and the README documents every one it reads (no Docker here: read, not run)."""

from __future__ import annotations

import re

from tests.conftest import REPO

_NAME = re.compile(r"\b((?:HUB|MLLP|TWILIO)_[A-Z_]+|KAFKA_BOOTSTRAP_SERVERS)\b")


def names(text: str) -> set[str]:
    return set(_NAME.findall(text))


def read_by_the_hub() -> set[str]:
    return names((REPO / "hub" / "config.py").read_text())


def test_compose_and_env_example_set_only_variables_the_hub_reads() -> None:
    """A misspelt variable in the production stack would be silently ignored."""
    compose = (REPO / "docker-compose.yml").read_text()
    worker = compose[compose.index("\n  worker:"):]
    assert names(worker) - read_by_the_hub() == set()
    assert names((REPO / ".env.example").read_text()) - read_by_the_hub() == set()


def test_every_variable_the_hub_reads_is_in_the_readme() -> None:
    """Configuration is documented where operators look for it."""
    readme = (REPO / "README.md").read_text()
    table = readme[readme.index("## Configuration"):readme.index("## Topics")]
    assert read_by_the_hub() - names(table) == set()


def test_compose_kafka_does_not_auto_create_topics() -> None:
    """The worker creates its topics co-partitioned; a broker default must not create them."""
    compose = (REPO / "docker-compose.yml").read_text()
    assert 'KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false"' in compose
