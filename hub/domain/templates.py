"""Patient message texts per language (MSG-5) with minimum PHI (MSG-4): a first name at most, the
practice, the callback number, what to do; never a diagnosis, drug, result or specialty.

The words live in files a non-programmer edits, one per language (``texts/en.toml``,
``texts/es.toml`` beside this module, or the folder ``HUB_TEMPLATES_DIR`` names), checked at
start-up and by ``hub templates check`` (``hub.domain.template_check``). Each template is a list
of variants, richest first. ``render`` takes the first one that has every value it needs and
fits: every SMS names the provider, says "Reply STOP", and is one SMS segment (MSG-1: at most 160
GSM-7 characters; a character outside the GSM alphabet would make it Unicode and cut that to 70,
so the values a text is filled with are folded to GSM first, ``segments.to_gsm``), so a long
first name drops the name rather than overflow. The voice script is short enough for a call well
under a minute, with one key each for "call me", "doing well" and "stop calling" (the keys
``hub.domain.phone.replies.VOICE_KEYS`` reads).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from importlib import resources
from pathlib import Path

import phonenumbers

from hub.domain.segments import segments, to_gsm
from hub.errors import ConfigError

SMS_LIMIT = 160
VOICE_WORD_LIMIT = 110  # ~45 s at a slow 150 words a minute: room for the <Gather> pause
SMS_TEMPLATES = frozenset({"welcome_sms", "visit_reminder", "checkin", "help",
                           "opt_out_confirmation"})
VOICE_TEMPLATES = frozenset({"voice_call", "voicemail", "call_thanks", "call_opted_out"})
Texts = dict[str, dict[str, tuple[str, ...]]]  # language -> template -> variants


def load_texts(directory: Path | None = None) -> Texts:
    """Every ``<language>.toml`` of ``directory`` (default: the packaged ``texts/``). A file
    that cannot be read is a ``ConfigError`` naming it; what it says is checked separately."""
    if directory is None:
        folder = resources.files("hub.domain").joinpath("texts")
        files = {f.name: f.read_text("utf-8") for f in folder.iterdir()
                 if f.name.endswith(".toml") and f.name != "phi_words.toml"}
    else:
        try:
            files = {f.name: f.read_text("utf-8") for f in sorted(directory.glob("*.toml"))
                     if f.name != "phi_words.toml"}
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"templates {directory}: cannot read ({exc})") from exc
    if not files:
        raise ConfigError(f"templates {directory}: no <language>.toml file")
    texts: Texts = {}
    for name, text in sorted(files.items()):
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"templates {name}: {exc}") from exc
        language = name.removesuffix(".toml")
        texts[language] = {key: tuple(value.get("variants", ())) for key, value in data.items()
                           if isinstance(value, dict)}
        bad = [k for k, v in texts[language].items()
               if not v or not all(isinstance(x, str) for x in v)]
        if bad:
            raise ConfigError(f"templates {name}: {', '.join(bad)} need a list of variants")
    return texts


TEMPLATES: Texts = load_texts()


def install(texts: Texts) -> None:
    """At start-up, the texts of ``HUB_TEMPLATES_DIR`` replace the packaged ones (the rules'
    check then refuses them, naming the problems, if they would break a rule)."""
    TEMPLATES.clear()
    TEMPLATES.update(texts)


def install_from(directory: str | None) -> None:
    """``HUB_TEMPLATES_DIR``, when set: a missing folder is a ``ConfigError`` naming it."""
    if directory:
        if not Path(directory).is_dir():
            raise ConfigError(f"HUB_TEMPLATES_DIR: {directory} is not a folder")
        install(load_texts(Path(directory)))



def language_for(code: str | None) -> str:
    """MSG-5: PID-15 codes such as ``es``, ``SPA``, ``spa^Spanish`` map to a template language;
    anything unknown is English."""
    value = (code or "").strip().lower()
    if value.startswith(("es", "spa")):
        return "es"
    return value[:2] if value[:2] in TEMPLATES and value[2:3] in ("", "-", "_", "^") else "en"


_MONTHS = {"en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                   "Dec"),
           "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov",
                  "dic")}


def short_date(day: date, language: str) -> str:
    """A date nobody misreads (no 11/12 vs 12/11): ``Nov 30`` / ``30 nov``."""
    lang = language_for(language)
    month = _MONTHS[lang][day.month - 1]
    return f"{month} {day.day}" if lang == "en" else f"{day.day} {month}"


def display_number(number: str) -> str:
    """A callback number as people read it: +16175550100 -> (617) 555-0100 (national format
    in its own country); anything that does not parse is shown as configured."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_valid_number(parsed):
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def render(template: str, language: str, values: Mapping[str, str], texts: Texts | None = None
           ) -> str:
    """The first variant of ``template`` in ``language`` that has its values and fits (MSG-1).

    ``values``: ``practice`` and ``callback`` always; ``name`` (first name, may be empty) and
    ``visit_due`` where the template uses them; ``texts`` to render other texts than those in
    use (the check of an edited copy). Raises ``ConfigError`` when no variant fits, which
    ``template_check.check_templates`` makes happen at start-up instead.
    """
    sms = template not in VOICE_TEMPLATES
    filled = {key: to_gsm(v) if sms else v for key, value in values.items()
              for v in [(value or "").strip()]}
    if filled.get("callback"):
        filled["callback"] = display_number(filled["callback"])
    texts = TEMPLATES if texts is None else texts
    chosen = texts.get(language_for(language)) or texts["en"]
    variants = chosen.get(template) or texts["en"][template]
    reachable = any("{callback}" in variant for variant in variants)
    for variant in variants:
        if reachable and filled.get("callback") and "{callback}" not in variant:
            continue  # MSG-1: say how to reach the provider whenever a number is configured
        if any(f"{{{key}}}" in variant and not filled.get(key)
               for key in ("name", "callback", "visit_due")):
            continue  # never "Hi ," or "call us at ."
        try:
            text = variant.format(**filled)
        except (KeyError, IndexError, ValueError):
            continue  # a placeholder the hub does not fill (the check names it)
        if _fits(template, text):
            return text
    raise ConfigError(f"template {template!r} ({language}) cannot be rendered within the limits "
                      "of MSG-1 with these values (practice name too long?)")


def _fits(template: str, text: str) -> bool:
    if template in VOICE_TEMPLATES:
        return len(text.split()) <= VOICE_WORD_LIMIT
    return len(text) <= SMS_LIMIT and segments(text) == 1
