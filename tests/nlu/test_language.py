from __future__ import annotations

import pytest

from bot.nlu.language import LanguageDetector
from bot.settings import SUPPORTED_LANGUAGES


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(SUPPORTED_LANGUAGES, "en")


@pytest.mark.parametrize(("text", "lang"), [
    ("my flight to London was cancelled, can you rebook me tomorrow?", "en"),
    ("mijn vlucht naar Londen is geannuleerd, kunt u mij omboeken?", "nl"),
    ("mon vol pour Londres a été annulé, pouvez-vous me réserver demain ?", "fr"),
    ("mein Flug nach London wurde gestrichen, können Sie mich umbuchen?", "de"),
    ("mi vuelo a Londres fue cancelado, ¿me pueden cambiar a mañana?", "es"),
    ("il mio volo per Londra è stato cancellato, potete spostarmi a domani?", "it"),
    ("o meu voo para Londres foi cancelado, podem remarcar para amanhã?", "pt"),
    ("mój lot do Londynu został odwołany, czy możecie przebukować mnie na jutro?", "pl"),
    ("mitt flyg till London är inställt, kan ni boka om mig till i morgon?", "sv"),
    ("mit fly til London er aflyst, kan I booke mig om til i morgen?", "da"),
])
def test_supported_languages_are_detected(detector: LanguageDetector, text: str, lang: str) -> None:
    d = detector.detect(text, None)
    assert (d.language, d.supported, d.confident) == (lang, True, True)


@pytest.mark.parametrize("text", ["ok", "ja", "KL1234", "ABC123", "2", "👍👍", "@KLM", "https://t.co/x", "  ", ""])
def test_short_messages_keep_the_conversation_language(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text, "nl").language == "nl"
    assert detector.detect(text, "de").language == "de"
    d = detector.detect(text, None)
    assert d.language == "en" and not d.confident


def test_a_short_but_telling_word_switches_language(detector: LanguageDetector) -> None:
    assert detector.detect("merci", "en").language == "fr"
    assert detector.detect("bedankt!", None).language == "nl"
    # "ja" is Dutch, German, Swedish and Danish: the current language wins
    assert detector.detect("ja", "sv").language == "sv"


def test_noise_is_stripped_before_detecting(detector: LanguageDetector) -> None:
    d = detector.detect("@KLM #vlucht KL1234 ABC123 https://klm.com/x is geannuleerd, wat nu?", "en")
    assert d.language == "nl"


@pytest.mark.parametrize("text", [
    "A járatomat törölték, át tudnának foglalni holnapra?",
    "Мій рейс скасували, чи можете перебронювати мене на завтра?",
    "제 항공편이 취소되었어요, 내일로 다시 예약해 주실 수 있나요?",
    "Ο πτήση μου ακυρώθηκε, μπορείτε να με κλείσετε για αύριο;",
])
def test_unsupported_language_is_flagged_and_answered_in_english(detector: LanguageDetector, text: str) -> None:
    d = detector.detect(text, "nl")
    assert (d.language, d.supported) == ("en", False)


def test_bad_input_never_raises(detector: LanguageDetector) -> None:
    for text in ("\x00\x01\x02" * 50, "a" * 20_000, b"\xff\xfe binary", "\ud800 lone surrogate", None):
        d = detector.detect(text, "fr")  # type: ignore[arg-type]
        assert d.language in SUPPORTED_LANGUAGES


def test_domain_model_from_the_training_data_helps(nlu_settings) -> None:
    from bot.nlu import build_language_detector

    detector = build_language_detector(nlu_settings)
    assert detector.domain_model is not None and set(detector.domain_model.classes) == {"en", "nl"}
    assert list((nlu_settings.cache_dir / "nlu").glob("langid-*.pickle"))
    # cached: a second build does not retrain
    again = build_language_detector(nlu_settings)
    assert again.domain_model.digest == detector.domain_model.digest
    d = detector.detect("ik wil mijn vlucht annuleren en mijn geld terug", "en")
    assert (d.language, d.supported) == ("nl", True)


# ---- the conversation's language ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("current", "text"), [
    ("en", "van Dijk"), ("en", "Giordano"), ("en", "Maria Bianchi"), ("en", "yes"), ("it", "yes"), ("nl", "yes"),
    ("nl", "sorry het is ABC124"), ("en", "sorry het is ABC124"), ("en", "si grazie"), ("nl", "si grazie"),
    ("de", "Kowalski"), ("fr", "Yılmaz"), ("es", "Иванов"), ("sv", "王伟"), ("da", "Zhang Wei"), ("pl", "de Vries"),
    ("pt", "Müller"), ("en", "vrijdag"), ("nl", "friday"), ("it", "merci"), ("de", "ok"), ("en", "ja"), ("es", "1"),
    ("nl", "KL1234"), ("en", "15 maart"), ("fr", "dos Santos"),
])
def test_a_settled_conversation_keeps_its_language(detector: LanguageDetector, current: str, text: str) -> None:
    d = detector.detect_in_conversation(text, current, settled=True)
    assert (d.language, d.supported) == (current, True)


@pytest.mark.parametrize(("current", "text", "expected"), [
    ("en", "ik wil mijn vlucht omboeken naar vrijdag", "nl"),
    ("nl", "sorry, can we speak English? I need to change my flight", "en"),
    ("de", "je voudrais changer mon vol pour demain", "fr"),
    ("pl", "quiero cambiar mi vuelo para mañana por favor", "es"),
])
def test_a_few_clear_words_of_another_language_change_it(
    detector: LanguageDetector, current: str, text: str, expected: str
) -> None:
    assert detector.detect_in_conversation(text, current, settled=True).language == expected


def test_the_first_message_with_enough_text_settles_the_language(detector: LanguageDetector) -> None:
    first = detector.detect_in_conversation("hoi", None)
    assert (first.language, first.settled) == ("nl", False)  # a greeting: answered in Dutch, not settled yet
    assert detector.detect_in_conversation("I want to rebook", "nl", settled=False).language == "en"
    d = detector.detect_in_conversation("ik wil mijn vlucht omboeken", None)
    assert (d.language, d.settled) == ("nl", True)
    # a name or a code alone sets nothing
    assert detector.detect_in_conversation("Giordano", None).language == "en"
    assert detector.detect_in_conversation("ABC123", None).language == "en"


def test_a_clear_message_in_an_unsupported_language_is_still_flagged(detector: LanguageDetector) -> None:
    d = detector.detect_in_conversation("Η πτήση μου ακυρώθηκε, μπορείτε να με κλείσετε για αύριο;", "nl",
                                        settled=True)
    assert (d.language, d.supported) == ("en", False)
    d = detector.detect_in_conversation("Ελένη", "nl", settled=True)  # a name in its own script: no flag
    assert (d.language, d.supported) == ("nl", True)


@pytest.mark.parametrize(("text", "expected"), [
    ("Мой рейс отменили, можете перебронировать меня на завтра?", "ru"),
    ("我的航班被取消了，可以帮我改签到明天吗？", "zh"),
])
def test_a_clear_message_in_a_script_language_changes_it(detector: LanguageDetector, text: str, expected: str) -> None:
    if expected not in detector.languages:
        pytest.skip(f"{expected} is not supported")
    assert detector.detect_in_conversation(text, "nl", settled=True).language == expected
