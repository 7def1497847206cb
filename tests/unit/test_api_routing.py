"""Where workers reach each other: the canonical URL that routed requests and lists use."""

from __future__ import annotations

import socket
from pathlib import Path

from agents.app import advertised_host, create_app
from hub.config import Settings


def test_a_wildcard_web_host_advertises_the_host_name() -> None:
    """0.0.0.0 reaches no other worker (docker compose --scale): the host name is advertised."""
    assert advertised_host("0.0.0.0") == socket.gethostname()
    assert advertised_host("10.0.0.5") == "10.0.0.5"


def test_the_app_advertises_that_host(tmp_path: Path) -> None:
    """Faust's canonical URL carries the advertised host and the web port."""
    app = create_app(Settings(store="memory://", data_dir=str(tmp_path), web_port=7001))
    assert (app.conf.canonical_url.host, app.conf.canonical_url.port) == (
        socket.gethostname(), 7001)
