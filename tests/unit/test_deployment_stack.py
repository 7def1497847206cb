"""Issue 13, item 7: the Dockerfile, the compose stack, Prometheus's and Grafana's files.
There is no Docker engine here, so they are read and checked, not run: compose is parsed as YAML
and held to what the stack must do; every metric a dashboard or alert rule names exists in the
hub's registry; ``.env.example`` as shipped is a valid configuration."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from hub.adapters import metrics
from hub.config import Settings
from tests.conftest import REPO
from tests.unit.test_deployment_files import names, read_by_the_hub

_METRIC = re.compile(r"\b(tcm_[a-z0-9_]+)")
_SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


def env_example() -> dict[str, str]:
    values = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def registered_metrics() -> set[str]:
    return {family.name for family in metrics.REGISTRY.collect()}


def metric_names(text: str) -> set[str]:
    found = set()
    for name in _METRIC.findall(text):
        for suffix in _SUFFIXES:
            if name.endswith(suffix) and name.removesuffix(suffix) in registered_metrics():
                name = name.removesuffix(suffix)
        found.add(name)
    return found


def test_the_worker_runs_the_built_image_with_every_setting_of_env() -> None:
    """No install at start; .env whole (env_file), the stack's own wiring on top; healthy means
    ready (/readyz through `hub probe`); its data in a volume of its own."""
    worker = compose()["services"]["worker"]
    assert worker["build"] == "." and worker["command"] == ["worker"]
    assert ".env" in worker["env_file"]
    assert "pip" not in json.dumps(worker)
    assert worker["healthcheck"]["test"] == ["CMD", "hub", "probe", "ready"]
    assert set(worker["environment"]) <= read_by_the_hub()
    assert worker["environment"]["HUB_STORE"] == "rocksdb://"
    assert worker["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert "./certs:/certs:ro" in worker["volumes"]  # MLLP TLS certificates, read-only
    # the web port (API, pages, metrics, Twilio's webhooks) is not published to the world:
    # the reverse proxy on this host passes only /twilio/*
    web = [port for port in worker["ports"] if port.endswith(":6066")]
    assert web and all(port.startswith("127.0.0.1:") for port in web)


def test_prometheus_and_grafana_are_in_the_stack_with_only_what_they_need() -> None:
    services = compose()["services"]
    assert {"kafka", "worker", "prometheus", "grafana"} <= set(services)
    assert set(services["prometheus"]["environment"]) == {"HUB_METRICS_TOKEN"}
    assert "env_file" not in services["prometheus"] and "env_file" not in services["grafana"]
    for service in ("prometheus", "grafana"):
        assert services[service]["healthcheck"]["test"][0] == "CMD"
        for volume in services[service]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), volume  # the files it mounts are in the repo


def test_every_interpolated_variable_is_documented_in_env_example() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    interpolated = set(re.findall(r"\$\{([A-Z_]+)", text))
    assert interpolated <= set(env_example()) | names((REPO / ".env.example").read_text())


def test_env_example_documents_every_setting_and_is_valid_as_shipped() -> None:
    """Every variable the hub reads is in .env.example (commented lines show the default);
    its uncommented lines, as they are, are a configuration the hub accepts (an empty value
    where a number is read would stop the worker)."""
    text = (REPO / ".env.example").read_text()
    assert read_by_the_hub() - names(text) == set()
    Settings.from_env(env_example())


def test_the_image_is_built_once_and_runs_unprivileged() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    runtime = dockerfile[dockerfile.rindex("\nFROM "):]
    assert re.search(r"^USER (?!root)\w+", runtime, re.M)
    assert "pip install" not in runtime.split("COPY --from=build", 1)[1]  # never at start
    assert 'HEALTHCHECK' in runtime and '"hub", "probe", "ready"' in runtime
    for package in ("hub", "agents"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_prometheus_scrapes_each_worker_with_its_token() -> None:
    config = yaml.safe_load((REPO / ".deploy" / "prometheus.yml").read_text())
    [job] = config["scrape_configs"]
    assert job["authorization"]["credentials_file"] == "/tmp/metrics-token"
    assert job["dns_sd_configs"][0]["names"] == ["worker"]  # every replica, not one address
    assert job["dns_sd_configs"][0]["port"] == 6066


def test_dashboard_and_alert_rules_name_only_metrics_the_hub_exports() -> None:
    """A renamed metric would leave a panel silently empty: every ``tcm_*`` name the Grafana
    dashboard and the alert rules query is in the hub's registry."""
    dashboard = json.loads((REPO / ".deploy" / "grafana" / "dashboards" / "tcm-hub.json")
                           .read_text())
    queried = {target["expr"] for panel in dashboard["panels"] for target in panel["targets"]}
    rules = yaml.safe_load((REPO / ".deploy" / "alerts.yml").read_text())
    queried |= {rule["expr"] for group in rules["groups"] for rule in group["rules"]}
    used = set().union(*(metric_names(expr) for expr in queried))
    assert used and used <= registered_metrics(), used - registered_metrics()
    # and the dashboard shows each thing the issue asks to see
    for wanted in ("tcm_hl7_acks", "tcm_hl7_ack_seconds", "tcm_dead_letters",
                   "tcm_consumer_lag", "tcm_outreach_results", "tcm_alerts",
                   "tcm_discharge_to_first_request_seconds", "tcm_mllp_connections"):
        assert wanted in used, wanted


def test_the_installed_package_carries_every_data_file() -> None:
    """The image installs the package (not the checkout): every file of hub/ that is not
    Python (texts, templates, the OpenAPI file, the pages' CSS and script) is package data."""
    import fnmatch
    import tomllib

    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["hub"]
    data = [path.relative_to(REPO / "hub").as_posix() for path in (REPO / "hub").rglob("*")
            if path.is_file() and path.suffix not in (".py", ".pyc")
            and "__pycache__" not in path.parts]
    assert data and [name for name in data
                     if not any(fnmatch.fnmatch(name, p) for p in patterns)] == []
    assert not [p for p in patterns if not any(fnmatch.fnmatch(name, p) for name in data)]
