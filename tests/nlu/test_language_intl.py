"""Russian, Turkish, Japanese and Chinese are detected on short real-looking messages; other languages stay
unsupported (answered in English and flagged)."""

from __future__ import annotations

import pytest

from bot.nlu.language import LanguageDetector
from bot.settings import SUPPORTED_LANGUAGES


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(SUPPORTED_LANGUAGES, "en")


def test_the_four_languages_are_supported() -> None:
    assert {"ru", "tr", "ja", "zh"} <= set(SUPPORTED_LANGUAGES)


@pytest.mark.parametrize(("text", "lang"), [
    ("рейс отменили, что делать?", "ru"),
    ("@DemoAir верните деньги", "ru"),
    ("да", "ru"),
    ("спасибо!", "ru"),
    ("uçuşum iptal oldu ne yapmalıyım", "tr"),
    ("ucusumu degistirmek istiyorum", "tr"),  # typed without Turkish letters
    ("rezervasyon kodum X7K2PQ, soyadım Conceição", "tr"),  # a Portuguese name does not make it Portuguese
    ("evet", "tr"),
    ("明日の便に変更したいです", "ja"),
    ("はい", "ja"),
    ("予約番号はX7K2PQです", "ja"),
    ("我想改签到明天", "zh"),
    ("我想改簽到明天", "zh"),  # Traditional
    ("好的", "zh"),
    ("谢谢", "zh"),
    ("бронь X7K2PQ, фамилия Conceição", "ru"),
])
def test_detected(detector: LanguageDetector, text: str, lang: str) -> None:
    d = detector.detect(text, None)
    assert (d.language, d.supported) == (lang, True)


@pytest.mark.parametrize("text", [
    "Мій рейс скасували, що робити?",  # Ukrainian
    "제 비행기가 취소됐어요",  # Korean
    "Η πτήση μου ακυρώθηκε, τι κάνω;",  # Greek
    "رحلتي ألغيت ماذا أفعل",  # Arabic
    "A járatomat törölték, mit tegyek?",  # Hungarian
])
def test_other_languages_stay_unsupported(detector: LanguageDetector, text: str) -> None:
    d = detector.detect(text, "ru")
    assert (d.language, d.supported) == ("en", False)


def test_a_code_or_a_number_keeps_the_conversation_language(detector: LanguageDetector) -> None:
    for lang in ("ru", "tr", "ja", "zh"):
        assert detector.detect("X7K2PQ", lang).language == lang
        assert detector.detect("2", lang).language == lang


def test_a_chinese_or_japanese_first_message_with_a_latin_code_and_name_is_answered_in_its_language(
        detector: LanguageDetector) -> None:
    # the Latin letters of "XMXPCR" and "de vries" outnumber the characters, but they are data, not English
    assert detector.detect_in_conversation("我的航班取消了嗎？訂位代號 XMXPCR 姓 de vries", None).language == "zh"
    assert detector.detect_in_conversation("予約番号 XMXPCR 名前 de vries です", None).language == "ja"
