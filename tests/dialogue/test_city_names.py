"""Cities in replies are named as passengers of the reply's language write them."""

from __future__ import annotations

import pytest

from bot.dialogue.formatting import airport_city


@pytest.mark.parametrize(("iata", "language", "name"), [
    ("LHR", "nl", "Londen"), ("MXP", "de", "Mailand"), ("LIS", "fr", "Lisbonne"), ("MUC", "es", "Múnich"),
    ("PRG", "pl", "Praga"), ("BRU", "pl", "Bruksela"), ("CPH", "da", "København"), ("GRU", "pt", "São Paulo"),
    ("LHR", "en", "London"), ("AMS", "nl", "Amsterdam"), ("LHR", "ru", "Лондон"), ("PRG", "zh", "布拉格"),
])
def test_city_names_in_the_replys_language(iata: str, language: str, name: str) -> None:
    assert airport_city(iata, language) == name
