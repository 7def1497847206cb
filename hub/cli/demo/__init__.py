"""``hub demo``: the README's first command, a discharge to a text on the embedded broker."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    demo = sub.add_parser("demo", help="run the whole hub on an embedded broker, sending nothing")
    demo.add_argument("--keep", action="store_true", help="keep the demo's working directory")
    demo.add_argument("--serve", action="store_true",
                      help="then keep the hub running and print a one-time sign-in link to the "
                           "worklist of the demo's patients, until Ctrl-C")
    demo.set_defaults(run=_run)


def _run(args: Any) -> int:
    from hub.cli.demo.run import run_demo

    return run_demo(keep=args.keep, serve=args.serve)
