"""Real servers for the integration tests: Apache Kafka (KRaft, from Maven Central jars) and Prism
serving Twilio's official OpenAPI contract. Each is installed into ``.cache/`` on first use, started
on free loopback ports, waited for by probing its socket, and stopped by its own PID."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from hub.adapters import embedded_broker

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CACHE = REPO / ".cache"
KAFKA_POM = Path(__file__).resolve().parent / "kafka" / "pom.xml"
PRISM_VERSION = "5.14.2"
TWILIO_SPEC = SHARED / "twilio-oai" / "twilio_api_v2010.json"


def free_port() -> int:
    """A loopback port below the range of outgoing connections (see the hub's own)."""
    return embedded_broker.free_port()


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Block until something accepts on 127.0.0.1:port; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; "
                               f"log:\n{log.read_text()[-4000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)  # polling a socket that is not up yet, not synchronizing with a result
    raise TimeoutError(f"nothing listened on {port} within {timeout}s; "
                       f"log:\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Stop a server we started, by its own PID (its process group), never by name."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def _spawn(cmd: list[str], log: Path, cwd: Path | None = None, env: dict[str, str] | None = None
           ) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env,
                                start_new_session=True)


# --- Apache Kafka -----------------------------------------------------------------------------

def kafka_jars() -> Path:
    lib = CACHE / "kafka-lib"
    if not (lib / ".complete").exists():
        mvn = shutil.which("mvn")
        if mvn is None:
            raise RuntimeError("Maven (mvn) is needed to fetch the Apache Kafka jars")
        subprocess.run([mvn, "-q", "-B", "-f", str(KAFKA_POM), "dependency:copy-dependencies",
                        f"-DoutputDirectory={lib}", "-DincludeScope=runtime"], check=True)
        (lib / ".complete").touch()
    return lib


@dataclass
class Kafka:
    bootstrap: str
    process: subprocess.Popen[bytes]
    workdir: Path

    def stop(self) -> None:
        stop(self.process)


_LOG4J = """log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
"""


def start_kafka(workdir: Path) -> Kafka:
    """One KRaft node (broker + controller) on loopback, topics auto-created with 1 partition."""
    lib = kafka_jars()
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("a Java runtime is needed to run Apache Kafka")
    workdir.mkdir(parents=True, exist_ok=True)
    port, controller = free_port(), free_port()
    props = workdir / "server.properties"
    props.write_text(
        "\n".join([
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{controller}",
            f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            f"log.dirs={workdir / 'data'}",
            "num.partitions=1",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=true",
        ]) + "\n"
    )
    (workdir / "log4j.properties").write_text(_LOG4J)
    base = [java, "-Xmx768m", "-cp", f"{lib}/*",
            f"-Dlog4j.configuration=file:{workdir / 'log4j.properties'}"]
    subprocess.run([*base, "kafka.tools.StorageTool", "format", "-t", _cluster_id(),
                    "-c", str(props)], check=True, capture_output=True)
    log = workdir / "kafka.log"
    process = _spawn([*base, "kafka.Kafka", str(props)], log)
    wait_for_port(port, process, log, timeout=60)
    return Kafka(f"127.0.0.1:{port}", process, workdir)


def _cluster_id() -> str:
    """16 random bytes in URL-safe base64 without padding (Kafka's Uuid form); never starting
    with '-', which the storage tool would read as an option."""
    while True:
        candidate = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not candidate.startswith("-"):
            return candidate


# --- Prism serving Twilio's contract ----------------------------------------------------------

def prism_bin() -> Path:
    root = CACHE / "prism"
    binary = root / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to install Prism")
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--no-fund", "--no-audit", "--prefix", str(root),
                        f"@stoplight/prism-cli@{PRISM_VERSION}"], check=True, capture_output=True)
    return binary


_PAGING = ("first_page_uri", "next_page_uri", "previous_page_uri", "uri")


def derived_twilio_spec(target: Path) -> Path:
    """Twilio's spec with form ``encoding`` added for array properties, so Prism accepts the
    repeated form keys twilio-python sends (see shared/twilio-oai/README.md). List responses'
    paging links lose ``format: uri``: Twilio's own examples give relative paths there, which
    Prism's ``--errors`` would otherwise report as its own reply being invalid. Requests are
    checked exactly as the spec says."""
    spec = json.loads(TWILIO_SPEC.read_text())
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            listed = operation.get("responses", {}).get("200", {}).get("content", {}).get(
                "application/json", {}).get("schema", {}).get("properties", {})
            for name in _PAGING:
                if name in listed:
                    listed[name].pop("format", None)
            for parameter in operation.get("parameters", []):
                # Calls.json says these are YYYY-MM-DD dates (and its examples are) but types
                # them date-time; Prism then refuses every Calls list request, even without them
                if parameter.get("name", "").startswith(("StartTime", "EndTime")):
                    parameter.get("schema", {}).pop("format", None)
            media = operation.get("requestBody", {}).get("content", {}).get(
                "application/x-www-form-urlencoded")
            if not media:
                continue
            props = media.get("schema", {}).get("properties", {})
            arrays = [name for name, prop in props.items() if prop.get("type") == "array"]
            if arrays:
                media["encoding"] = {name: {"style": "form", "explode": True, "allowReserved": True}
                                     for name in arrays}
    target.write_text(json.dumps(spec))
    return target


@dataclass
class Prism:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        stop(self.process)


def start_prism(workdir: Path) -> Prism:
    workdir.mkdir(parents=True, exist_ok=True)
    binary = prism_bin()
    spec = derived_twilio_spec(workdir / "twilio_api_v2010.derived.json")
    port = free_port()
    log = workdir / "prism.log"
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    process = _spawn([str(binary), "mock", "-h", "127.0.0.1", "-p", str(port), "--errors",
                      str(spec)], log, env=env)
    wait_for_port(port, process, log, timeout=60)
    return Prism(f"http://127.0.0.1:{port}", process, log)
