"""Issue 13, item 6: every bad input and unreachable peer given to a ``hub`` command is one line
on stderr naming the file, option or address, and a non-zero exit; never a traceback, never a
silent exit 0. One table, run in this process (fast) against ``hub.cli.main.main``; the
worker, which configures logging of its own, runs as a process."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.cli.feed import Person, adt
from hub.cli.main import main, parser
from tests.conftest import REPO

MESSAGE = adt("A03", Person("100", "DOE", "JO", "19600101", "F", "(617) 555-0100"),
              control_id="CLI1", at=datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("UTC")),
              disposition="01", discharged_to="HOME")


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound and never listened on: connections to it are refused."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        yield closed.getsockname()[1]


@pytest.fixture(scope="module")
def peers() -> Iterator[dict[str, int]]:
    """Two MLLP peers that fail a sender: one takes the connection and never answers, one
    hangs up as soon as it has taken it (plain sockets in a thread: the command runs its own
    event loop in this one)."""
    listeners = {name: socket.create_server(("127.0.0.1", 0)) for name in ("silent", "hangs_up")}
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve(name: str, listener: socket.socket) -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            if name == "silent":
                held.append(connection)  # kept open, never written to
            else:
                connection.close()

    threads = [threading.Thread(target=serve, args=item, daemon=True)
               for item in listeners.items()]
    for thread in threads:
        thread.start()
    yield {name: listener.getsockname()[1] for name, listener in listeners.items()}
    stop.set()
    for thread in threads:
        thread.join(5)
    for sock in [*held, *listeners.values()]:
        sock.close()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "empty.hl7").write_bytes(b"")
    (tmp_path / "blank.hl7").write_bytes(b"\r\n  \x0b\x1c\r")  # MLLP framing and nothing else
    (tmp_path / "one.hl7").write_bytes(MESSAGE)
    (tmp_path / "bad.jsonl").write_text('{"at": "2026-11-23T10:00:00-05:00"\n')
    (tmp_path / "nothing").mkdir()
    return {name.split(".")[0]: tmp_path / name for name in (
        "empty.hl7", "blank.hl7", "one.hl7", "bad.jsonl", "missing.hl7", "nothing")} | {
        "dir": tmp_path}


CASES = [  # (argv with {placeholders}, exit code, what stderr must name)
    (["hl7", "parse", "{missing}"], 2, "{missing}: No such file or directory"),
    (["hl7", "parse", "{dir}"], 2, "{dir}: Is a directory"),
    (["hl7", "parse", "{empty}"], 2, "{empty}: empty"),
    (["hl7", "parse", "{blank}"], 2, "{blank}: empty"),
    (["simulate", "{empty}"], 2, "{empty}: empty"),
    (["tcm", "preview", "{empty}"], 2, "{empty}: empty"),
    (["simulate", "{missing}"], 2, "{missing}"),
    (["simulate", "{one}", "--replies", "{bad}"], 2, "--replies {bad} line 1"),
    (["simulate", "{one}", "--replies", "{missing}"], 2, "--replies {missing}"),
    (["simulate", "{one}", "--actions", "{bad}"], 2, "--actions {bad} line 1"),
    (["simulate", "{one}", "--days", "0"], 2, "--days"),
    (["simulate", "{one}", "--days", "soon"], 2, "--days"),
    (["simulate", "{one}", "--days", "3000000"], 2, "--days"),  # was an OverflowError
    (["simulate", "{one}", "--start", "yesterday"], 2, "--start"),
    (["simulate", "{one}", "--sart", "2026-11-23"], 2, "--sart"),
    (["send", "{one}", "--port", "{port}"], 3, "127.0.0.1:{port}"),
    (["send", "{empty}", "--port", "{port}"], 2, "{empty}: empty"),  # before connecting
    (["send", "{one}", "--port", "http"], 2, "--port"),
    (["send", "{one}", "--port", "99999"], 2, "--port"),
    (["send", "{one}", "--port", "{silent}", "--timeout", "0.3"], 3,
     "127.0.0.1:{silent}: no ACK within 0.3 s"),  # a listener that takes and never answers
    (["send", "{one}", "--port", "{hangs_up}"], 3,
     "127.0.0.1:{hangs_up} closed the connection"),  # one that hangs up at once
    (["probe", "--timeout", "-1"], 2, "--timeout"),
    (["trace", "C1", "--since", "99999999"], 2, "--since"),
    (["trace", "C1", "--since", "0001-01-01"], 2, "--since"),  # before 1970: a ValueError
    (["replay", "{one}"], 3, "127.0.0.1:{port} (KAFKA_BOOTSTRAP_SERVERS)"),
    (["replay", "{empty}"], 2, "{empty}: empty"),
    (["deadletters", "export", "{dir}"], 3, "127.0.0.1:{port} (KAFKA_BOOTSTRAP_SERVERS)"),
    (["deadletters", "replay", "{missing}"], 2, "missing.hl7"),
    (["users", "list"], 3, "127.0.0.1:{port} (KAFKA_BOOTSTRAP_SERVERS)"),
    (["users", "add", "rn.x", "--name", "X", "--role", "nurse", "--teams", "cardiac"], 2,
     "--teams: no team 'cardiac' in the alert routing (its teams: care-team"),  # no file
    (["users", "add", "rn.x", "--name", "X", "--role", "nurse"], 2,
     "--teams: a nurse needs one team or more"),
    (["probe", "--url", "http://127.0.0.1:{port}"], 1, "http://127.0.0.1:{port}/readyz"),
    (["probe", "--url", "file:///etc/passwd"], 2, "--url"),
    (["probe", "--url", "http://[::1"], 2, "--url"),  # was a ValueError
    (["bench", "--corpus", "{missing}", "--episodes", "0"], 2, "--corpus {missing}"),
    (["bench", "--seconds", "-1", "--episodes", "0"], 2, "--seconds"),
    (["bench", "--seconds", "nan", "--episodes", "0"], 2, "--seconds"),  # a ZeroDivisionError
    (["bench", "--seconds", "inf", "--episodes", "0"], 2, "--seconds"),  # ran for ever
    (["bench", "--rate", "0", "--episodes", "0"], 2, "--rate"),  # after a whole step, before
    (["bench", "--corpus", "{nothing}", "--episodes", "0"], 2,
     "--corpus {nothing}: no HL7 message"),  # a ZeroDivisionError
    (["users", "add", "rn.x", "--name", "X", "--role", "nurse", "--teams", "care-team"], 2,
     "--password-stdin"),  # no terminal: an EOFError, after the broker
    (["templates", "check", "{missing}"], 2, "{missing}"),
    (["frobnicate"], 2, "frobnicate"),
]


@pytest.mark.parametrize("argv, code, named", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_a_bad_input_is_one_line_naming_it(
        argv: list[str], code: int, named: str, files: dict[str, Path], closed_port: int,
        peers: dict[str, int],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{closed_port}")
    values = {**{name: str(path) for name, path in files.items()}, "port": str(closed_port),
              "silent": str(peers["silent"]), "hangs_up": str(peers["hangs_up"])}
    argv = [part.format(**values) for part in argv]
    try:
        status = main(argv)
    except SystemExit as stop:  # argparse's own exit, with our one-line error
        status = int(stop.code or 0)
    err = capsys.readouterr().err
    assert status == code, err
    assert err.count("\n") == 1 and err.startswith("hub"), err
    assert named.format(**values) in err, err
    assert "Traceback" not in err


def test_a_start_time_without_an_offset_is_read_in_the_facility_zone(
        files: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """As HL7 times are (ADT-2): 10:00 in HUB_FACILITY_TZ, not a naive time compared with
    aware ones (a traceback before)."""
    monkeypatch.setenv("HUB_FACILITY_TZ", "America/Chicago")
    assert main(["simulate", str(files["one"]), "--days", "1",
                 "--start", "2026-11-23T10:00:00"]) == 0
    actions = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert actions and all(a["at"] >= "2026-11-23T10:00:00-06:00" for a in actions
                           if a["action"] == "sms")
    assert min(a["at"] for a in actions if a["action"] == "episode_opened") \
        == "2026-11-23T10:00:00-06:00"


@pytest.mark.parametrize("command", [["simulate"], ["tcm", "preview"]])
def test_a_feed_that_can_be_read_once_is_simulated(
        command: list[str], files: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A feed piped in (``hub simulate <(zcat feed.hl7.gz)``, a FIFO) is read once: it was read
    to be checked, then found empty when it was run ("empty: no HL7 message")."""
    fifo = tmp_path / "feed.fifo"
    os.mkfifo(fifo)
    feed = files["one"].read_bytes()
    def write() -> None:
        with contextlib.suppress(BrokenPipeError):
            fifo.write_bytes(feed)

    writer = threading.Thread(target=write)
    writer.start()
    status: list[int] = []
    run = threading.Thread(target=lambda: status.append(main([*command, str(fifo)])))
    run.start()
    run.join(timeout=60)  # a guard against a deadlock, not a measure of speed
    if run.is_alive():  # a second read waits for a writer that never comes: release it
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        run.join()
    if writer.is_alive():  # the run never opened the feed: let the writer's open return
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        writer.join(timeout=10)
        os.close(reader)
    writer.join()
    assert status == [0]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines and (command == ["tcm", "preview"] or
                      any(a["action"] == "episode_opened" for a in lines))


