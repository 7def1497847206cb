"""The reviewed reply word lists (MSG-2, §5): read from their data file, checked at load."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from hub.domain.phone.replies import classify_reply
from hub.domain.phone.reply_words import WORDS, load
from hub.errors import ConfigError

DATA = resources.files("hub.domain").joinpath("reply_words.toml").read_text("utf-8")


def test_each_list_names_the_rules_it_implements() -> None:
    """MSG-2 / §5: the revocation, urgent, keyword and well lists carry their rule ids."""
    data = tomllib.loads(DATA)
    assert "MSG-2" in data["revoke"]["rules"] and "§5" in data["urgent"]["rules"]
    assert "MSG-6" in data["keywords"]["rules"] and "§5" in data["well"]["rules"]
    assert set(data["review"]["languages"]) >= {"en", "es"}


@pytest.mark.parametrize("word", sorted(WORDS.revoke_anywhere))
def test_every_anywhere_word_revokes_alone_and_inside_a_sentence(word: str) -> None:
    """MSG-2: each listed word revokes on its own and after other words."""
    assert classify_reply(word).intent == "opt_out"
    assert classify_reply(f"ok thanks. {word}").intent == "opt_out"


@pytest.mark.parametrize("phrase", sorted(" ".join(p) for p in WORDS.revoke_phrases))
def test_every_phrase_revokes_inside_a_longer_reply(phrase: str) -> None:
    """MSG-2: each listed phrase revokes with other words around it."""
    assert classify_reply(f"Hello. {phrase} please").intent == "opt_out"


@pytest.mark.parametrize("phrase", sorted(" ".join(p) for p in WORDS.other_sense))
def test_each_phrase_of_another_sense_keeps_a_revocation_word_from_revoking(phrase: str) -> None:
    """MSG-2: each listed phrase holds a revocation word (else it would keep nothing) and, in
    a reply, keeps it from revoking; with the messages named after it, it revokes again."""
    assert set(phrase.split()) & (WORDS.revoke_anywhere | WORDS.revoke_alone)
    assert classify_reply(f"all is well {phrase} thanks").intent != "opt_out"
    assert classify_reply(f"{phrase} these texts").intent == "opt_out"


def test_the_lists_are_disjoint_where_they_would_contradict() -> None:
    """MSG-2 / §5: no word is both a revocation and a 'doing well' answer or an opt-in."""
    assert not (WORDS.revoke_anywhere | WORDS.revoke_alone) & (WORDS.well | WORDS.opt_in)


@pytest.mark.parametrize("edit, named", [
    ('anywhere = [\n  "stop",', 'anywhere = [\n  "Stop!",'),
    ('alone = ["alto",', 'alone = [3, "alto",'),
    ('phrases = [\n  "help me",', 'phrases = [\n  "help  me!",'),
])
def test_a_bad_entry_stops_the_load_naming_the_list(edit: str, named: str) -> None:
    """MSG-2: an entry not written as a folded word is refused, with the list named."""
    assert edit in DATA
    with pytest.raises(ConfigError) as caught:
        load(DATA.replace(edit, named, 1))
    assert any(name in str(caught.value) for name in ("anywhere", "alone", "phrases"))


def test_a_broken_file_is_a_config_error() -> None:
    """MSG-2: a syntax error in the file is a ConfigError, not a traceback."""
    with pytest.raises(ConfigError, match=r"reply_words\.toml"):
        load("[revoke\n")


@pytest.mark.parametrize("word, meaning", sorted(WORDS.scripts.items()))
def test_a_word_of_another_script_reads_as_what_it_means(word: str, meaning: str) -> None:
    """MSG-2 / §5: "退订" (how a Chinese-speaking patient unsubscribes) revokes as
    "unsubscribe" does; a sign or a call asked for in Chinese is as urgent as in English."""
    assert classify_reply(word) == classify_reply(meaning)
    assert classify_reply(f"{word}!").intent == classify_reply(f"{meaning}!").intent


@pytest.mark.parametrize("edit, broken", [
    ('"退订" = "unsubscribe"', '"tuiding" = "unsubscribe"'),  # folds to itself: a mistake
    ('"退订" = "unsubscribe"', '"退订" = 3'),
])
def test_a_scripts_table_that_is_not_words_of_other_scripts_is_refused(edit: str,
                                                                      broken: str) -> None:
    """MSG-2: the scripts table maps words ASCII folding would drop to English words; anything
    else there is a mistake, named, never a traceback."""
    assert edit in DATA
    with pytest.raises(ConfigError, match=r"scripts\.words"):
        load(DATA.replace(edit, broken, 1))


@pytest.mark.parametrize("word", sorted(WORDS.urgent_alone))
def test_a_word_urgent_alone_is_urgent_alone_and_never_an_opt_in(word: str) -> None:
    """§5: "call", "hurry", "yup" as the whole reply ask for a person; MSG-6: from an opted-out
    phone none of them opts back in (Twilio lifts its block for its own keywords only)."""
    assert classify_reply(word).intent == "urgent"
    assert classify_reply(f"{word} pls!").intent == "urgent"
    assert classify_reply(word, opted_out=True).intent != "opt_in"


def test_a_scripts_entry_that_is_no_table_is_refused() -> None:
    """MSG-2: ``scripts = "..."`` instead of the table: named, never a traceback."""
    without = DATA[:DATA.index("[scripts]")]
    with pytest.raises(ConfigError, match=r"scripts\.words"):
        load('scripts = "words"\n' + without)
