"""What a patient's reply means (tcm-rules §5, MSG-2, MSG-6), in English and Spanish. The words
are in ``reply_words.toml`` (reviewed, with the rule ids); this module is how they are read.

Two rules shape the choices. Consent (MSG-2): a revocation word or phrase revokes wherever it
stands in the reply ("Please stop. I am good.", "ok thanks but stop sending these"); only a
negation ("don't stop") or a word that is plainly about something else ("quit smoking",
"cancel my appointment", "I can't stop coughing") keeps it from revoking, and the one
confirmation text then asks for clarification. Safety (§5): a reply that may be a cry for help
is urgent even among other words (also when it revokes: both), something the patient "can't
stop" is a symptom, and when in doubt a reply goes to a person ("unclassified") rather than
being filed as "doing well", which is only logged.

YES: Twilio reads YES as an opt-in keyword, and §5 reads it as "yes, call me". An opted-out phone
saying YES opts back in; otherwise YES (alone) is urgent. The caller says which (``opted_out``).

Intent and matched reason only: this module never logs, and the reason names a keyword, not text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from typing import Literal

from hub.domain.phone.reply_words import WORDS as W

_STRETCHED = re.compile(r"([a-z])\1{2,}")
_QUOTED = re.compile(r"[\"\u201c\u201d]|'\w+'")  # sure, I'm 'fine'
_NUMBER = re.compile(r"^(\d{1,3})(?:d(\d{1,2}))?(?:s|f|c|mg|bpm|kg|lbs?)?$")  # "80s", "103f",
# "100d6", "320mg"
# a decimal point or comma inside a number is kept in the word ("100.6" -> "100d6"), so it
# neither ends a clause nor leaves its fraction behind as a lone "6" (or a "1", the menu's 1)
_DECIMAL = re.compile(r"(?<=\d)[.,](?=\d{1,2}(?!\d))")
_ONE = frozenset({"1", "one", "uno", "11", "111"})  # "11": the menu's 1, typed twice
_SUBJECT_BRIDGE = frozenset({"finally", "has", "have", "just", "already", "kind", "of", "mostly",
                             "will", "would", "le", "les", "me", "is", "going", "to", "gonna",
                             "wants", "all", "may"})
_ACHES = frozenset({"headache", "ache", "aches", "cough", "nausea", "itch", "itching"})
_NO_WHAT = frozenset({"problems", "problem", "issues", "issue", "complaints", "concerns",
                      "quejas", "problemas"})
_PREPOSITIONS = frozenset({"by", "at", "in", "on", "over", "up", "of", "for", "to", "with",
                           "when", "until", "soon"})
# a few words after a stop word, only these say it stops something else ("cancel my thursday
# appointment"); places and plans do not ("STOP I'm at work")
_PLANS = frozenset({"job", "class", "plan", "plans", "trip", "ride"})
_THINGS = W.other_objects - _PREPOSITIONS - _PLANS - {"work", "home", "sign"}
_GAIN = frozenset({"up", "gained", "gain", "put", "subi", "aumente", "gane", "aumento"})
_POUNDS = frozenset({"lbs", "lb", "pounds", "pound", "libras", "libra"})
_KILOS = frozenset({"kilos", "kilo", "kg", "kgs"})
_LB_PER_KG = 2.2
_WANT_REACH = 8  # words between "don't want" and the messages it refuses
_CLOCK = re.compile(r"^\d{1,2}(?:am|pm|h)$")  # "cancel the 9am": an appointment's time
_NOT_OBJECTS = frozenset({"asap", "sos", "hlp", "emoji", "sarcasm", "1"})
_FILLERS = frozenset({"right", "now", "lol", "twice", "again", "already", "yet", "dammit",
                      "damn", "forever", "anymore", "seriously", "asap"})
_METER_VERBS = frozenset({"reading", "reads", "read", "is", "says", "was", "shows", "at", "dice"})
_TERSE = frozenset({"sat", "hr"})  # readings only with the number right after them
_REACH = 6  # words a negation reaches back over (the bridge words between)
_TROUBLE = frozenset({"trouble", "problems", "problem"})
_EMOJI_WORDS = {"\U0001F691": "emojiambulance", "\U0001F198": "emojisos",
                "\U0001F92E": "emojivomit", "\U0001FA78": "emojiblood",
                "\U0001F912": "emojifever", "\U0001F635": "emojidizzy", "\U0001F644": "sarcasm",
                "\U0001F6D1": "stop"}
_EMOJI_URGENT = frozenset(  # urgent, never an object ("stop" is a word of its own)
    w for w in _EMOJI_WORDS.values() if w.startswith("emoji"))
_FRIENDLY = frozenset("\U0001F44D\U0001F44C\U0001F642\U0001F60A\U0001F600\U0001F601"
                      "\U0001F603\U0001F604\u2764\u2665\U0001F64F\U0001F4AF\u2705"
                      "\U0001F970\U0001F60D\u263A\U0001F917")
Intent = Literal["opt_out", "opt_in", "help_keyword", "urgent", "doing_well", "unclassified"]
OPT_OUT_WORDS = W.revoke_anywhere | W.revoke_alone
_KNOWN = frozenset().union(
    OPT_OUT_WORDS, W.urgent_words, W.well, W.help, W.yes, W.opt_in, W.message_words,
    W.symptoms, W.urgent_when_negated, W.negation_bridge, *W.urgent_phrases,
    *W.also_revoking, *W.urgent_together, *W.revoke_phrases)

# the unions the reading asks of every word, made once
_MESSAGE = W.message_words | W.message_nouns
_POLITE_MESSAGE, _POLITE_NOUNS = W.polite | W.message_words, W.polite | W.message_nouns
_POLITE_YES, _POLITE_WELL = W.polite | W.yes, W.polite | W.well
_PLAIN = W.well | W.plain | W.polite
_URGENT_OR_NO_WHAT = W.urgent_words | _NO_WHAT
_NEGATION_WALK = W.negation_bridge | W.urgent_words
_OBJECT_FIRST = W.symptoms | W.urgent_words | W.other_objects
# after a phrase, a plan is a thing too: "I no longer need the 2pm ride"
_THINGS_OR_SIGNS = _THINGS | _PLANS | W.symptoms | W.urgent_words | _ACHES
_STOP_SUBJECTS = W.symptoms | W.urgent_words | _ACHES
_NAMES_NOTHING = W.question_openers | W.pronouns | W.polite | W.skip | OPT_OUT_WORDS | \
    W.keep_bridge | W.reported | _FILLERS


@dataclass(frozen=True)
class ReplyIntent:
    intent: Intent
    reason: str  # the keyword or rule that matched, for the care team
    also_opt_out: bool = False  # urgent words *and* opt-out wording: escalate and opt out


def normalize(text: str) -> list[list[str]]:
    """Clauses of lowercase ASCII words: accents folded, apostrophes dropped ("don't" ->
    "dont"), punctuation splitting clauses so "no, I fell" is not a negated fall (a bracket too:
    "1 (I'm her son)"), a letter typed three times or more read as the word it stretches
    ("dizzzy", "stoooop")."""
    folded = unicodedata.normalize("NFKD", _emoji_words(_other_scripts(text))).encode(
        "ascii", "ignore").decode().lower()
    folded = re.sub(r"#(?!\d)", " number ", re.sub(r"['\u2019`]", "", folded))  # "wrong #"
    clauses = re.split(r"[.,;:!?()\n]+", _RUN_IN.sub(r"\1 ", _DECIMAL.sub("d", folded)))
    return [[_unstretched(w) for w in words] for c in clauses
            if (words := re.sub(r"[^a-z0-9]+", " ", c).split())]


# letters that are no accented Latin letter, so folding to ASCII would drop them: "Đừng" is
# "dung" (Vietnamese), not "ung"
_LETTERS = str.maketrans({"\u0111": "d", "\u0110": "D", "\u0142": "l", "\u0141": "L",
                          "\u00f8": "o", "\u00d8": "O", "\u00df": "ss"})


def _other_scripts(text: str) -> str:
    """Words of scripts that fold to nothing (Chinese) read as the English words they mean
    ("退订", the usual reply to unsubscribe there, is "unsubscribe"), and letters folding would
    drop written as the letters they are."""
    if text.isascii():
        return text
    for word, meaning in W.scripts.items():
        if word in text:
            text = text.replace(word, f" {meaning} ")
    return text.translate(_LETTERS)


def _emoji_words(text: str) -> str:
    """Emoji are read, not dropped: a few say a word ("🚑", "🆘", "🤮"), the friendly ones
    ("👍", "🙂") nothing, and any other one is the word "emoji", so "fine 😭" is not filed as
    doing well."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch in _EMOJI_WORDS:
            out.append(f" {_EMOJI_WORDS[ch]} ")
        elif ch in "\ufe0f\u200d\u200b\u2060" or 0x1F3FB <= ord(ch) <= 0x1F3FF:
            continue  # joiners and skin tones: "ST\u200dOP" is STOP
        elif ch in _FRIENDLY:
            out.append(" ")
        elif unicodedata.category(ch) == "So":
            out.append(" emoji ")
        else:
            out.append(ch)
    return "".join(out)


