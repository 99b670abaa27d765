from __future__ import annotations

import pytest

from bot.nlu.base import FALLBACK_INTENT
from bot.nlu.embedded import EmbeddedBackend

from .conftest import NOW


@pytest.mark.parametrize(("text", "lang", "intent"), [
    ("could you rebook me on the next flight please", "en", "rebook"),
    ("I want to cancel my booking", "en", "cancel"),
    ("is my flight delayed?", "en", "flight_status"),
    ("where is my refund??", "en", "refund_status"),
    ("my suitcase is lost", "en", "baggage"),
    ("kan ik morgen vliegen?", "nl", "rebook"),
    ("ik wil een medewerker spreken", "nl", "request_human"),
    ("bedankt!", "nl", "thanks"),
])
async def test_ranks_the_right_intent_first(trained: EmbeddedBackend, text: str, lang: str, intent: str) -> None:
    p = await trained.parse(text, lang)
    assert p.intent_ranking[0].name == intent
    assert p.language == lang
    assert len(p.intent_ranking) == 10
    assert p.intent_ranking == tuple(sorted(p.intent_ranking, key=lambda r: -r.confidence))
    assert abs(sum(r.confidence for r in p.intent_ranking) - 1.0) < 0.2


async def test_data_only_messages_are_provide_info_and_options_choose_option(trained: EmbeddedBackend) -> None:
    p = await trained.parse("HBX7ZM", "en", context={"expecting": "booking_reference", "now": NOW})
    assert p.intent.name == "provide_info" and p.first("booking_reference") == "HBX7ZM"
    p = await trained.parse("the 18:30", "en", context={
        "expecting": "option", "options": [{"index": 1, "departure_local": "14:05"},
                                           {"index": 2, "departure_local": "18:30"}]})
    assert p.intent.name == "choose_option" and p.first("option") == 2


async def test_low_confidence_gives_the_fallback_intent(trained: EmbeddedBackend) -> None:
    p = await trained.parse("qwxz vbnm plok", "en")
    assert p.intent.name == FALLBACK_INTENT
    assert p.intent_ranking[0].name == FALLBACK_INTENT and len(p.intent_ranking) == 10


@pytest.mark.parametrize(("text", "flag"), [
    ("", "empty"), ("   \n\t ", "empty"), ("\x00\x01\x02\x03" * 20, "empty"),
    ("cancel my booking " * 1200, "truncated"),
])
async def test_bad_input_gives_a_clean_parse(trained: EmbeddedBackend, text: str, flag: str) -> None:
    p = await trained.parse(text, "en")
    assert flag in p.flags
    assert len(p.text) <= 10_000
    p.to_dict()  # serialisable


async def test_binary_and_control_characters_do_not_break_parsing(trained: EmbeddedBackend) -> None:
    p = await trained.parse(b"\xff\xfe\x00cancel my booking\x07", "en")  # type: ignore[arg-type]
    assert p.intent.name == "cancel"
    assert "\x00" not in p.text and "\x07" not in p.text
    p = await trained.parse("\ud800 where is my refund", "en")
    assert p.intent.name == "refund_status"


async def test_flags_angry_and_unsupported_language(trained: EmbeddedBackend) -> None:
    p = await trained.parse("WORST AIRLINE EVER, 5 HOURS ON THE TARMAC!!!", "en")
    assert "angry" in p.flags and p.intent.name == "complaint"
    p = await trained.parse("thanks, that was quick", "en")
    assert "angry" not in p.flags
    p = await trained.parse("merhaba", "tr")
    assert "unsupported_language" in p.flags and p.language == "en"
    p = await trained.parse("hello", "en", context={"language_supported": False})
    assert "unsupported_language" in p.flags


async def test_entities_come_with_the_parse(trained: EmbeddedBackend) -> None:
    p = await trained.parse("can I fly tomorrow to Parijs instead? booking ABC123", "en", context={"now": NOW})
    assert p.first("date") == "2026-11-24"
    assert p.first("airport", "destination") == "CDG"
    assert p.first("booking_reference") == "ABC123"


async def test_model_is_cached_and_reused(nlu_settings, trained: EmbeddedBackend) -> None:
    assert list((nlu_settings.cache_dir / "nlu").glob("intents-*.pickle"))
    second = EmbeddedBackend(nlu_settings)
    await second.initialize()
    assert second.from_cache
    for text in ("cancel my booking", "is my flight on time", "de tweede"):
        a, b = await trained.parse(text, "en"), await second.parse(text, "en")
        assert a.intent == b.intent


async def test_changed_training_data_retrains(tmp_path, nlu_settings) -> None:
    import shutil

    from .conftest import DATA

    shutil.copytree(DATA / "intents", tmp_path / "intents")
    settings = nlu_settings.model_copy(update={"content_dir": tmp_path, "cache_dir": tmp_path / "cache"})
    first = EmbeddedBackend(settings)
    await first.initialize()
    assert not first.from_cache
    path = tmp_path / "intents" / "en.yml"
    text = path.read_text(encoding="utf-8").replace("    - rebook me\n", "    - rebook me\n    - swap my flight\n")
    path.write_text(text, encoding="utf-8")
    second = EmbeddedBackend(settings)
    await second.initialize()
    assert not second.from_cache
    assert len(list((tmp_path / "cache" / "nlu").glob("intents-*.pickle"))) == 1


