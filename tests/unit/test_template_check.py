"""The texts a person edits are checked before any reaches a patient (MSG-1, MSG-2, MSG-4,
MSG-5): at start-up, and by ``hub templates check`` over an edited copy."""

from __future__ import annotations

import io
import shutil
from importlib import resources
from pathlib import Path

import pytest

from hub.cli.main import main
from hub.cli.templates import templates_check
from hub.domain.template_check import check, check_templates
from hub.domain.templates import TEMPLATES, load_texts, render
from hub.errors import ConfigError

PRACTICE, CALLBACK = "Riverside Primary Care", "+16175550100"
PACKAGED = Path(str(resources.files("hub.domain").joinpath("texts")))


def copy(tmp_path: Path) -> Path:
    folder = tmp_path / "texts"
    shutil.copytree(PACKAGED, folder)
    return folder


def edit(folder: Path, language: str, old: str, new: str) -> None:
    path = folder / f"{language}.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_shipped_texts_fit_one_segment_in_every_language() -> None:
    """MSG-1 / MSG-5: every SMS in English and Spanish is one GSM-7 segment, with a long
    first name and the longest date, and names the practice."""
    measures, problems = check(TEMPLATES, PRACTICE, CALLBACK)
    assert problems == []
    sms = [m for m in measures if m.encoding != "voice"]
    assert {m.language for m in sms} == {"en", "es"}
    assert all(m.encoding == "GSM-7" and m.segments == 1 and m.size <= 160 for m in sms), sms


@pytest.mark.parametrize("language, old, new, problem", [
    ("en", "Reply STOP to opt out\",\n  \"{practice} will",
     "Reply to opt out\",\n  \"{practice} will",
     'welcome_sms: variant 1: does not say "Reply STOP" (MSG-1)'),
    ("en", "see your doctor for a follow-up visit by {visit_due}. Call",
     "see your cardiology doctor by {visit_due}. Call", "'cardiology' is clinical detail"),
    ("en", "your hospital stay. Call {callback}", "your heart failure stay. Call {callback}",
     "'heart failure' is clinical detail"),
    ("es", "en 2 dias habiles. Responda 1 para hablar antes, 2 si esta bien, STOP para no "
     "recibir mas\",\n  \"{practice} le llamara en",
     "en 2 días hábiles. Responda 1 para hablar antes, 2 si esta bien, STOP para no recibir "
     "mas\",\n  \"{practice} le llamara en", "'í' is outside the GSM alphabet"),
    ("en", "Hi {name}, {practice} checking in", "Hi {first_name}, {practice} checking in",
     "unknown placeholder {first_name}"),
    ("en", "If you did not mean to stop, reply START.\",", "Goodbye.\",",
     "does not say how to opt back in (START, MSG-2)"),
    ("es", "[call_thanks]\nvariants = [\"Gracias. Adiós.\"]\n", "",
     "es call_thanks: missing (English has it, MSG-5)"),
    ("en", "Press 9 to stop these calls. You", "Hang up to stop these calls. You",
     "does not announce the keys 1, 2 and 9"),
])
def test_an_edited_text_that_breaks_a_rule_is_named(tmp_path: Path, language: str, old: str,
                                                     new: str, problem: str) -> None:
    """MSG-1 / MSG-2 / MSG-4 / MSG-5: each broken rule is one line naming the language, the
    template and the variant."""
    folder = copy(tmp_path)
    edit(folder, language, old, new)
    _, problems = check(load_texts(folder), PRACTICE, CALLBACK)
    assert any(problem in p for p in problems), problems


def test_a_practice_name_too_long_for_any_variant_stops_the_start() -> None:
    """MSG-1: at start-up a practice name no text can carry in one segment is refused."""
    with pytest.raises(ConfigError, match="no variant fits"):
        check_templates("The Very Long Name Of A Regional Integrated Health Network Practice",
                        CALLBACK)


def test_the_command_prints_each_text_and_exits_one_on_a_problem(tmp_path: Path) -> None:
    """MSG-1: hub templates check: a line per text with its segments; problems on stderr."""
    out, err = io.StringIO(), io.StringIO()
    assert templates_check(None, PRACTICE, CALLBACK, out=out, err=err) == 0
    assert "en  welcome_sms" in out.getvalue() and "GSM-7  1 segment" in out.getvalue()
    folder = copy(tmp_path)
    edit(folder, "en", "Reply STOP to opt out\",\n  \"{practice} will",
         "Reply to opt out\",\n  \"{practice} will")
    out, err = io.StringIO(), io.StringIO()
    assert templates_check(folder, PRACTICE, CALLBACK, out=out, err=err) == 1
    assert err.getvalue().startswith("hub templates: en welcome_sms: variant 1")


@pytest.mark.parametrize("argv, code", [
    (["templates", "check", "/no/such/folder"], 2),
    (["templates", "check", "--practice", "Riverside Primary Care"], 0),
])
def test_the_command_line(argv: list[str], code: int, capsys: pytest.CaptureFixture[str]
                          ) -> None:
    """Bad input: a missing folder is one line on stderr and exit 2, never a traceback."""
    assert main(argv) == code
    err = capsys.readouterr().err
    assert ("Traceback" not in err) and (bool(err) == (code != 0))


def test_a_broken_file_is_named(tmp_path: Path) -> None:
    """Bad input: a TOML mistake names the file."""
    folder = copy(tmp_path)
    (folder / "es.toml").write_text("[welcome_sms\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"es\.toml"):
        load_texts(folder)


def test_texts_from_a_folder_are_what_render_uses(tmp_path: Path) -> None:
    """MSG-5: an edited folder's words are the ones rendered."""
    folder = copy(tmp_path)
    edit(folder, "en", "checking in. Reply 1 if you need us. Reply STOP",
         "says hello. Reply 1 if you need us. Reply STOP")
    text = render("checkin", "en", {"practice": PRACTICE, "callback": ""}, load_texts(folder))
    assert text == f"{PRACTICE} says hello. Reply 1 if you need us. Reply STOP to opt out"