def _unstretched(word: str) -> str:
    if word.endswith("in") and word not in _KNOWN and word + "g" in _KNOWN:
        return word + "g"  # "wakin", "throwin", "racin"
    if not _STRETCHED.search(word):
        return word
    double = _STRETCHED.sub(r"\1\1", word)
    single = _STRETCHED.sub(r"\1", word)
    return single if single in _KNOWN and double not in _KNOWN else double


def classify_reply(text: str, opt_out_type: str | None = None, *, opted_out: bool = False
                   ) -> ReplyIntent:
    """The intent of an inbound SMS. ``opt_out_type`` is Twilio's ``OptOutType`` (MSG-6);
    ``opted_out`` says whether the phone is opted out now (YES means START then)."""
    kind = (opt_out_type or "").strip().upper()
    if kind == "STOP":  # Twilio already blocks the number; a cry for help is still escalated
        urgent = _urgent(normalize(text))
        return ReplyIntent("urgent", urgent, also_opt_out=True) if urgent else \
            ReplyIntent("opt_out", "OptOutType=STOP")
    if kind == "HELP":
        return ReplyIntent("help_keyword", "OptOutType=HELP")
    if kind == "START":
        # Twilio flags YES as START even for a subscribed phone: then it is §5's "yes, call me"
        intent = _classify(text, opted_out)
        if opted_out or intent.intent == "unclassified":
            return ReplyIntent("opt_in", "OptOutType=START")
        return intent
    return _classify(text, opted_out)


