"""Entities in Russian, Turkish, Japanese and Chinese, in messages written the way passengers write them.

NOW is Monday 23 November 2026: tomorrow is the 24th, the day after the 25th, Friday the 27th, next week's Friday
the 4th of December.
"""

from __future__ import annotations

import pytest

from bot.nlu.entities import EntityExtractor
from bot.reservations.sql.normalise import names_match

from .conftest import NOW

CTX = {"now": NOW}
OFFER = {"now": NOW, "expecting": "option",
         "options": [{"index": 1, "flight_numbers": ["KL1234"], "departure_local": "08:10"},
                     {"index": 2, "flight_numbers": ["KL1236"], "departure_local": "14:05"},
                     {"index": 3, "flight_numbers": ["KL1238"], "departure_local": "19:40"}]}


@pytest.fixture(scope="module")
def x() -> EntityExtractor:
    return EntityExtractor()


def found(x: EntityExtractor, text: str, lang: str, kind: str, ctx: dict | None = None) -> list:
    return [e.value for e in x.extract(text, lang, CTX if ctx is None else ctx) if e.entity == kind]


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("ru", "можно улететь завтра?", ["2026-11-24"]),
    ("ru", "Перенесите на послезавтра, пожалуйста", ["2026-11-25"]),
    ("ru", "а в пятницу есть рейс?", ["2026-11-27"]),
    ("ru", "нужно вылететь в следующую среду", ["2026-11-25"]),
    ("ru", "хочу лететь 5 декабря", ["2026-12-05"]),
    ("ru", "на 28.11 есть места?", ["2026-11-28"]),
    ("ru", "завтрашний рейс отменили", ["2026-11-24"]),
    ("tr", "yarın uçabilir miyim?", ["2026-11-24"]),
    ("tr", "cuma günü bir uçuş var mı", ["2026-11-27"]),
    ("tr", "beni cumaya alın", ["2026-11-27"]),
    ("tr", "yarından sonra olur", ["2026-11-25"]),
    ("tr", "öbür gün sabah", ["2026-11-25"]),
    ("tr", "haftaya cuma gitmek istiyorum", ["2026-12-04"]),
    ("tr", "5 Aralık'ta uçmak istiyorum", ["2026-12-05"]),
    ("tr", "28.11 tarihine", ["2026-11-28"]),
    ("ja", "明日の便はありますか", ["2026-11-24"]),
    ("ja", "明後日にしてください", ["2026-11-25"]),
    ("ja", "金曜日に乗りたいです", ["2026-11-27"]),
    ("ja", "来週の金曜日でお願いします", ["2026-12-04"]),
    ("ja", "12月5日に変更したい", ["2026-12-05"]),
    ("ja", "１２月５日", ["2026-12-05"]),  # full-width digits
    ("ja", "12/5の便", ["2026-12-05"]),  # month first
    ("zh", "我想明天走", ["2026-11-24"]),
    ("zh", "后天可以吗", ["2026-11-25"]),
    ("zh", "後天可以嗎", ["2026-11-25"]),  # Traditional
    ("zh", "周五的航班", ["2026-11-27"]),
    ("zh", "星期五有没有", ["2026-11-27"]),
    ("zh", "礼拜五", ["2026-11-27"]),
    ("zh", "改到下周五", ["2026-12-04"]),
    ("zh", "12月5号的飞机", ["2026-12-05"]),
    ("zh", "12/5走", ["2026-12-05"]),
])
def test_dates(x: EntityExtractor, lang: str, text: str, expected: list) -> None:
    assert found(x, text, lang, "date") == expected


@pytest.mark.parametrize(("lang", "text"), [
    ("ru", "завтрак включён?"),  # breakfast, not tomorrow
    ("ru", "хочу второй завтрак"),
    ("tr", "pazarlık yapabilir miyiz"),  # bargaining, not Sunday
    ("ja", "一番早い便でお願いします"),  # the earliest flight: no date, no option
    ("zh", "等了6个小时"),
])
def test_no_false_dates(x: EntityExtractor, lang: str, text: str) -> None:
    assert found(x, text, lang, "date") == []


@pytest.mark.parametrize(("lang", "text", "ref"), [
    ("ru", "бронь x7k2pq, хочу поменять рейс", "X7K2PQ"),
    ("tr", "rezervasyon kodum HB4TZM", "HB4TZM"),
    ("ja", "予約番号はX7K2PQです", "X7K2PQ"),
    ("zh", "我的预订号是hb4tzm，谢谢", "HB4TZM"),
])
def test_booking_references(x: EntityExtractor, lang: str, text: str, ref: str) -> None:
    assert found(x, text, lang, "booking_reference") == [ref]


@pytest.mark.parametrize(("lang", "text", "flight"), [
    ("ru", "рейс KL1234 задерживается?", "KL1234"),
    ("tr", "TK1952 iptal mi", "TK1952"),
    ("ja", "KL1234便は遅れていますか", "KL1234"),
    ("zh", "KL1234航班延误了吗", "KL1234"),
])
def test_flight_numbers(x: EntityExtractor, lang: str, text: str, flight: str) -> None:
    assert found(x, text, lang, "flight_number") == [flight]


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("ru", "лечу из Москвы в Амстердам", [("SVO", "origin"), ("AMS", "destination")]),
    ("ru", "застряла в Лондоне, помогите", [("LHR", "origin")]),
    ("ru", "нужен рейс до Праги", [("PRG", "destination")]),
    ("tr", "İstanbul'dan Londra'ya uçuş", [("IST", "origin"), ("LHR", "destination")]),
    ("tr", "Amsterdam'a gitmem lazım", [("AMS", "destination")]),
    ("ja", "パリから東京まで", [("CDG", "origin"), ("NRT", "destination")]),
    ("ja", "ロンドン行きの便", [("LHR", "destination")]),
    ("zh", "从巴黎飞北京", [("CDG", "origin"), ("PEK", "destination")]),
    ("zh", "我被困在伦敦了", [("LHR", "origin")]),
    ("zh", "去阿姆斯特丹的航班", [("AMS", "destination")]),
])
def test_airports_with_roles(x: EntityExtractor, lang: str, text: str, expected: list) -> None:
    got = [(e.value, e.role) for e in x.extract(text, lang, CTX) if e.entity == "airport"]
    assert got == expected