async def test_invalid_training_data_is_an_nlu_error(tmp_path, nlu_settings) -> None:
    from bot.errors import NLUError

    (tmp_path / "intents").mkdir()
    (tmp_path / "intents" / "en.yml").write_text("version: '3.1'\nnlu:\n- intent: nonsense\n  examples: |\n    - x\n")
    backend = EmbeddedBackend(nlu_settings.model_copy(update={"content_dir": tmp_path}), use_cache=False)
    with pytest.raises(NLUError, match="nonsense"):
        await backend.initialize()


def test_same_word_different_languages_different_intents() -> None:
    from bot.nlu.embedded import train_model
    from bot.nlu.text import normalize_for_classifier
    from bot.nlu.training_data import Example, TrainingData

    pl = TrainingData("pl", examples=[Example(t, i) for t, i in [
        ("tak", "affirm"), ("tak, poproszę", "affirm"), ("dziękuję", "thanks"), ("dzięki", "thanks"),
        ("nie", "deny"), ("nie, dziękuję", "deny")]])
    da = TrainingData("da", examples=[Example(t, i) for t, i in [
        ("tak", "thanks"), ("mange tak", "thanks"), ("ja", "affirm"), ("ja tak", "affirm"), ("nej", "deny"),
        ("nej tak", "deny")]])
    model = train_model([pl, da], calibrate=False)
    assert model.predict(normalize_for_classifier("tak"), "pl")[0][0] == "affirm"
    assert model.predict(normalize_for_classifier("tak"), "da")[0][0] == "thanks"


@pytest.mark.parametrize(("plain", "social"), [
    ("my suitcase is lost", "@KLM @Schiphol my suitcase is lost #fail #klm http://t.co/abc123"),
    ("I want to cancel my booking", ".@KLM I want to cancel my booking!!! https://example.com/x"),
    ("kan ik morgen vliegen?", "@KLM_NL kan ik morgen vliegen? #storm"),
])
async def test_handles_hashtags_and_links_do_not_change_the_intent(trained: EmbeddedBackend, plain: str,
                                                                   social: str) -> None:
    lang = "nl" if "vliegen" in plain else "en"
    a, b = await trained.parse(plain, lang), await trained.parse(social, lang)
    assert b.intent_ranking[0].name == a.intent_ranking[0].name
    assert abs(b.intent_ranking[0].confidence - a.intent_ranking[0].confidence) < 0.25


def test_social_normalisation() -> None:
    from bot.nlu.text import normalize_for_classifier

    n = normalize_for_classifier("@KLM why is my flight late? ask @Schiphol, see https://t.co/x #fail")
    assert n.split()[0] == "why" and "fail" in n.split()  # the addressee is dropped, the hashtag keeps its word
    assert "xmention" in n and "xurl" in n  # other mentions and links become placeholders


async def test_uncertain_actionable_intent_falls_back_but_keeps_the_ranking(trained: EmbeddedBackend) -> None:
    text = "could you rebook me on the next flight please"
    sure = await trained.parse(text, "en")
    assert sure.intent.name == "rebook"
    saved = trained.action_threshold
    trained.action_threshold = min(1.0, sure.intent.confidence + 0.01)
    try:
        unsure = await trained.parse(text, "en")
        # a clarifying question instead of starting a rebooking: the candidates stay in the ranking
        assert unsure.intent.name == FALLBACK_INTENT
        assert [r.name for r in unsure.intent_ranking[:2]] == [FALLBACK_INTENT, "rebook"]
        # non-actionable intents are not held to the stricter threshold
        thanks = await trained.parse("bedankt!", "nl")
        assert thanks.intent.name == "thanks"
    finally:
        trained.action_threshold = saved


async def test_no_choice_when_nothing_is_on_offer(trained: EmbeddedBackend) -> None:
    offered = {"expecting": "option", "now": NOW,
               "options": [{"index": 1, "departure_local": "14:05"}, {"index": 2, "departure_local": "18:30"}]}
    assert (await trained.parse("the second one", "en", context=offered)).intent.name == "choose_option"
    p = await trained.parse("the second one", "en", context={"now": NOW})
    assert p.intent.name != "choose_option" and p.intent_ranking[0].name != "choose_option"


def test_names_only_in_annotations_are_no_known_words() -> None:
    from bot.nlu.embedded import names_only
    from bot.nlu.training_data import AnnotatedEntity, Example, TrainingData

    td = TrainingData("de", examples=[
        Example("läuft unter dem Namen Schröder", "provide_info",
                (AnnotatedEntity("last_name", 22, 30, "Schröder"),)),
        Example("Koch", "provide_info", (AnnotatedEntity("last_name", 0, 4, "Koch"),)),
        Example("der Koch hat gekocht", "out_of_scope"),
    ])
    assert names_only([td]) == frozenset({"schroder"})  # "Koch" is a word as well: it stays known


async def test_a_surname_from_the_training_data_is_still_a_surname(trained: EmbeddedBackend) -> None:
    # "Jansen" and "Vries" are annotated in the training data; that makes them no known word that is never a name
    for text in ("jansen", "sorry, it's jansen"):
        p = await trained.parse(text, "en", context={"now": NOW, "expecting": "last_name"})
        assert p.first("last_name") == "jansen", text
