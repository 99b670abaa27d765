"""Flow files: loading, cross-checks, errors naming file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.dialogue import build_dialogue
from bot.dialogue.engine import FlowEngine
from bot.dialogue.loader import load_flows, validate_flows
from bot.errors import ContentErrors
from bot.settings import SUPPORTED_LANGUAGES, Settings
from tests.dialogue.conftest import ROOT

GOOD = """\
flow: demo
intents: [help]
steps:
  - id: ask
    collect: travel_date
    ask: ask_date
    expecting: date
  - say: bye
responses:
  ask_date: {LANGS_ASK}
  bye: {LANGS_BYE}
"""


def _langs(text: str) -> str:
    return "{" + ", ".join(f'{lang}: "{text}"' for lang in SUPPORTED_LANGUAGES) + "}"


def write(tmp_path: Path, body: str, name: str = "demo.yml") -> Path:
    flows = tmp_path / "flows"
    flows.mkdir(exist_ok=True)
    body = body.replace("{LANGS_ASK}", _langs("When?")).replace("{LANGS_BYE}", _langs("Bye"))
    (flows / name).write_text(body, encoding="utf-8")
    return tmp_path


def test_project_flows_are_complete():
    errors = validate_flows(ROOT)
    assert errors == [], "\n".join(str(e) for e in errors[:20])
    flows = load_flows(ROOT)
    assert {"rebook", "cancel", "flight_status", "identify", "step_up"} <= set(flows.flows)
    assert flows.by_intent["rebook"] == "rebook" and flows.by_intent["cancel"] == "cancel"


def test_build_dialogue_uses_the_content_dir(airline):
    engine = build_dialogue(Settings(content_dir=ROOT), airline)
    assert isinstance(engine, FlowEngine) and "rebook" in engine.flows


def test_a_good_minimal_flow_loads(tmp_path):
    flows = load_flows(write(tmp_path, GOOD))
    assert flows["demo"].steps[0].collect == "travel_date"


@pytest.mark.parametrize(
    ("change", "line", "field", "words"),
    [
        (("ask: ask_date", "ask: ask_dat"), 6, "steps.0.ask", "unknown response"),
        (("  - say: bye", "  - say: bye\n    next: nowhere"), 9, "steps.1.next", "unknown step"),
        (("  - say: bye", "  - action: no_such_action"), 8, "steps.1.action", "unknown action"),
        (("  - say: bye", "  - call: no_such_flow"), 8, "steps.1.call", "unknown flow"),
        (("expecting: date", "expecting: horoscope"), 7, "steps.0.expecting", "unknown expectation"),
        (("    collect: travel_date", "    collect: travel_date\n    colour: blue"), 6, "steps.0.colour", "Extra"),
        (("  - say: bye", "  - shout: bye"), 8, "steps.1", "one of"),
        (("intents: [help]", "intents: [horoscope]"), 2, "intents", "unknown intent"),
        (("  - say: bye", "  - branch: [{if: travel_dat, goto: ask}, {else: end}]"), 8, "steps.1.branch.0.if",
         "unknown slot"),
        (("  - say: bye", "  - branch: [{if: settings.colour, goto: ask}, {else: end}]"), 8, "steps.1.branch.0.if",
         "unknown setting"),
        (("  - say: bye", "  - switch: demo\n    with: {colour: blue}"), 9, "steps.1.with", "nor reads"),
    ],
)
def test_errors_name_file_line_and_field(tmp_path, change, line, field, words):
    root = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ContentErrors) as info:
        load_flows(root)
    errors = info.value.errors
    match = [e for e in errors if e.field == field]
    assert match, [str(e) for e in errors]
    assert match[0].file == "flows/demo.yml" and match[0].line == line
    assert words in match[0].message
    assert f"flows/demo.yml:{line}" in str(info.value)


def test_yaml_syntax_error_has_a_line(tmp_path):
    root = write(tmp_path, GOOD.replace("  - say: bye", "  - say: [bye"))
    with pytest.raises(ContentErrors) as info:
        load_flows(root)
    assert info.value.errors[0].file == "flows/demo.yml" and info.value.errors[0].line is not None


def test_missing_translation_is_an_error_for_validate_but_not_at_run_time(tmp_path):
    body = GOOD.replace("  bye: {LANGS_BYE}", '  bye: {en: "Bye", nl: "Doei"}')
    root = write(tmp_path, body)
    errors = validate_flows(root)
    fields = {e.field for e in errors}
    assert "responses.bye.fr" in fields and "responses.bye.nl" not in fields
    assert all(e.line == 11 for e in errors)
    flows = load_flows(root)  # tolerated at run time
    assert flows.response("bye", "fr") == "Bye" and flows.response("bye", "nl") == "Doei"


def test_placeholders_must_match_across_languages(tmp_path):
    body = GOOD.replace("  bye: {LANGS_BYE}", '  bye: {en: "Bye {name}", nl: "Doei {naam}"}')
    with pytest.raises(ContentErrors) as info:
        load_flows(write(tmp_path, body))
    assert any(e.field == "responses.bye.nl" and "placeholders" in e.message for e in info.value.errors)


def test_outcome_names_are_checked(tmp_path):
    body = GOOD.replace("  - say: bye", "  - action: check_option\n    next: {maybe: ask}")
    with pytest.raises(ContentErrors) as info:
        load_flows(write(tmp_path, body))
    assert any("no outcome 'maybe'" in e.message for e in info.value.errors)


def test_broken_project_copy_is_reported(tmp_path):
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    path = tmp_path / "flows" / "rebook.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("next: choose\n", "next: chose\n"), encoding="utf-8")
    errors = validate_flows(tmp_path)
    assert any(e.file == "flows/rebook.yml" and "unknown step 'chose'" in e.message and e.line for e in errors)