@pytest.mark.parametrize(("lang", "text", "name"), [
    ("ru", "фамилия Иванов", "Иванов"),
    ("ru", "моя фамилия Jansen, бронь X7K2PQ", "Jansen"),
    ("ru", "меня зовут Анна Смирнова", "Смирнова"),
    ("tr", "soyadım Yılmaz", "Yılmaz"),
    ("tr", "rezervasyon X7K2PQ soyadı Jansen", "Jansen"),
    ("tr", "adım Mehmet Öztürk", "Öztürk"),
    ("ja", "名字はTanakaです", "Tanaka"),
    ("ja", "姓は佐藤です", "佐藤"),
    ("zh", "我姓王", "王"),
    ("zh", "姓 王", "王"),
    ("zh", "名字是 Wang Fang", "Wang"),  # Chinese order: the family name first
    ("zh", "预订号X7K2PQ，姓Jansen", "Jansen"),
    ("zh", "我的航班取消了嗎？訂位代號 XMXPCR 姓 de vries", "de vries"),  # a particle belongs to the surname
])
def test_last_names(x: EntityExtractor, lang: str, text: str, name: str) -> None:
    assert found(x, text, lang, "last_name") == [name]


@pytest.mark.parametrize(("lang", "text", "name"), [
    ("ru", "Иванова", "Иванова"), ("tr", "Yılmaz", "Yılmaz"), ("ja", "田中です", "田中"), ("zh", "王", "王"),
    ("ru", "Jansen", "Jansen"), ("zh", "Jansen", "Jansen"),
])
def test_a_short_answer_to_the_name_question_is_the_name(x: EntityExtractor, lang: str, text: str, name: str) -> None:
    assert found(x, text, lang, "last_name", {"now": NOW, "expecting": "last_name"}) == [name]


@pytest.mark.parametrize(("typed", "stored"), [("Иванов", "Ivanov"), ("Смирнова", "SMIRNOVA"), ("王", "Wang"),
                                               ("張", "Zhang"), ("Yılmaz", "Yilmaz"), ("Щукин", "Shchukin")])
def test_names_in_their_own_script_match_the_booking(typed: str, stored: str) -> None:
    assert names_match(typed, stored)


@pytest.mark.parametrize(("lang", "text", "option"), [
    ("ru", "второй", 2), ("ru", "давайте третий вариант", 3), ("ru", "вариант 1", 1), ("ru", "последний", 3),
    ("tr", "ikincisi", 2), ("tr", "ilkini alayım", 1), ("tr", "3. seçenek", 3),
    ("ja", "2番目", 2), ("ja", "3つ目でお願いします", 3), ("ja", "1でお願いします", 1),
    ("zh", "第二个", 2), ("zh", "第三個", 3), ("zh", "选1", 1), ("zh", "最后一个", 3),
])
def test_options(x: EntityExtractor, lang: str, text: str, option: int) -> None:
    assert found(x, text, lang, "option", OFFER) == [option]


@pytest.mark.parametrize(("lang", "text"), [
    ("ru", "хочу первый рейс завтра"),  # a wish, nothing on offer
    ("ru", "можно взять второй чемодан?"),
    ("tr", "ikinci bavul alabilir miyim"),
    ("ja", "一番早い便"),
    ("zh", "等了3个小时"),
])
def test_no_option_when_nothing_is_on_offer(x: EntityExtractor, lang: str, text: str) -> None:
    assert found(x, text, lang, "option") == []


@pytest.mark.parametrize(("lang", "text"), [
    ("ja", "はい"), ("ja", "ありがとう"), ("ja", "すみません"), ("zh", "是的"), ("zh", "谢谢"), ("zh", "好的！"),
    ("zh", "不知道"),
])
def test_yes_thanks_and_sorry_are_no_name_when_asked_for_one(x: EntityExtractor, lang: str, text: str) -> None:
    # each of these would be tried as the last name and cost one of the limited attempts
    assert found(x, text, lang, "last_name", {"now": NOW, "expecting": "last_name"}) == []


@pytest.mark.parametrize(("lang", "text", "name"), [("zh", "王", "王"), ("zh", "谢", "谢"), ("ja", "山田です", "山田")])
def test_short_names_are_still_names(x: EntityExtractor, lang: str, text: str, name: str) -> None:
    assert found(x, text, lang, "last_name", {"now": NOW, "expecting": "last_name"}) == [name]


@pytest.mark.parametrize(("typed", "stored"), [("Hof", "van 't Hof"), ("'t Hof", "van 't Hof"),
                                               ("van 't Hof", "van 't Hof"), ("Vries", "de Vries"),
                                               ("Gravesande", "'s-Gravesande")])
def test_dutch_names_without_their_particles_match_the_booking(typed: str, stored: str) -> None:
    assert names_match(typed, stored)


def test_a_particle_alone_matches_no_name() -> None:
    assert not names_match("t", "van 't Hof") and not names_match("van", "van 't Hof")
