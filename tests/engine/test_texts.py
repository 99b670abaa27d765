"""The engine's own texts (bot/texts.py): every language the bot speaks, the same placeholders in each."""

from __future__ import annotations

import string

import pytest

from bot.settings import SUPPORTED_LANGUAGES
from bot.texts import TEXTS, text_for


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_text_in_every_language_with_the_same_placeholders(key):
    entry = TEXTS[key]
    missing = [lang for lang in SUPPORTED_LANGUAGES if not entry.get(lang)]
    assert not missing, f"{key}: no text for {missing}"
    expected = placeholders(entry["en"])
    for lang, text in entry.items():
        assert placeholders(text) == expected, f"{key}.{lang}"


def test_texts_fill_their_placeholders():
    assert text_for("case_ack", "de", position=3, minutes=12).startswith("Ihre Nachricht wurde Ihrem Fall")
    assert "12 Min." in text_for("case_ack", "de", position=3, minutes=12)
    assert text_for("case_with_agent", "xx", agent="Anna") == "Anna has your case and sees your messages here."