def _classify(text: str, opted_out: bool) -> ReplyIntent:
    clauses = normalize(text)
    words = [w for clause in clauses for w in clause]
    if not words:
        return ReplyIntent("unclassified", "no words")
    keyword = _keyword(words)
    if opted_out and keyword in W.opt_in | W.yes:
        return ReplyIntent("opt_in", f"keyword {keyword}")
    urgent = _urgent(clauses) or _asks_in_words_alone(words)
    opting_out = _opt_out(clauses, words)
    if opted_out and not urgent and not opting_out and _phrase(clauses, _ASKS_BACK):
        # "start again please": a person answers and asks for START (the one word that lifts
        # Twilio's block too); never an opt-in by words that may say the opposite
        return ReplyIntent("unclassified", "asks for the texts back: reply START")
    if opting_out:
        asks = _asks_for_help(clauses)  # "STOP. HELP": a person calls
        if urgent or asks:
            return ReplyIntent("urgent", urgent or asks or "", also_opt_out=True)
        return ReplyIntent("opt_out", opting_out)
    if keyword in W.opt_in:
        return ReplyIntent("opt_in", f"keyword {keyword}")
    if keyword in W.yes:
        return ReplyIntent("urgent", f"keyword {keyword}")  # §5: "yes" asks for a call
    if keyword in W.help:
        return ReplyIntent("help_keyword", f"keyword {keyword}")  # MSG-2: program info
    if urgent:
        return ReplyIntent("urgent", urgent)
    return _doing_well(clauses, words, text)


def _keyword(words: list[str]) -> str | None:
    """The reply is one keyword, give or take politeness ("STOP please", "Yes!", "HELP")."""
    rest = {w for w in words if w not in W.polite} or set(words)
    return rest.pop() if len(rest) == 1 else None


def _opt_out(clauses: list[list[str]], words: list[str]) -> str | None:
    """MSG-2: the revocation word or phrase found, or None."""
    rest = {w for w in words if w not in _POLITE_MESSAGE}
    in_danger = [_covered(clause, _URGENT_PHRASES) for clause in clauses]  # "end it all"
    if len(rest) == 1 and not any(in_danger) and (word := next(iter(rest))) in OPT_OUT_WORDS and (
            word not in W.revoke_alone
            or not {w for w in words if w not in _POLITE_NOUNS} - {word}):
        return f"keyword {word}"  # "stop", "STOP ALL", "ALTO por favor"; not "gracias para todo"
    plain = " ".join(w for w in words if w not in W.polite)
    for whole in (" ".join(words), plain):
        if whole in W.revoke_whole:
            return f"phrase '{whole}'"
    first = [w for w in clauses[0] if w not in W.polite]
    if len(clauses) > 1 and len(first) == 1 and first[0] in W.revoke_alone_first:
        return f"keyword {first[0]}"  # "Para, me duele el pecho"
    for clause, danger in zip(clauses, in_danger, strict=True):
        skipped = danger | _other_sense(clause)  # "end it all", "all good on this end"
        for i in range(len(clause)):
            if i in skipped:
                continue
            for phrase in _REVOKE_PHRASES.get(clause[i], ()):
                if _phrase_revokes(clause, i, phrase):
                    return f"phrase '{' '.join(phrase)}'"
            if clause[i] in W.revoke_anywhere and not _kept(clause, i) \
                    and not _about_something_else(clause, i):
                return f"word '{clause[i]}'"
        if _wants_no_messages(clause):
            return "words against the messages"
    return None


