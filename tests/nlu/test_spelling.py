"""Typos in the words that carry an ask are read as those words; nothing else is changed."""

from __future__ import annotations

import importlib.util
import json

import pytest

from bot.nlu.spelling import WORDS_FILE, Speller
from bot.nlu.text import normalize_for_classifier


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller()


@pytest.mark.parametrize(("text", "lang", "read"), [
    ("chnage my flgiht", "en", "change my flight"),
    ("I want to cancle my fligth", "en", "i want to cancel my flight"),
    ("resheduled flght tomorow pls", "en", "rescheduled flight tomorrow pls"),
    ("can you rebok me on anothr flight", "en", "can you rebook me on another flight"),
    ("ik wil mijn vlcht omboken", "nl", "ik wil mijn vlucht omboeken"),
    ("Flug stornieern bitte", "de", "flug stornieren bitte"),
    ("quiero cancelr mi vuelo", "es", "quiero cancelar mi vuelo"),
    ("je veux anuler mon vol", "fr", "je veux annuler mon vol"),
])
def test_typos_of_the_words_that_carry_an_ask_are_corrected(speller: Speller, text: str, lang: str, read: str):
    assert speller.correct(normalize_for_classifier(text), lang) == read


@pytest.mark.parametrize(("text", "lang"), [
    ("what a chance, what a fight", "en"),  # real words one edit away from "change" and "flight"
    ("Jansen Kowalski Dubois Schneider", "en"),  # names
    ("booking X7K2PQ flight KL1234", "en"),  # codes become placeholders and stay
    ("chnge", "pl"),  # no dictionary for Polish: nothing is changed
    ("the hotel was a disgrace", "en"),
    ("mejor cancélalo", "es"),  # "cancel it", one edit from "cancelado" (no keyword: see KEYWORDS)
])
def test_real_words_names_codes_and_other_languages_stay(speller: Speller, text: str, lang: str):
    normalized = normalize_for_classifier(text)
    assert speller.correct(normalized, lang) == normalized


def test_a_word_one_edit_from_two_keywords_is_left_alone():
    speller = Speller()
    # "flights" and "flight" are both keywords: "flightz" is one edit from each, "fligts" from "flights" only
    assert speller.correct("flightz", "en") == "flightz"
    assert speller.correct("fligts", "en") == "flights"


@pytest.mark.skipif(importlib.util.find_spec("spellchecker") is None, reason="needs the dev extra (pyspellchecker)")
def test_the_word_list_is_built_from_the_current_keywords():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    from build_spelling_words import build

    assert json.loads(WORDS_FILE.read_text(encoding="utf-8")) == build(), (
        "bot/nlu/spelling_words.json is stale: run scripts/build_spelling_words.py")
