from __future__ import annotations

from pathlib import Path

from bot.nlu.training_data import load_training_data, parse_annotated, validate_intents

from .conftest import DATA


def load_text(text: str):
    return load_training_data(Path("intents/en.yml"), "en", text=text, display_name="intents/en.yml")


def test_fixture_files_are_valid_and_complete() -> None:
    assert validate_intents(DATA, ["en", "nl"]) == []


def test_annotations_are_stripped_with_spans_values_and_roles() -> None:
    plain, ents, problems = parse_annotated(
        'fly [tomorrow](date) from [Parijs]{"entity": "airport", "role": "origin", "value": "CDG"}'
        ' [kl 1](flight_number:KL1)'
    )
    assert problems == []
    assert plain == "fly tomorrow from Parijs kl 1"
    assert [(e.entity, plain[e.start:e.end], e.value, e.role) for e in ents] == [
        ("date", "tomorrow", None, None),
        ("airport", "Parijs", "CDG", "origin"),
        ("flight_number", "kl 1", "KL1", None),
    ]


def test_loader_collects_examples_synonyms_regexes_lookups() -> None:
    td, errors = load_training_data(DATA / "intents" / "en.yml", "en")
    assert errors == []
    assert len(td.intents) == 17
    assert td.synonyms["londen"] == "LHR"
    assert td.synonyms["london"] == "LHR"  # from the annotation's value
    assert td.regexes and td.regexes[0][0] == "booking_reference"
    assert td.lookups["airport"] == ["Schiphol"]
    ex = next(e for e in td.examples if e.text.startswith("move my booking"))
    assert ex.line == 8
    assert ex.entities[0].entity == "booking_reference"


def test_errors_name_the_line_of_the_offending_example() -> None:
    text = """version: "3.1"
nlu:
- intent: rebook
  examples: |
    - can I fly [tomorrow](date)
    - fly to [Paris](city)
    - change to [friday(date)
- intent: bookflight
  examples: |
    - book me a flight
- intent: cancel
  examples: |
    - cancel
    - bad [json]{"entity": airport}
"""
    _, errors = load_text(text)
    by_line = {e.line: e.message for e in errors}
    assert "unknown entity 'city'" in by_line[6]
    assert "malformed entity annotation" in by_line[7]
    assert "unknown intent 'bookflight'" in by_line[8]
    assert "invalid JSON" in by_line[14]
    assert all(str(e).startswith("intents/en.yml:") for e in errors)


def test_yaml_syntax_error_and_wrong_shape_are_reported() -> None:
    _, errors = load_text("nlu:\n- intent: greet\n  examples: [unclosed\n")
    assert errors and errors[0].line is not None and "invalid YAML" in errors[0].message
    _, errors = load_text("version: '3.1'\nnlu: 5\n")
    assert errors[0].line == 2
    _, errors = load_text("version: '3.1'\nnlu:\n- intent: greet\n")
    assert "missing 'examples'" in errors[0].message


def test_same_example_under_two_intents_is_an_error() -> None:
    text = ("version: '3.1'\nnlu:\n- intent: stop\n  examples: |\n    - cancel\n"
            "- intent: cancel\n  examples: |\n    - Cancel\n")
    _, errors = load_text(text)
    assert len(errors) == 1 and errors[0].line == 8 and "'stop'" in errors[0].message


def test_validate_intents_reports_missing_languages_and_intents(tmp_path: Path) -> None:
    (tmp_path / "intents").mkdir()
    (tmp_path / "intents" / "en.yml").write_text(
        "version: '3.1'\nnlu:\n- intent: greet\n  examples: |\n    - hi\n", encoding="utf-8"
    )
    errors = validate_intents(tmp_path, ["en", "nl"])
    messages = [str(e) for e in errors]
    assert any("nl.yml" in m and "missing training data" in m for m in messages)
    assert any("'rebook' has 0 example" in m for m in messages)
