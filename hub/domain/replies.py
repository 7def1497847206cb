"""What a patient's reply means (tcm-rules §5, MSG-2, MSG-6), in English and Spanish.

Two rules shape the choices. Consent: revocation by any reasonable wording is honoured (MSG-2).
Safety: a reply that may be a cry for help is urgent even among other words, and when in doubt a
reply goes to a person ("unclassified") rather than being filed as "doing well", which is only
logged. So "stop the pain" is urgent, "no pain" is not, "not good" is urgent, and "fine, but when
is my visit?" is unclassified.

YES: Twilio reads YES as an opt-in keyword, and §5 reads it as "yes, call me". An opted-out phone
saying YES opts back in; otherwise YES (alone) is urgent. The caller says which (``opted_out``).

Intent and matched reason only: this module never logs, and the reason names a keyword, not text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Intent = Literal["opt_out", "opt_in", "help_keyword", "urgent", "doing_well", "unclassified"]

POLITE = frozenset({"please", "pls", "plz", "now", "thanks", "thank", "you", "thx", "ty", "por",
                    "favor", "gracias", "ya", "ok", "okay"})
# What may follow an opt-out keyword and still be an opt-out: "stop it", "STOP ALL", "quit texting"
MESSAGING = frozenset({"all", "it", "this", "that", "me", "these", "them", "the", "texts",
                       "messages", "msgs", "calls", "texting", "messaging", "calling", "sending",
                       "mensajes", "llamadas"})
MESSAGE_NOUNS = frozenset({"texts", "text", "messages", "msgs", "calls", "mensajes", "textos",
                           "llamadas"})
# Single words that revoke consent when they are the whole reply (MSG-2; Twilio's list, MSG-6).
OPT_OUT_WORDS = frozenset({"stop", "stopall", "unsubscribe", "end", "quit", "revoke", "optout",
                           "cancel", "alto", "parar", "para", "pare", "basta", "detener",
                           "cancelar", "baja"})
OPT_OUT_PHRASES = tuple(p.split() for p in (
    "opt out", "opt me out", "unsubscribe", "stop texting", "stop messaging", "stop sending",
    "stop calling", "stop contacting", "dont text", "do not text", "dont call", "do not call",
    "dont contact", "do not contact", "dont message", "dont send", "do not send",
    "dont want texts", "dont want messages", "dont want any more", "no more texts",
    "no more messages", "no more calls", "remove me", "take me off", "leave me alone",
    "wrong number", "no mas mensajes", "no mas textos", "no mas llamadas", "no me escriba",
    "no me escriban", "no me llame", "no me llamen", "no me manden", "no me envien",
    "no quiero mensajes", "no quiero mas", "dejen de escribir", "dejen de escribirme",
    "dejen de enviar", "dejen de mandar", "dejen de llamar", "dejen de llamarme",
    "deje de escribirme", "deje de llamarme", "dar de baja", "darme de baja",
    "numero equivocado"))
OPT_IN_WORDS = frozenset({"start", "unstop"})
YES_WORDS = frozenset({"yes", "y", "yeah", "yep", "si"})
HELP_WORDS = frozenset({"help", "info", "informacion"})
URGENT_WORDS = frozenset({
    "1", "911", "pain", "painful", "hurt", "hurts", "hurting", "breath", "breathe", "breathing",
    "breathless", "fall", "fell", "fallen", "falling", "bleed", "bleeding", "bled", "blood",
    "chest", "dizzy", "dizziness", "confused", "confusion", "emergency", "urgent", "faint",
    "fainted", "unconscious", "seizure", "stroke", "numb", "fever", "vomit", "vomiting",
    "swelling", "swollen", "worse", "sick", "ambulance", "suicide", "dolor", "duele", "sangre",
    "sangrando", "sangrado", "mareo", "mareado", "mareada", "caida", "caido", "cai",
    "respirar", "aire", "ahogo", "pecho", "confundido", "confundida", "emergencia", "urgente",
    "fiebre", "vomito", "vomitando", "desmayo", "peor", "mal", "enfermo", "enferma",
    "ambulancia", "ayuda", "ayudame", "ayudeme", "ayudenme", "auxilio"})
URGENT_PHRASES = tuple(p.split() for p in (
    "help me", "need help", "call me", "need a nurse", "need a doctor", "need to talk",
    "feel bad", "feel terrible", "heart attack", "passed out", "kill myself", "want to die",
    "necesito ayuda", "llamenme", "llameme", "llamame", "me siento mal", "no puedo respirar"))
WELL_WORDS = frozenset({"2", "good", "fine", "ok", "okay", "well", "better", "great", "alright",
                        "bien", "mejor", "bueno", "buena", "excelente", "perfecto"})
# A negation directly before an urgent word ("no pain", "not dizzy", "sin dolor") cancels it,
# through these words only, so "no I fell" stays urgent. Never "cant": "cant breathe" is urgent.
NEGATIONS = frozenset({"no", "not", "without", "sin", "never", "nunca", "dont", "didnt",
                       "doesnt", "isnt", "arent", "wasnt", "havent", "nada"})
# Not "im"/"am": "no I'm fine" answers "do you need us?" and is not a negated "fine".
NEGATION_BRIDGE = frozenset({"have", "any", "more", "much", "feel", "feeling", "in", "a", "de",
                             "mas", "tengo", "hay", "me", "siento", "estoy", "being", "really",
                             "so", "too", "very", "muy", "doing"} | URGENT_WORDS)
QUESTION_WORDS = frozenset({"what", "when", "where", "why", "how", "can", "could", "should",
                            "is", "do", "does", "will", "que", "cuando", "donde", "como",
                            "puedo", "cual"})
CAVEATS = frozenset({"but", "pero", "need", "necesito", "question", "pregunta", "when",
                     "cuando", "call", "llamar"})


@dataclass(frozen=True)
class ReplyIntent:
    intent: Intent
    reason: str  # the keyword or rule that matched, for the care team
    also_opt_out: bool = False  # urgent words *and* opt-out wording: escalate and opt out


def normalize(text: str) -> list[list[str]]:
    """Clauses of lowercase ASCII words: accents folded, apostrophes dropped ("don't" ->
    "dont"), punctuation splitting clauses so "no, I fell" is not a negated fall."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"['\u2019`]", "", folded)
    clauses = re.split(r"[.,;:!?\n]+", folded)
    return [words for c in clauses if (words := re.sub(r"[^a-z0-9]+", " ", c).split())]


def classify_reply(text: str, opt_out_type: str | None = None, *, opted_out: bool = False
                   ) -> ReplyIntent:
    """The intent of an inbound SMS. ``opt_out_type`` is Twilio's ``OptOutType`` (MSG-6);
    ``opted_out`` says whether the phone is opted out now (YES means START then)."""
    kind = (opt_out_type or "").strip().upper()
    if kind == "STOP":
        return ReplyIntent("opt_out", "OptOutType=STOP")  # Twilio already blocks the number
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
    if opted_out and keyword in OPT_IN_WORDS | YES_WORDS:
        return ReplyIntent("opt_in", f"keyword {keyword}")
    urgent = _urgent(clauses, words)
    opting_out = _opt_out(clauses, words)
    if opting_out:
        if urgent:
            return ReplyIntent("urgent", urgent, also_opt_out=True)
        return ReplyIntent("opt_out", opting_out)
    if keyword in OPT_IN_WORDS:
        return ReplyIntent("opt_in", f"keyword {keyword}")
    if keyword in YES_WORDS:
        return ReplyIntent("urgent", f"keyword {keyword}")  # §5: "yes" asks for a call
    if keyword in HELP_WORDS:
        return ReplyIntent("help_keyword", f"keyword {keyword}")  # MSG-2: program info
    if urgent:
        return ReplyIntent("urgent", urgent)
    return _doing_well(clauses, words, text)


def _keyword(words: list[str]) -> str | None:
    """The reply is one keyword, give or take politeness ("STOP please", "Yes!", "HELP")."""
    rest = {w for w in words if w not in POLITE} or set(words)
    return rest.pop() if len(rest) == 1 else None


def _opt_out(clauses: list[list[str]], words: list[str]) -> str | None:
    rest = {w for w in words if w not in POLITE | MESSAGING}
    if len(rest) == 1 and (word := next(iter(rest))) in OPT_OUT_WORDS:
        return f"keyword {word}"  # "stop", "STOP ALL", "quit texting me please"
    phrase = _phrase(clauses, OPT_OUT_PHRASES, negatable=False)
    if phrase:
        return f"phrase '{phrase}'"
    if " ".join(words) in ("no more", "no mas"):
        return "phrase 'no more'"
    for clause in clauses:  # "I do not want any more messages", "no quiero recibir llamadas"
        wants_not = any(w in ("want", "quiero") and _negated(clause, i) for i, w in
                        enumerate(clause))
        if wants_not and any(w in MESSAGE_NOUNS for w in clause):
            return "phrase 'do not want messages'"
    return None


def _urgent(clauses: list[list[str]], words: list[str]) -> str | None:
    phrase = _phrase(clauses, URGENT_PHRASES, negatable=True)
    if phrase:
        return f"phrase '{phrase}'"
    for clause in clauses:
        for i, word in enumerate(clause):
            if word == "1" and (i > 0 and len(words) > 4):
                continue  # "I take 1 pill": a digit is the menu answer only up front
            if word in URGENT_WORDS and not _negated(clause, i):
                return f"word '{word}'"
            if word in WELL_WORDS - {"2"} and _negated(clause, i):
                return f"negated '{word}'"  # "not good", "no estoy bien"
    return None


def _phrase(clauses: list[list[str]], phrases: tuple[list[str], ...], *, negatable: bool
            ) -> str | None:
    for clause in clauses:
        for i in range(len(clause)):
            for phrase in phrases:
                if clause[i:i + len(phrase)] == phrase and not (negatable and
                                                                _negated(clause, i)):
                    return " ".join(phrase)
    return None


def _negated(clause: list[str], index: int) -> bool:
    for word in reversed(clause[:index]):
        if word in NEGATIONS:
            return True
        if word not in NEGATION_BRIDGE:
            return False
    return False


def _doing_well(clauses: list[list[str]], words: list[str], text: str) -> ReplyIntent:
    """Only a short, plain answer is filed as doing well; a question or a caveat goes to a
    person, so "fine, but is it ok to shower?" is never just logged."""
    well = next((w for w in words if w in WELL_WORDS - {"2"}), "2" if "2" in words else None)
    asks = "?" in text or any(c[0] in QUESTION_WORDS for c in clauses)
    if well is None or asks or len(words) > 8 or any(w in CAVEATS for w in words):
        return ReplyIntent("unclassified", "question or caveat" if well else "no keyword")
    if well == "2" and words.index("2") > 0 and len(words) > 4:
        return ReplyIntent("unclassified", "no keyword")  # "I walked 2 miles"
    return ReplyIntent("doing_well", f"word '{well}'")


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