def _phrase_revokes(clause: list[str], i: int, phrase: tuple[str, ...]) -> bool:
    """A revocation phrase found at ``i`` revokes unless negated ("don't leave me alone"), said
    of what cannot be made to ("the pain won't leave me alone"), a Spanish "no" before a "stop
    doing" ("no dejen de mandarme": do not stop sending), or followed by a thing or a sign
    ("take me off the waiting list")."""
    return tuple(clause[i:i + len(phrase)]) == phrase and not _kept(clause, i) \
        and not (i and clause[i - 1] in W.unable) \
        and not (phrase[0] in W.revoke_with_message and _no_before(clause, i)) \
        and not _object_after(clause, i + len(phrase) - 1, things_only=True)


def _no_before(clause: list[str], i: int) -> bool:
    """A Spanish "no" / "nunca" right before the word: "no dejen de mandarme"."""
    return clause[i - 1:i] in (["no"], ["nunca"])


def _other_sense(clause: list[str]) -> set[int]:
    """The positions inside a phrase in which a revocation word means something else ("all
    good on this end", "basta con una pastilla"), unless the messages are named after it
    ("basta con los mensajes")."""
    covered: set[int] = set()
    for i in range(len(clause)):
        for phrase in _OTHER_SENSE.get(clause[i], ()):
            end = i + len(phrase)
            if tuple(clause[i:end]) == phrase and W.message_nouns.isdisjoint(clause[end:]):
                covered.update(range(i, end))
    return covered


