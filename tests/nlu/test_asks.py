"""The ask reader on the real training data (intents/, every language): what passengers ask, apart from how they
feel. These messages are written for the test (patterns of real social messages, not copied ones)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.asks import CueReader, read_feelings
from bot.nlu.base import Parse
from bot.nlu.text import normalize_for_classifier
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory):
    from bot.nlu.embedded import EmbeddedBackend

    settings = Settings(content_dir=ROOT, cache_dir=tmp_path_factory.mktemp("cache"))
    backend = EmbeddedBackend(settings, train_in_subprocess=False)
    backend.load_or_train()
    return backend


@pytest.mark.parametrize(("text", "lang"), [
    ("@KLM 4 hours on hold trying to change my flight!!! unacceptable", "en"),
    ("been calling all day to reschedule a cancelled flight, worst airline ever", "en"),
    ("Ich will einfach nur einen neuen Flug nach Hause!! Frechheit", "de"),
    ("@KLM al 3 uur in de wacht, belachelijk!! boek me gewoon om op de volgende vlucht", "nl"),
    ("vol annulé, c'est une honte, mettez-moi sur le prochain vol", "fr"),
])
def test_an_angry_message_that_asks_for_a_new_flight_is_a_rebook(real, text: str, lang: str) -> None:
    p = real.parse_sync(text, lang)
    assert p.intent.name == "rebook"
    assert "rebook" in [a.name for a in p.asks]
    assert "anger" in p.feelings


@pytest.mark.parametrize(("text", "lang"), [
    ("@KLM my flight was cancelled. again. unbelievable", "en"),
    ("thanks for nothing, another 3 hours at the gate 🙄", "en"),
    ("you rebooked me on a flight two days later, great job", "en"),
    ("mijn vlucht is geannuleerd, wat een schande", "nl"),
])
def test_venting_or_sarcasm_without_an_ask_starts_no_flow(real, text: str, lang: str) -> None:
    p = real.parse_sync(text, lang)
    assert p.asks == ()
    assert p.intent.name not in ("rebook", "cancel", "flight_status", "request_human")


def test_cancel_needs_an_actual_ask(real) -> None:
    assert real.parse_sync("I want a refund for this cancelled flight, not a voucher", "en").intent.name == "cancel"
    assert real.parse_sync("how do I cancel my reservation?", "en").intent.name == "cancel"
    assert real.parse_sync("they cancelled my flight", "en").intent.name != "cancel"


def test_several_asks_are_all_seen_and_the_first_in_order_is_acted_on(real) -> None:
    p = real.parse_sync("is my flight still on time? if not please rebook me on the next one", "en")
    names = [a.name for a in p.asks]
    assert "rebook" in names and "flight_status" in names
    assert p.intent.name == "rebook"  # rebook > cancel > flight_status > request_human


def test_an_expected_answer_keeps_its_intent_in_a_flow(real) -> None:
    ctx = {"expecting": "confirmation"}
    assert real.parse_sync("yes", "en", context=ctx).intent.name == "affirm"


def test_the_parse_shape_gains_asks_and_feelings(real) -> None:
    d = real.parse_sync("@KLM please DM me, nobody answers the phone!!!", "en").to_dict()
    assert {"text", "language", "intent", "intent_ranking", "entities", "flags", "asks", "feelings"} <= set(d)
    assert d["intent"]["name"] == "request_human"
    assert Parse.from_dict(d).asks[0].name == "request_human"


def test_feelings_are_read_apart_from_the_ask() -> None:
    cues = CueReader()

    def feel(text: str) -> list[str]:
        return read_feelings(text, normalize_for_classifier(text), cues)

    assert "sarcasm" in feel("thanks for nothing")
    assert "praise" in feel("thank you, the crew was amazing")
    assert "urgency" in feel("I need to be home tonight, it's urgent")
    assert "distress" in feel("stranded with my baby at the airport")
    assert feel("can I change my flight?") == []


def test_cues_from_the_training_data_extend_the_lexicon() -> None:
    cues = CueReader([("ask_rebook", r"\bxyzzy\b")])
    assert cues.ask_cues("please xyzzy me") == ["rebook"]
