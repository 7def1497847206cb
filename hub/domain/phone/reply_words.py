"""The reviewed word lists of reply classification (``reply_words.toml``, beside this module),
read once and checked: every entry must be written the way ``replies.normalize`` reads a reply
(lowercase ASCII letters and digits), or the hub refuses to start with the list named."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from hub.errors import ConfigError

WORD = re.compile(r"^[a-z0-9]+$")


@dataclass(frozen=True)
class ReplyWords:
    revoke_anywhere: frozenset[str]
    revoke_alone: frozenset[str]
    revoke_phrases: tuple[tuple[str, ...], ...]
    revoke_whole: frozenset[str]
    revoke_wants: frozenset[str]
    revoke_with_message: frozenset[str]
    message_words: frozenset[str]
    message_nouns: frozenset[str]
    keep_negations: frozenset[str]
    keep_bridge: frozenset[str]
    keep_questions: frozenset[str]
    unable: frozenset[str]
    other_objects: frozenset[str]
    noun_before: frozenset[str]
    skip: frozenset[str]
    symptoms: frozenset[str]
    urgent_words: frozenset[str]
    urgent_phrases: tuple[tuple[str, ...], ...]
    opt_in: frozenset[str]
    yes: frozenset[str]
    help: frozenset[str]
    well: frozenset[str]
    polite: frozenset[str]
    negations: frozenset[str]
    negation_bridge: frozenset[str]
    questions: frozenset[str]
    caveats: frozenset[str]


def load(text: str | None = None) -> ReplyWords:
    """The lists from ``text`` (TOML), by default the packaged ``reply_words.toml``."""
    if text is None:
        text = resources.files("hub.domain").joinpath("reply_words.toml").read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"reply_words.toml: {exc}") from exc
    revoke, keep = data["revoke"], data["revoke"]["not_about_messages"]
    urgent, keywords, reading = data["urgent"], data["keywords"], data["reading"]
    return ReplyWords(
        revoke_anywhere=_words(revoke, "anywhere"), revoke_alone=_words(revoke, "alone"),
        revoke_phrases=_phrases(revoke, "phrases"),
        revoke_whole=frozenset(" ".join(p) for p in _phrases(revoke, "whole_reply")),
        revoke_wants=_words(revoke, "wants"),
        revoke_with_message=_words(revoke, "with_message_word"),
        message_words=_words(revoke["messages"], "words"),
        message_nouns=_words(revoke["messages"], "nouns"),
        keep_negations=_words(keep, "negations"), keep_bridge=_words(keep, "bridge"),
        keep_questions=_words(keep, "questions"), unable=_words(keep, "unable"),
        other_objects=_words(keep, "objects"), noun_before=_words(keep, "noun_before"),
        skip=_words(keep, "skip"), symptoms=_words(keep, "symptoms"),
        urgent_words=_words(urgent, "words"), urgent_phrases=_phrases(urgent, "phrases"),
        opt_in=_words(keywords, "opt_in"), yes=_words(keywords, "yes"),
        help=_words(keywords, "help"), well=_words(data["well"], "words"),
        polite=_words(reading, "polite"), negations=_words(reading, "negations"),
        negation_bridge=_words(reading, "negation_bridge"),
        questions=_words(reading, "questions"), caveats=_words(reading, "caveats"))


def _entries(table: dict[str, Any], name: str) -> list[str]:
    values = table.get(name)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"reply_words.toml: {name} must be a list of strings")
    return values


def _words(table: dict[str, Any], name: str) -> frozenset[str]:
    values = _entries(table, name)
    bad = [v for v in values if not WORD.match(v)]
    if bad:
        raise ConfigError(f"reply_words.toml: {name} has entries that are not one folded word: "
                          f"{bad}")
    return frozenset(values)


def _phrases(table: dict[str, Any], name: str) -> tuple[tuple[str, ...], ...]:
    phrases = tuple(tuple(v.split()) for v in _entries(table, name))
    bad = [" ".join(p) for p in phrases if not p or not all(WORD.match(w) for w in p)]
    if bad:
        raise ConfigError(f"reply_words.toml: {name} has entries that are not folded words: "
                          f"{bad}")
    return phrases


WORDS = load()