def _index(phrases: tuple[tuple[str, ...], ...]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """The phrases by their first word, built once: a long reply is read in time linear in its
    words, not in words times phrases."""
    grouped: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        grouped.setdefault(phrase[0], []).append(phrase)
    return {first: tuple(found) for first, found in grouped.items()}


Index = dict[str, tuple[tuple[str, ...], ...]]
_URGENT_PHRASES, _ALSO_REVOKING = _index(W.urgent_phrases), _index(W.also_revoking)
_REVOKE_PHRASES, _ASKS_BACK = _index(W.revoke_phrases), _index(W.opt_in_phrases)
_OTHER_SENSE = _index(W.other_sense)
_READING_WORDS = frozenset().union(W.readings.sugar, W.readings.pressure, W.readings.diastolic,
                                   W.readings.temperature, W.readings.oxygen, W.readings.pulse,
                                   W.readings.inr, W.readings.potassium)
# a reading word run into its number: "bp183/97", "hr128" (longest first: "sats" before "sat")
_RUN_IN = re.compile(r"\b(" + "|".join(sorted(_READING_WORDS, key=len, reverse=True))
                     + r")(?=\d)")


def _covered(clause: list[str], phrases: Index) -> set[int]:
    """The positions of the clause inside one of the phrases."""
    covered: set[int] = set()
    for i in range(len(clause)):
        for phrase in phrases.get(clause[i], ()):
            if tuple(clause[i:i + len(phrase)]) == phrase and not any(
                    w in _MESSAGE for w in clause[i + len(phrase):i + len(phrase) + 1]):
                covered.update(range(i, i + len(phrase)))  # not "make it stop sending"
    return covered


def _asks_in_words_alone(words: list[str]) -> str | None:
    """"call", "hurry", "yes. call. now.": a reply of nothing but words that ask for a person
    (give or take politeness) is the menu's 1 in words; "yes" alone is read with the keywords."""
    rest = {w for w in words if w not in W.polite}
    if rest & W.urgent_alone and rest <= W.urgent_alone | W.yes | _ONE:
        return f"keyword {sorted(rest & W.urgent_alone)[0]}"
    return None


def _asks_for_help(clauses: list[list[str]]) -> str | None:
    """A help word that asks ("Stop. Help"), not one that thanks ("thanks for your help")."""
    for clause in clauses:
        for i, word in enumerate(clause):
            if word in W.help and (i == 0 or clause[i - 1] not in W.help_thanked):
                return f"word '{word}'"
    return None


def _kept(clause: list[str], index: int) -> bool:
    """A negation before the word ("don't stop", "please do not cancel"), unless the clause
    asks why ("why don't you stop")."""
    for j in range(index - 1, max(-1, index - 1 - _REACH), -1):
        word = clause[j]
        if word in W.keep_negations:
            return not any(w in W.keep_questions for w in clause[:j])
        if word not in W.keep_bridge:
            return False
    return False


def _about_something_else(clause: list[str], index: int) -> bool:
    """The word stops something that is not the hub's messages: a message word after it says
    it is about them; a symptom, another object, a noun use or "can't/won't" says it is not."""
    after = [w for w in clause[index + 1:] if w not in W.skip]
    if any(w in W.message_nouns for w in clause[index + 1:]) or \
            (after and after[0] in W.message_words):
        return False
    if after and after[0].endswith("ing"):
        return True  # "stop wearing the brace"
    subject = [w for w in clause[max(0, index - 3):index] if w not in _SUBJECT_BRIDGE]
    if subject and (subject[-1] in _THINGS or (  # "my insurance will terminate"
            clause[index] == "quit" and not after and subject[-1] in _STOP_SUBJECTS)):
        return True  # "the pain quit", "my headache finally stopped": the symptom did
    if _object_after(clause, index):
        return True
    if _names_something_else(clause, index):
        return True
    before = clause[index - 1] if index > 0 else None
    return before in W.unable or before in W.noun_before


def _object_after(clause: list[str], index: int, things_only: bool = False) -> bool:
    """The word (or phrase, ending at ``index``) takes an object that is not the messages:
    "cancel my appointment", "take me off the waitlist", "stop the bleeding"."""
    after = [w for w in clause[index + 1:] if w not in W.skip]
    if things_only:  # after a phrase: "take me off the waiting list", "still getting these
        for word in after[:3]:  # headaches"; not "signed up for this", "off your texting list"
            if word in _MESSAGE:
                return False
            if word in _THINGS_OR_SIGNS:
                return True
        return False
    if any(w in W.message_nouns for w in clause[index + 1:]):
        return False
    if after and after[0] in W.message_words:
        return False
    if after and after[0] not in _NOT_OBJECTS and (
            after[0] in _OBJECT_FIRST or _CLOCK.match(after[0])):
        return True  # "stop the bleeding", "cancel my appointment", "stop by"
    # a few words on, only a thing ("cancel my thursday appointment"), never a symptom or a
    # preposition: "STOP I fell" and "Stop I'm at work" revoke
    return any(w in _THINGS for w in after[1:3])


def _names_something_else(clause: list[str], index: int) -> bool:
    """A question about stopping a treatment ("Should I stop my lisinopril?", "When does my
    antibiotic course end?") or someone's instruction reported ("Doctor said stop the
    aspirin"): the clause names something, and nothing in it is about the messages."""
    if any(w in W.message_nouns for w in clause):
        return False
    asked = clause[0] in W.question_openers or (
        any(w in ("which", "cual", "cuales") for w in clause[:index])
        and any(w in _THINGS for w in clause))  # "which pills do I stop"; not "which means stop"
    reported = any(w in W.reported for w in clause[max(0, index - 3):index])
    if not (asked or reported):
        return False
    if reported:  # "Doctor said stop the aspirin", "PT wants to cancel"; not "I said stop"
        return any(w in _THINGS for w in clause)
    return any(w not in _NAMES_NOTHING and not w.isdigit() for w in clause)


def _unable_to_stop(clauses: list[list[str]]) -> str | None:
    """§5: "I can't stop coughing", "the bleeding won't stop", "no puedo parar de toser": what
    a patient cannot stop is a symptom a person should hear about."""
    for clause in clauses:
        for i, word in enumerate(clause):
            if word in OPT_OUT_WORDS and i > 0 and clause[i - 1] in W.unable \
                    and not any(w in W.message_nouns for w in clause):
                return f"cannot '{word}'"
            if word in W.revoke_anywhere and i + 1 < len(clause) \
                    and clause[i + 1] in W.symptoms:
                return f"word '{clause[i + 1]}'"
    return None


def _wants_no_messages(clause: list[str]) -> bool:
    """"I do not want any more messages", "no quiero recibir llamadas", "dejen de mandarme
    mensajes"; not "no dejen de mandarme recordatorios" (do not stop sending them)."""
    return any(((w in W.revoke_wants and _negated(clause, i)) or (
        w in W.revoke_with_message and not _no_before(clause, i)))
        # the messages named after it: not "about calling with a fever, but I don't want to
        # be dramatic"
        and any(m in W.message_nouns for m in clause[i + 1:i + 1 + _WANT_REACH])
        for i, w in enumerate(clause))


def _urgent(clauses: list[list[str]]) -> str | None:
    gain = _stated_gain(clauses)
    if gain is not None:
        if gain[0] >= W.readings.weight_change:
            return "reading 'weight gain'"
        clauses = gain[1]  # a smaller gain, said with its number, is no sign by its words
    phrase = _phrase(clauses, _URGENT_PHRASES) or _phrase(clauses, _ALSO_REVOKING) or \
        _together(clauses)
    if phrase:
        return f"phrase '{phrase}'"
    reading = _reading(clauses) or _weight_change(clauses)
    if reading:
        return reading
    words = sum(len(clause) for clause in clauses)
    for clause in clauses:
        menu = [w for w in clause if w not in _POLITE_YES]
        for i, word in enumerate(clause):
            if word in W.urgent_when_negated and _negated(clause, i, W.negated_by) and \
                    not (i and clause[i - 1] in _TROUBLE):  # "no trouble breathing"
                return f"negated '{word}'"  # "he's not breathing", "no responde"
            if word in _ONE:
                if all(w in _ONE for w in menu) or words <= 3:
                    return "word '1'"  # "1", "option 1", "STOP 1"; not "I take 1 pill a day"
                continue
            if word in W.fillers and len(clause) == 1 and len(clauses) > 1:
                continue  # "er, ok"
            if word in _EMOJI_URGENT:
                return "emoji"
            near = word if word in W.urgent_words else _NEAR.get(word)
            if near and not _negated(clause, i) and not _plainly_else(clause, i) \
                    and not _resolved(clause, i):
                return f"word '{near}'"
            if word in W.well - {"2"} and _negated_well(clause, i):
                return f"negated '{word}'"  # "not good", "no estoy bien"
    return _unable_to_stop(clauses)


def _resolved(clause: list[str], index: int) -> bool:
    """"the pain is much better", "the bleeding stopped": over, by the words after it (before
    any other urgent word); never a sign that is urgent although it passed (a stroke's
    slurred speech that "went back to normal" is a warning: W.never_resolved)."""
    if clause[index] in W.never_resolved:
        return False
    for word in clause[index + 1:]:
        if word in W.resolved:
            return True
        if word in W.urgent_words or word in W.negations or word in W.unable \
                or word in W.doubting:
            return False  # "the pain won't go away", "numb, idk if that's normal": not over
    return False


def _typos(words: frozenset[str]) -> dict[str, str]:
    """One letter left out or two swapped, of the longer urgent words ("bleding", "brethe",
    "swolen"): a patient in trouble types fast. Short words have too many neighbours."""
    near: dict[str, str] = {}
    for word in sorted(words):
        if len(word) < 7 or not word.isalpha():
            continue
        for i in range(len(word)):
            near.setdefault(word[:i] + word[i + 1:], word)
            if i + 1 < len(word):
                near.setdefault(word[:i] + word[i + 1] + word[i] + word[i + 2:], word)
    return {typo: word for typo, word in near.items()
            if typo not in words and typo not in _KNOWN and typo not in _REAL_WORDS
            and len(typo) >= 6}


# words one letter away from an urgent word that are words of their own ("selling" is not
# "swelling", "Sagrado Corazon" not "sangrado")
_REAL_WORDS = frozenset({
    "selling", "welling", "sipped", "downing", "droning", "sagrado", "respira", "confuse",
    "overdoes", "gaping", "pinning", "sinning", "atarme", "decease", "collapse", "hosting",
    "dipping", "ripping", "tripping", "slipper", "chilled", "spitting", "sweeling", "seizing",
    "fainter", "painter", "painted", "stoking", "breadth", "feeling", "pealing", "peeling",
    "dropping", "drooping", "blinding", "bleeping", "beading", "bedding", "wheezed"})
_NEAR = _typos(W.urgent_words)


def _plainly_else(clause: list[str], index: int) -> bool:
    """"blood pressure", "blood sugar", "see you in the fall"."""
    word = clause[index]
    after = clause[index + 1] if index + 1 < len(clause) else None
    before = clause[index - 1] if index > 0 else None
    return after in W.unless_followed_by.get(word, ()) or \
        before in W.unless_after.get(word, ())


def _together(clauses: list[list[str]]) -> str | None:
    """Words of one clause in order, not side by side: "gained 5 pounds in 2 days"."""
    for clause in clauses:
        for words in W.urgent_together:
            at = 0
            for word in words:
                try:
                    at = clause.index(word, at) + 1
                except ValueError:
                    break
            else:
                return " ".join(words)
    return None


def _weight_change(clauses: list[list[str]]) -> str | None:
    """Two weights in one reply, across its clauses, apart by ``weight_change`` pounds or
    more; only when the reply holds exactly two numbers a weight can be, so "I weigh 150 and
    take 2 pills" is no comparison."""
    words = [w for clause in clauses for w in clause]
    if W.readings.weight.isdisjoint(words):
        return None
    kilos = not _KILOS.isdisjoint(words)  # "pesé 80 kilos hoy y 78 el sábado"
    low, high, limit = (30, 280, W.readings.weight_change / _LB_PER_KG) if kilos else (
        70, 600, W.readings.weight_change)
    weights = [v for w in words if (m := _NUMBER.match(w)) and low <= (v := _value(m)) <= high]
    if len(weights) == 2 and limit <= abs(weights[0] - weights[1]) <= 40:
        return "reading 'weight'"
    return None


def _stated_gain(clauses: list[list[str]]) -> tuple[float, list[list[str]]] | None:
    """A gain said with its number ("up 2 lbs", "gained 1.5 pounds", "subí 2 kilos"): the
    pounds, and the clauses without those words (so that "weight up", "up lbs" and the like
    are judged by the number, not by the words)."""
    for n, clause in enumerate(clauses):
        for i, word in enumerate(clause[1:-1], start=1):
            m = _NUMBER.match(word)
            unit = clause[i + 1]
            if m and (unit in _POUNDS or unit in _KILOS) and \
                    not _GAIN.isdisjoint(clause[max(0, i - 3):i]):
                pounds = _value(m) * (_LB_PER_KG if unit in _KILOS else 1)
                rest = [w for k, w in enumerate(clause) if k not in (i - 1, i, i + 1)
                        and w not in _GAIN]
                return pounds, [*clauses[:n], rest, *clauses[n + 1:]]
    return None


def _reading(clauses: list[list[str]]) -> str | None:
    """§5: a reading the patient sends, out of the range a nurse must hear of ("my sugar is
    45", "bp 190/110", "temp is 101.5", "O2 sat 86"); a normal one is not urgent."""
    r = W.readings
    for clause in clauses:
        if _READING_WORDS.isdisjoint(clause):
            continue
        found = [(k, _value(m)) for k, w in enumerate(clause) if (m := _NUMBER.match(w))]
        positions, values = [k for k, _ in found], [v for _, v in found]  # "84", "the 80s"
        for i, word in enumerate(clause):
            if word not in _READING_WORDS or (word in _TERSE and not _read_as_number(clause, i)):
                continue  # "sat 85", "hr 35"; not "sat there 75 minutes", "1 hr 40 min"
            at = bisect_right(positions, i)  # the first two numbers after the word
            numbers = values[at:at + 2]
            first = numbers[0] if numbers else None
            meter = any(  # "sugar HI", "glucose reading HI on the meter"; not "azucar lo mido"
                clause[j:j + 1] and clause[j] in r.meter and (j == i + 1 or clause[i + 1] in
                                                              _METER_VERBS)
                and clause[j + 1:j + 2] in ([], ["on"], ["en"], ["in"], ["again"])
                for j in (i + 1, i + 2))
            if word in r.sugar and (meter or (
                    first is not None and first >= 10 and
                    not r.sugar_low <= first <= r.sugar_high)):
                return f"reading '{word}'"
            if word in r.diastolic and first is not None and 40 <= first <= 250:
                if first >= r.diastolic_high:
                    return f"reading '{word}'"  # "bottom number 124", "dia 122"
                continue
            if word in r.pressure and first is not None and first >= 40:
                bottom = numbers[1] if len(numbers) > 1 else 0
                if first >= r.systolic_high or bottom >= r.diastolic_high or \
                        first < r.systolic_low:
                    return f"reading '{word}'"
            if word in r.temperature and first is not None and (
                    r.fever_f <= first <= 110 or r.fever_c <= first <= 45):
                return f"reading '{word}'"
            if word in r.oxygen and first is not None and 50 <= first < r.oxygen_low:
                return f"reading '{word}'"
            if word in r.pulse and (word != "rate" or clause[i - 1:i] == ["heart"]) and \
                    first is not None and 20 <= first <= 250 and not \
                    r.pulse_low <= first <= r.pulse_high:
                return f"reading '{word}'"
            if word in r.inr and first is not None and r.inr_high <= first <= 20:
                return f"reading '{word}'"
            if word in r.potassium and first is not None and r.potassium_high <= first <= 12:
                return f"reading '{word}'"
    return None


def _value(number: re.Match[str]) -> float:
    """A number as written: "100d6" is 100.6."""
    whole, fraction = number.group(1), number.group(2)
    return int(whole) + (int(fraction) / 10 ** len(fraction) if fraction else 0)


def _read_as_number(clause: list[str], i: int) -> bool:
    """A terse reading word stands before its number and after no number ("hr 35")."""
    after = i + 1 < len(clause) and clause[i + 1][:1].isdigit()
    before = i > 0 and clause[i - 1][:1].isdigit()
    return after and not before


def _phrase(clauses: list[list[str]], phrases: Index) -> str | None:
    for clause in clauses:
        for i in range(len(clause)):
            for phrase in phrases.get(clause[i], ()):
                if tuple(clause[i:i + len(phrase)]) == phrase and not _negated(clause, i) \
                        and not (i and clause[i - 1] in W.unless_after.get(phrase[0], ())):
                    return " ".join(phrase)
    return None


def _negated(clause: list[str], index: int, also: frozenset[str] = frozenset()) -> bool:
    for word in reversed(clause[max(0, index - _REACH):index]):
        if word in W.negations or word in also:
            return True
        if word not in _NEGATION_WALK:
            return False
    return False


def _negated_well(clause: list[str], index: int) -> bool:
    """"not good", "no estoy bien"; but in "no pain feeling good" the "no" is the pain's."""
    for j in range(index - 1, max(0, index - _REACH) - 1, -1):
        if clause[j] in W.negations:
            return True
        if clause[j] in W.urgent_words and _negated(clause, j):
            return False
        if clause[j] not in _NEGATION_WALK:
            return False
    return False


def _plain(n: int, c: list[str], i: int) -> bool:
    """A word a doing-well reply may have besides its "well" (clause ``n``, word ``i``): a
    plain one, a negated symptom ("no pain"), "no" as the answer itself ("No, I'm fine"), "no
    problems"."""
    w = c[i]
    if w in W.urgent_words:  # a symptom only negated, "fine" or not
        return _negated(c, i)
    if w in _PLAIN:
        return True
    if w in W.negations:  # only as the answer, or before what it negates
        nxt = c[i + 1] if i + 1 < len(c) else None
        return (n == 0 and i == 0 and w == "no") or nxt in _URGENT_OR_NO_WHAT or (
            nxt in W.negation_bridge and any(x in W.urgent_words for x in c[i + 2:i + 4]))
    return w in _NO_WHAT and i > 0 and c[i - 1] in ("no", "sin", "any", "without")


def _doing_well(clauses: list[list[str]], words: list[str], text: str) -> ReplyIntent:
    """Only a short answer with a "well" word and nothing besides it but plain words (a
    negated symptom is plain: "no pain") is filed as doing well; anything else goes to a
    person: "fine, wheezy", "ok my throat is closing", "fine I guess", "fine 😭", "I've been
    better", "sure, I'm 'fine'", a question even without its mark ("ok is it normal")."""
    if words in (["two"], ["dos"]):
        return ReplyIntent("doing_well", "word '2'")  # the menu's 2, spelled out
    well = next((w for w in words if w in W.well - {"2"}), "2" if "2" in words else None)
    if well is None:
        return ReplyIntent("unclassified", "no keyword")
    asks = "?" in text or any(next((w for w in c if w not in _POLITE_WELL), "") in W.questions
                              for c in clauses)
    unsaid = any(not _plain(n, c, i) for n, c in enumerate(clauses) for i in range(len(c)))
    if asks or unsaid or len(words) > 8 or "emoji" in words or _QUOTED.search(text) or any(
            _not_said_well(c, i) for c in clauses for i in range(len(c))):
        return ReplyIntent("unclassified", "question or caveat")
    return ReplyIntent("doing_well", f"word '{well}'")


def _not_said_well(c: list[str], i: int) -> bool:
    """"I've been better", "far from fine": plain words that take the "well" back."""
    return (c[i] in W.well and c[i - 1:i] in (["been"], ["be"])) or c[i:i + 2] == ["far", "from"]


# The call script (templates.voice_call) announces these keys; keep them in step.
VOICE_KEYS: dict[str, ReplyIntent] = {
    "1": ReplyIntent("urgent", "key 1: nurse call"),
    "2": ReplyIntent("doing_well", "key 2: doing well"),
    "9": ReplyIntent("opt_out", "key 9: stop calls"),
}


def voice_digits(digits: str) -> ReplyIntent:
    """A ``<Gather>`` result (one key). No key (timeout) or another key: a person decides."""
    key = digits.strip()[:1]
    if not key:
        return ReplyIntent("unclassified", "no key")
    return VOICE_KEYS.get(key, ReplyIntent("unclassified", f"key {key}"))
