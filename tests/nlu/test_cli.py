from __future__ import annotations

import json

from typer.testing import CliRunner

from bot.nlu.cli import app

runner = CliRunner()


def _env(nlu_settings) -> dict[str, str]:
    return {"CRISISBOT_CONTENT_DIR": str(nlu_settings.content_dir), "CRISISBOT_CACHE_DIR": str(nlu_settings.cache_dir),
            "CRISISBOT_LANGUAGES": '["en", "nl"]'}


def test_parse_writes_one_json_line_per_message(nlu_settings, trained, monkeypatch) -> None:
    from bot.settings import get_settings

    for k, v in _env(nlu_settings).items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    try:
        messages = "I want to cancel my booking\nik wil een medewerker spreken\n\nok\n"
        result = runner.invoke(app, ["parse"], input=messages)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 4
    assert (lines[0]["intent"]["name"], lines[0]["language"]) == ("cancel", "en")
    assert (lines[1]["intent"]["name"], lines[1]["language"]) == ("request_human", "nl")
    assert lines[2]["flags"] == ["empty"]
    # every line stands alone (no conversation): a word too short to tell takes the default language, not the
    # language of the line before
    assert lines[3]["language"] == "en"
    assert set(lines[0]) >= {"text", "intent", "intent_ranking", "entities", "language"}


def test_parse_with_fixed_language_and_bad_flag(nlu_settings, trained, monkeypatch) -> None:
    from bot.settings import get_settings

    for k, v in _env(nlu_settings).items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    try:
        ok = runner.invoke(app, ["parse", "--lang", "nl"], input="cancel my booking\n")
        bad = runner.invoke(app, ["parse", "--lang", "xx"], input="hi\n")
    finally:
        get_settings.cache_clear()
    assert ok.exit_code == 0 and json.loads(ok.stdout)["language"] == "nl"
    assert bad.exit_code != 0


def test_evaluate_prints_scores_per_language(nlu_settings, monkeypatch) -> None:
    from bot.settings import get_settings

    for k, v in _env(nlu_settings).items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["evaluate", "--lang", "en", "--folds", "2", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    assert report["language"] == "en" and 0.0 <= report["macro_f1"] <= 1.0
    assert set(report["intents"]) >= {"rebook", "cancel"} and "booking_reference" in report["entities"]
