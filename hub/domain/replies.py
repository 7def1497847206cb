"""What a patient's reply means (tcm-rules §5, MSG-2, MSG-6). Any reasonable wording revokes
consent; a reply that may be a cry for help is urgent even when it has other words around it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

OPT_OUT_WORDS = frozenset({"stop", "stopall", "unsubscribe", "end", "quit", "revoke", "optout",
                           "cancel", "alto", "parar", "pare", "basta", "detener"})
OPT_OUT_PHRASES = ("opt out", "stop texting", "dont text", "do not text", "no more texts",
                   "no more messages", "leave me alone", "take me off", "remove me", "no mas",
                   "no me escriban", "no quiero mensajes")
OPT_IN_WORDS = frozenset({"start", "unstop", "yes"})
HELP_WORDS = frozenset({"help", "info", "ayuda"})
URGENT_WORDS = frozenset({"1", "pain", "hurt", "hurts", "breath", "breathe", "breathing", "fall",
                          "fell", "bleeding", "blood", "chest", "dizzy", "confused", "emergency",
                          "faint", "fainted", "swelling", "fever", "dolor", "sangre", "sangrando",
                          "mareo", "mareado", "mareada", "caida", "cai", "respirar", "emergencia",
                          "pecho", "fiebre", "ayudeme"})
URGENT_PHRASES = ("help me", "need help", "call me", "not ok", "not okay", "feel bad",
                  "feel worse", "short of breath", "necesito ayuda", "me siento mal", "llamenme")
WELL_WORDS = frozenset({"2", "good", "fine", "ok", "okay", "well", "better", "great", "bien",
                        "mejor", "bueno"})


@dataclass(frozen=True)
class ReplyIntent:
    intent: str  # opt_out, opt_in, help_keyword, urgent, doing_well, unclassified
    reason: str


def _normalize(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", folded.replace("'", "")).split())


def classify_reply(text: str, opt_out_type: str | None = None, *, opted_out: bool = False
                   ) -> ReplyIntent:
    """``opted_out`` says whether the phone is opted out now: then YES means START (opt back in);
    otherwise YES is the §5 'yes, call me' and is urgent."""
    if opt_out_type:
        kind = opt_out_type.upper()
        if kind == "STOP":
            return ReplyIntent("opt_out", "OptOutType=STOP")  # Twilio already blocked it (MSG-6)
        if kind == "START":
            return ReplyIntent("opt_in", "OptOutType=START")
        if kind == "HELP":
            return ReplyIntent("help_keyword", "OptOutType=HELP")
    words = _normalize(text)
    tokens = words.split()
    if not tokens:
        return ReplyIntent("unclassified", "empty")
    urgent = [t for t in tokens if t in URGENT_WORDS] + [p for p in URGENT_PHRASES if p in words]
    if len(tokens) == 1 and tokens[0] in OPT_OUT_WORDS or any(p in words for p in OPT_OUT_PHRASES) \
            or (tokens[0] in OPT_OUT_WORDS and len(tokens) <= 4 and not urgent):
        return ReplyIntent("opt_out", "opt-out wording")
    if len(tokens) == 1 and tokens[0] in OPT_IN_WORDS and (tokens[0] != "yes" or opted_out):
        return ReplyIntent("opt_in", tokens[0])
    if len(tokens) == 1 and tokens[0] in HELP_WORDS:
        return ReplyIntent("help_keyword", tokens[0])
    if urgent or tokens == ["yes"]:
        return ReplyIntent("urgent", f"matched {(urgent or ['yes'])[0]!r}")
    if any(t in WELL_WORDS for t in tokens):
        return ReplyIntent("doing_well", "doing-well wording")
    return ReplyIntent("unclassified", "no keyword")


def voice_digits(digits: str) -> ReplyIntent:
    """The keys the call announces: 1 nurse call (urgent), 2 doing well, 9 stop calls."""
    key = digits.strip()[:1]
    return {"1": ReplyIntent("urgent", "pressed 1"), "2": ReplyIntent("doing_well", "pressed 2"),
            "9": ReplyIntent("opt_out", "pressed 9")}.get(key, ReplyIntent("unclassified",
                                                                           "other key"))
