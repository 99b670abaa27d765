"""The shipped playbooks are complete and render safely; a broken playbook is reported as file:line: field."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.crisis.params import ParameterError, parse_assignments, resolve
from bot.crisis.playbook import PLAYBOOK_LANGUAGES, STAGES, validate_playbooks
from bot.crisis.render import DEFAULT_LIMITS, preview
from bot.crisis.templates import render, template_problems
from tests.crisis.conftest import NOW, ROOT, SAMPLE_PARAMS, settings

SHIPPED = ("volcanic-ash", "strike", "it-outage", "severe-weather")


def test_the_four_playbooks_ship_and_validate(playbooks):
    assert set(SHIPPED) <= set(playbooks.playbooks)
    assert validate_playbooks(ROOT) == []
    assert {"ru", "tr", "ja", "zh"} <= set(PLAYBOOK_LANGUAGES)


@pytest.mark.parametrize("playbook_id", SHIPPED)
def test_every_message_renders_in_every_language_within_every_channel(playbooks, playbook_id):
    pb = playbooks.get(playbook_id)
    values = resolve(pb, SAMPLE_PARAMS[playbook_id], now=NOW)
    items = preview(pb, values, settings(), list(DEFAULT_LIMITS.values()), now=NOW)
    assert items and all(i.ok for i in items), [i for i in items if not i.ok][:3]
    kinds = {(i.kind, i.stage) for i in items}
    assert {("update", s) for s in STAGES[:-1]} | {("end", "resolved"), ("no_news", None), ("notice", None),
                                                   ("holding", None)} <= kinds
    for i in items:
        assert "$" not in i.text, (i.kind, i.language, i.text)  # every placeholder was filled
        assert i.text.strip()
    # each language gets its own text (no language silently falls back to English)
    for kind in ("update", "notice"):
        texts = {i.language: i.text for i in items if i.kind == kind and i.channel == "telegram"
                 and i.stage in (None, "identified")}
        assert len(set(texts.values())) == len(PLAYBOOK_LANGUAGES)
    # the X thread is used: a long update becomes posts of at most 280 characters
    x = [i for i in items if i.channel == "x"]
    assert all(i.posts >= 1 for i in x) and any(i.length > 280 for i in x) and all(i.ok for i in x)


def test_times_are_formatted_in_the_hub_time_zone_per_language(playbooks):
    pb = playbooks.get("volcanic-ash")
    values = resolve(pb, {"airports": "AMS,CDG", "until": "2026-12-09T18:00Z"}, now=NOW)
    items = preview(pb, values, settings(), [DEFAULT_LIMITS["telegram"]], now=NOW)
    identified = {i.language: i.text for i in items if i.stage == "identified"}
    assert "19:00 CET" in identified["fr"] and "Paris (CDG)" in identified["fr"]
    assert "déc" in identified["fr"] and "Dez" in identified["de"]


def test_parameters_are_typed_and_checked(playbooks):
    pb = playbooks.get("volcanic-ash")
    with pytest.raises(ParameterError, match="airports: unknown airport code"):
        resolve(pb, {"airports": "AMS,XXQ", "until": "+1d"}, now=NOW)
    with pytest.raises(ParameterError, match="until: required"):
        resolve(pb, {"airports": "AMS"}, now=NOW)
    with pytest.raises(ParameterError, match="is not a time"):
        resolve(pb, {"airports": "AMS", "until": "tomorrow-ish"}, now=NOW)
    with pytest.raises(ParameterError, match="unknown parameter"):
        resolve(pb, {"airports": "AMS", "until": "+1d", "volcano": "Katla"}, now=NOW)
    with pytest.raises(ParameterError, match="until must be after start"):
        resolve(pb, {"airports": "AMS", "until": "2020-01-01T00:00Z"}, now=NOW)
    strike = playbooks.get("strike")
    with pytest.raises(ParameterError, match="kind: 'pilots' is not one of: atc, crew"):
        resolve(strike, {"kind": "pilots", "airports": "CDG", "until": "+1d"}, now=NOW)
    v = resolve(pb, {"airports": " ams, cdg ,AMS", "until": "2026-12-09T19:00+01:00"}, now=NOW)
    assert v["airports"] == ["AMS", "CDG"] and v["until"] == "2026-12-09T18:00:00+00:00"
    assert parse_assignments(["airports=AMS,CDG", "reason=a=b"]) == {"airports": "AMS,CDG", "reason": "a=b"}
    with pytest.raises(ParameterError):
        parse_assignments(["airports"])


def test_templates_substitute_names_only():
    assert render("$airline {0.__class__} ${airline}s $$5 $unknown", {"airline": "KL"}) == \
        "KL {0.__class__} KLs $5 $unknown"
    # a value is never a template itself
    assert render("$reason", {"reason": "$airline ${__import__}"}) == "$airline ${__import__}"
    assert template_problems("Hi $name and $ 5", {"name"}) == [
        "a '$' at position 13 is not followed by a name (write $$ for a dollar sign)"]
    assert template_problems("${__class__}", set())[0].startswith("unknown placeholder $__class__")


def _broken_copy(tmp_path: Path, edit) -> Path:
    folder = tmp_path / "crisis_playbooks"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "crisis_playbooks" / "_topics.yml", folder)
    text = (ROOT / "crisis_playbooks" / "volcanic-ash.yml").read_text(encoding="utf-8")
    (folder / "volcanic-ash.yml").write_text(edit(text), encoding="utf-8")
    return tmp_path


def _line_of(text: str, pattern: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if re.search(pattern, line))


def test_errors_name_file_line_and_field(tmp_path):
    f = "crisis_playbooks/volcanic-ash.yml"
    root = _broken_copy(tmp_path / "a", lambda t: t.replace("every_minutes: 120", "every_minutes: 2"))
    edited = (root / f).read_text(encoding="utf-8")
    assert [str(e) for e in validate_playbooks(root)] == [
        f"{f}:{_line_of(edited, 'every_minutes')}: cadence.every_minutes: Input should be greater than or equal to 10"]

    def edit(text: str) -> str:
        text = text.replace('  ja: "火山灰：空域閉鎖"\n', "")  # a missing language in the title
        text = text.replace("Next update at $next_update.\"\n    nl: \"$title. As",
                            "Next update at $next_updat.\"\n    nl: \"$title. As")  # a typo in a placeholder
        return text.replace("  end: $until", "  end: $until_time")  # a scope referring to no parameter

    root = _broken_copy(tmp_path / "b", edit)
    edited = (root / f).read_text(encoding="utf-8")
    errors = [str(e) for e in validate_playbooks(root)]
    assert f"{f}:{_line_of(edited, '^title:')}: title: missing language(s): ja" in errors, errors
    assert f"{f}:{_line_of(edited, 'Ash from a volcanic')}: updates.investigating.en: unknown placeholder " \
           "$next_updat" in [e.split(" (known")[0] for e in errors], errors
    assert f"{f}:{_line_of(edited, '^  end: ')}: scope.end: $until_time is not a parameter of this playbook" \
        in errors, errors


def test_crisisbot_validate_reports_playbook_errors(tmp_path):
    from typer.testing import CliRunner

    from bot.cli import app
    from bot.settings import get_settings

    root = tmp_path / "content"
    shutil.copytree(ROOT / "intents", root / "intents")
    shutil.copytree(ROOT / "flows", root / "flows")
    _broken_copy(root, lambda t: t.replace("severity: critical", "severity: apocalyptic"))
    get_settings.cache_clear()
    import os

    os.environ["CRISISBOT_CONTENT_DIR"] = str(root)
    try:
        result = CliRunner().invoke(app, ["validate"])
    finally:
        del os.environ["CRISISBOT_CONTENT_DIR"]
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "crisis_playbooks/volcanic-ash.yml:5: severity: Input should be 'minor', 'major' or 'critical'" \
        in result.output