def test_every_option_of_every_command_has_help_text() -> None:
    """Help text on every option and argument, at every level of ``hub --help``."""
    missing = []

    def walk(command: argparse.ArgumentParser, path: str) -> None:
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, f"{path} {name}")
            elif not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(parser(), "hub")
    assert missing == []


def test_a_worker_without_its_broker_stops_with_one_line_naming_it(closed_port: int) -> None:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{closed_port}",
           "HUB_SENDER": "record", "HUB_BROKER_START_WAIT": "0"}
    done = subprocess.run([sys.executable, "-m", "hub", "worker"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last == (f"hub: cannot reach Kafka at 127.0.0.1:{closed_port} "
                    "(KAFKA_BOOTSTRAP_SERVERS)"), done.stderr
    assert "Traceback" not in done.stderr and "Unable connect" not in done.stderr


def test_a_web_port_that_is_not_one_is_one_line(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """``hub probe`` reads HUB_WEB_PORT for its default address: "abc" was an InvalidURL."""
    monkeypatch.setenv("HUB_WEB_PORT", "abc")
    assert main(["probe"]) == 2
    err = capsys.readouterr().err
    assert err == "hub: HUB_WEB_PORT: expected a port, got 'abc'\n"


def test_a_demo_whose_worker_cannot_start_says_why_in_one_line(tmp_path: Path) -> None:
    """``hub demo`` with a setting the worker refuses: one line with the worker's own reason
    and its log, which is kept; exit 3, no traceback."""
    env = {**os.environ, "TWILIO_MAX_REQUESTS_PER_SECOND": "abc", "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "hub", "demo"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("hub: the hub worker exited with status 2 before it listened "
                           "(configuration error: TWILIO_MAX_REQUESTS_PER_SECOND: "), line
    log = Path(line.rsplit("its log: ", 1)[1])
    assert log.is_file() and log.is_relative_to(tmp_path)


def test_no_free_port_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every port tried is taken: an OSError with a reason (one line from ``hub``)."""
    from hub.adapters import embedded_broker

    def taken(self: socket.socket, address: object) -> None:
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(socket.socket, "bind", taken)
    with pytest.raises(OSError, match="no free loopback port"):
        embedded_broker.free_port()
