"""The checks every set of patient texts passes before the hub sends one (start-up and
``hub templates check``): MSG-1 contents and length, MSG-4 words, MSG-5 languages.

Each template of each language is rendered as the hub would render it for this practice (with
and without a first name, with the longest reminder date) and measured: encoding, SMS segments,
characters or spoken words. A problem is one line a person can act on, naming the language, the
template and what is wrong.
"""

from __future__ import annotations

import itertools
import re
import string
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import date
from importlib import resources

from hub.domain.segments import encoding, segments
from hub.domain.templates import (
    SMS_TEMPLATES,
    TEMPLATES,
    VOICE_TEMPLATES,
    Texts,
    render,
    short_date,
)
from hub.errors import ConfigError

PLACEHOLDERS = frozenset({"name", "practice", "callback", "visit_due"})
LONG_NAME = "Maximiliana"  # a first name of ordinary length, for the figures


@dataclass(frozen=True)
class Measure:
    language: str
    template: str
    text: str
    encoding: str
    segments: int
    size: int  # characters (SMS) or words (voice)


def phi_words() -> frozenset[str]:
    data = tomllib.loads(resources.files("hub.domain").joinpath("texts/phi_words.toml")
                         .read_text("utf-8"))
    return frozenset(_fold(w) for w in data["words"])


def check(texts: Texts, practice: str, callback: str) -> tuple[list[Measure], list[str]]:
    """What each template renders to, and every problem found (empty: fit to send)."""
    problems: list[str] = []
    if not practice.strip():
        problems.append("the practice name is required: every message names the provider "
                        "(MSG-1, HUB_PRACTICE_NAME)")
        return [], problems
    english = texts.get("en", {})
    forbidden = phi_words()
    for language, templates in sorted(texts.items()):
        for missing in sorted(set(english) - set(templates)):
            problems.append(f"{language} {missing}: missing (English has it, MSG-5)")
        for unknown in sorted(set(templates) - SMS_TEMPLATES - VOICE_TEMPLATES):
            problems.append(f"{language} {unknown}: not a template the hub sends")
        for name, variants in sorted(templates.items()):
            problems += [f"{language} {name}: {p}" for p in _variant_problems(
                name, variants, forbidden)]
    for needed in sorted((SMS_TEMPLATES | VOICE_TEMPLATES) - set(english)):
        problems.append(f"en {needed}: missing (every language falls back to English)")
    measures = []
    for language, templates in sorted(texts.items()):
        for name in sorted(set(templates) & (SMS_TEMPLATES | VOICE_TEMPLATES)):
            for first_name in (LONG_NAME, ""):
                try:
                    text = _rendered(texts, name, language, practice, callback, first_name)
                except ConfigError:
                    problems.append(f"{language} {name}: no variant fits one SMS segment / the "
                                    f"call length with practice {practice!r} (MSG-1)")
                    break
                if first_name:
                    measures.append(_measure(language, name, text))
    return measures, problems


def check_templates(practice: str, callback: str, texts: Texts | None = None) -> None:
    """At start-up: the texts in use pass every check, or the start stops naming them."""
    _, problems = check(TEMPLATES if texts is None else texts, practice, callback)
    if problems:
        raise ConfigError("patient texts: " + "; ".join(problems[:5])
                          + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))


def _variant_problems(name: str, variants: tuple[str, ...], forbidden: frozenset[str]
                      ) -> list[str]:
    problems = []
    for number, variant in enumerate(variants, 1):
        where = f"variant {number}"
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(variant) if f is not None}
        except ValueError:
            problems.append(f"{where}: a lone {{ or }}")
            continue
        if unknown := sorted(fields - PLACEHOLDERS):
            problems.append(f"{where}: unknown placeholder {{{unknown[0]}}}")
        if "practice" not in fields and name not in ("call_thanks",):
            problems.append(f"{where}: does not name the practice {{practice}} (MSG-1)")
        if name in SMS_TEMPLATES - {"opt_out_confirmation"} and "STOP" not in variant:
            problems.append(f'{where}: does not say "Reply STOP" (MSG-1)')
        if name == "opt_out_confirmation" and "START" not in variant:
            problems.append(f"{where}: does not say how to opt back in (START, MSG-2)")
        if name == "voice_call" and not all(k in variant for k in ("1", "2", "9")):
            problems.append(f"{where}: does not announce the keys 1, 2 and 9")
        if name in SMS_TEMPLATES and encoding(variant.replace("{", "").replace("}", "")) \
                != "GSM-7":
            odd = next(c for c in variant if encoding(c) != "GSM-7")
            problems.append(f"{where}: {odd!r} is outside the GSM alphabet: the text would be "
                            "Unicode (70 characters a segment)")
        if hit := sorted(_pairs(variant) & forbidden):
            problems.append(f"{where}: {hit[0]!r} is clinical detail a text must not carry "
                            "(MSG-4)")
    return problems


def _pairs(text: str) -> set[str]:
    """Every word and every two words in a row ("heart failure"), folded."""
    words = re.findall(r"[a-z]+", _fold(text))
    return {f"{a} {b}" for a, b in itertools.pairwise(words)} | set(words)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _rendered(texts: Texts, name: str, language: str, practice: str, callback: str,
              first_name: str) -> str:
    return render(name, language, {"practice": practice, "callback": callback,
                                   "name": first_name,
                                   "visit_due": short_date(date(2026, 12, 31), language)}, texts)


def _measure(language: str, name: str, text: str) -> Measure:
    if name in VOICE_TEMPLATES:
        return Measure(language, name, text, "voice", 0, len(text.split()))
    return Measure(language, name, text, encoding(text), segments(text), len(text))

