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
class Readings:
    """What a sent reading must be for a nurse to hear of it (§5)."""

    sugar: frozenset[str]
    sugar_low: int
    sugar_high: int
    meter: frozenset[str]
    temperature: frozenset[str]
    fever_f: float
    fever_c: float
    oxygen: frozenset[str]
    oxygen_low: int
    pulse: frozenset[str]
    pulse_high: int
    pulse_low: int
    inr: frozenset[str]
    inr_high: int
    potassium: frozenset[str]
    potassium_high: int
    pressure: frozenset[str]
    diastolic: frozenset[str]
    systolic_high: int
    diastolic_high: int
    systolic_low: int
    weight: frozenset[str]
    weight_change: int


@dataclass(frozen=True)
class ReplyWords:
    revoke_anywhere: frozenset[str]
    revoke_alone: frozenset[str]
    revoke_alone_first: frozenset[str]
    revoke_phrases: tuple[tuple[str, ...], ...]
    revoke_whole: frozenset[str]
    revoke_wants: frozenset[str]
    revoke_with_message: frozenset[str]
    message_words: frozenset[str]
    message_nouns: frozenset[str]
    keep_negations: frozenset[str]
    keep_bridge: frozenset[str]
    other_sense: tuple[tuple[str, ...], ...]
    keep_questions: frozenset[str]
    unable: frozenset[str]
    other_objects: frozenset[str]
    question_openers: frozenset[str]
    pronouns: frozenset[str]
    reported: frozenset[str]
    noun_before: frozenset[str]
    skip: frozenset[str]
    symptoms: frozenset[str]
    urgent_words: frozenset[str]
    urgent_alone: frozenset[str]
    urgent_phrases: tuple[tuple[str, ...], ...]
    also_revoking: tuple[tuple[str, ...], ...]
    urgent_when_negated: frozenset[str]
    negated_by: frozenset[str]
    resolved: frozenset[str]
    doubting: frozenset[str]
    never_resolved: frozenset[str]
    urgent_together: tuple[tuple[str, ...], ...]
    fillers: frozenset[str]
    unless_followed_by: dict[str, frozenset[str]]
    unless_after: dict[str, frozenset[str]]
    readings: Readings
    opt_in: frozenset[str]
    yes: frozenset[str]
    help: frozenset[str]
    help_thanked: frozenset[str]
    well: frozenset[str]
    plain: frozenset[str]
    opt_in_phrases: tuple[tuple[str, ...], ...]
    polite: frozenset[str]
    negations: frozenset[str]
    negation_bridge: frozenset[str]
    questions: frozenset[str]
    scripts: dict[str, str]  # words of scripts that fold to nothing, as the words they mean


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
        revoke_alone_first=_words(revoke, "alone_first"),
        revoke_phrases=_phrases(revoke, "phrases"),
        revoke_whole=frozenset(" ".join(p) for p in _phrases(revoke, "whole_reply")),
        revoke_wants=_words(revoke, "wants"),
        revoke_with_message=_words(revoke, "with_message_word"),
        message_words=_words(revoke["messages"], "words"),
        message_nouns=_words(revoke["messages"], "nouns"),
        keep_negations=_words(keep, "negations"), keep_bridge=_words(keep, "bridge"),
        other_sense=_phrases(keep, "other_sense"),
        keep_questions=_words(keep, "questions"), unable=_words(keep, "unable"),
        other_objects=_words(keep, "objects"), noun_before=_words(keep, "noun_before"),
        question_openers=_words(keep, "question_openers"), pronouns=_words(keep, "pronouns"),
        reported=_words(keep, "reported"),
        skip=_words(keep, "skip"), symptoms=_words(keep, "symptoms"),
        urgent_words=_words(urgent, "words"), urgent_alone=_words(urgent, "alone"),
        urgent_phrases=_phrases(urgent, "phrases"),
        also_revoking=_phrases(urgent, "also_revoking"),
        urgent_when_negated=_words(urgent, "when_negated"),
        negated_by=_words(urgent, "negated_by"), resolved=_words(urgent, "resolved"),
        doubting=_words(urgent, "doubting"), never_resolved=_words(urgent, "never_resolved"),
        urgent_together=_phrases(urgent, "together"), fillers=_words(urgent, "fillers"),
        unless_followed_by=_word_map(urgent, "unless_followed_by"),
        unless_after=_word_map(urgent, "unless_after"), readings=_readings(urgent),
        opt_in=_words(keywords, "opt_in"), yes=_words(keywords, "yes"),
        help=_words(keywords, "help"), help_thanked=_words(keywords, "help_thanked"),
        well=_words(data["well"], "words"), plain=_words(data["well"], "plain"),
        opt_in_phrases=_phrases(keywords, "opt_in_phrases"),
        polite=_words(reading, "polite"), negations=_words(reading, "negations"),
        negation_bridge=_words(reading, "negation_bridge"),
        questions=_words(reading, "questions"), scripts=_scripts(data))


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


def _scripts(data: dict[str, Any]) -> dict[str, str]:
    scripts = data.get("scripts")
    table = scripts.get("words") if isinstance(scripts, dict) else None
    if not isinstance(table, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and not k.isascii() and v.isascii()
            for k, v in table.items()):
        raise ConfigError("reply_words.toml: scripts.words must map words of other scripts "
                          "to English words")
    return dict(sorted(table.items(), key=lambda kv: -len(kv[0])))  # the longest first


def _word_map(table: dict[str, Any], name: str) -> dict[str, frozenset[str]]:
    mapping = table.get(name)
    if not isinstance(mapping, dict):
        raise ConfigError(f"reply_words.toml: {name} must be a table of word lists")
    return {word: _words(mapping, word) for word in mapping}


def _readings(urgent: dict[str, Any]) -> Readings:
    table = urgent.get("readings")
    if not isinstance(table, dict):
        raise ConfigError("reply_words.toml: urgent.readings must be a table")
    numbers: dict[str, Any] = {}
    for name in ("sugar_low", "sugar_high", "systolic_high", "diastolic_high", "systolic_low",
                 "fever_f", "fever_c", "oxygen_low", "pulse_high", "pulse_low", "inr_high",
                 "potassium_high", "weight_change"):
        value = table.get(name)
        decimal = name in ("fever_f", "fever_c")  # 100.4 F, 38.0 C
        if not isinstance(value, (int, float) if decimal else int) or isinstance(value, bool) \
                or value <= 0:
            raise ConfigError(f"reply_words.toml: urgent.readings.{name} must be a positive "
                              + ("number" if decimal else "whole number"))
        numbers[name] = value
    return Readings(sugar=_words(table, "sugar"), pressure=_words(table, "pressure"),
                    diastolic=_words(table, "diastolic"),
                    meter=_words(table, "meter"), temperature=_words(table, "temperature"),
                    oxygen=_words(table, "oxygen"), pulse=_words(table, "pulse"),
                    inr=_words(table, "inr"), potassium=_words(table, "potassium"),
                    weight=_words(table, "weight"), **numbers)


def _phrases(table: dict[str, Any], name: str) -> tuple[tuple[str, ...], ...]:
    phrases = tuple(tuple(v.split()) for v in _entries(table, name))
    bad = [" ".join(p) for p in phrases if not p or not all(WORD.match(w) for w in p)]
    if bad:
        raise ConfigError(f"reply_words.toml: {name} has entries that are not folded words: "
                          f"{bad}")
    return phrases


WORDS = load()
