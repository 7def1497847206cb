"""``hub templates check [DIR]``: every patient text as the hub would send it, measured, and
every problem, before a changed text reaches a patient (MSG-1, MSG-4, MSG-5)."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from hub.domain.template_check import check
from hub.domain.templates import TEMPLATES, load_texts


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
