"""The ``hub`` command: ``worker``, ``demo``, ``send``, ``hl7 parse``, ``simulate``, ``tcm``, ...

Each command is a module of ``hub.cli`` that registers its parser and what it runs; configuration
comes from the environment (``hub.config``), read once by the command at start-up. Bad settings
and an unreachable broker are one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from hub.cli import (
    bench,
    demo,
    hl7,
    probe,
    replay,
    send,
    simulate,
    templates,
    trace,
    users,
    worker,
)
from hub.errors import BrokerUnavailable, ConfigError, InputError

COMMANDS = (worker, demo, send, hl7, simulate, bench, templates, replay, users, probe, trace)


class OneLineParser(argparse.ArgumentParser):
    """A wrong option is one line naming it (argparse's usage block would bury it); the
    subcommands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    """Every command and option, each with its help text."""
    top = OneLineParser(prog="hub", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not getattr(args, "logs_of_its_own", False):
        from hub import logs
        logs.configure("warning")  # tools print their results; logs only for problems
        logs.quiet_libraries()  # ... and say in one line what failed
    try:
        return int(args.run(args))
    except ConfigError as exc:
        print(f"hub: configuration error: {exc}", file=sys.stderr)
        return 2
    except InputError as exc:
        print(f"hub: {exc.message}", file=sys.stderr)
        return 2
    except BrokerUnavailable as exc:  # a tool's own connection; the worker retries instead
        print(f"hub: {exc.message}", file=sys.stderr)
        return 3
    except OSError as exc:  # a missing file, a directory, a peer that refuses: one line
        print(f"hub: {_described(exc)}", file=sys.stderr)
        return 2 if exc.filename else 3


def _described(exc: OSError) -> str:
    """``FILE: No such file or directory``; a connection the adapters could not make names its
    address itself (``MllpClient.connect``)."""
    if exc.filename:
        return f"{exc.filename}: {exc.strerror or type(exc).__name__}"
    return str(exc) or type(exc).__name__


if __name__ == "__main__":
    raise SystemExit(main())
