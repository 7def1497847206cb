"""``hub templates check [DIR]``: every patient text as the hub would send it, measured, and
every problem, before a changed text reaches a patient (MSG-1, MSG-4, MSG-5)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from hub.domain.template_check import check
from hub.domain.templates import TEMPLATES, load_texts
from hub.errors import ConfigError


def templates_check(directory: Path | None, practice: str, callback: str, *, out: TextIO,
                    err: TextIO) -> int:
    """0 when fit to send; 1 with one line a problem on ``err``. ``directory`` holds the
    ``<language>.toml`` files to check (default: the texts in use)."""
    texts = load_texts(directory) if directory is not None else TEMPLATES
    measures, problems = check(texts, practice, callback)
    for m in measures:
        size = f"{m.size:>3} words" if m.encoding == "voice" else (
            f"{m.size:>3} chars  {m.encoding}  {m.segments} segment"
            + ("s" if m.segments != 1 else ""))
        print(f"{m.language:<3} {m.template:<21} {size}  {m.text}", file=out)
    for problem in problems:
        print(f"hub templates: {problem}", file=err)
    if not problems:
        print(f"{len(measures)} texts in {len(texts)} languages fit (MSG-1, MSG-4, MSG-5)",
              file=out)
    return 1 if problems else 0


def register(sub: Any) -> None:
    texts = sub.add_parser("templates", help="patient texts")
    texts_sub = texts.add_subparsers(dest="templates_command", required=True)
    check_parser = texts_sub.add_parser(
        "check", help="render and measure every patient text; exit 1 on a problem")
    check_parser.add_argument("directory", nargs="?", type=Path,
                              help="a folder of <language>.toml texts (default: those in use)")
    check_parser.add_argument("--practice", help="default: HUB_PRACTICE_NAME")
    check_parser.add_argument("--callback", help="default: HUB_CALLBACK_NUMBER")
    check_parser.set_defaults(run=_check)


def _check(args: Any) -> int:
    from hub.config import Settings
    from hub.domain.templates import install_from

    settings = Settings.from_env()
    directory = args.directory
    if directory is None:
        install_from(settings.templates_dir)  # what the worker would use
    elif not directory.is_dir():
        raise ConfigError(f"{directory}: not a folder of <language>.toml texts")
    practice = settings.practice_name if args.practice is None else args.practice
    callback = settings.callback_number if args.callback is None else args.callback
    return templates_check(directory, practice, callback, out=sys.stdout, err=sys.stderr)
