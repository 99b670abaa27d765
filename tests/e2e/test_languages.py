"""Russian, Turkish, Japanese and Chinese through the REST channel, end to end: rebook and cancel a demo booking the
way a passenger writing in that language would (their own words for "as soon as possible", "the first one", "yes",
the booking reference and the Latin-script last name inside a sentence), answered in that language."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_acceptance import Bot, bot, sample, texts  # noqa: F401  (bot is a fixture)

# ask, when, which option, yes, "booking {ref}, last name {name}" in one message
SCRIPTS = {
    "ru": ("Здравствуйте, мой рейс отменили, хочу поменять рейс", "как можно скорее", "первый", "да",
           "бронь {ref}, фамилия {name}"),
    "tr": ("Merhaba, uçuşum iptal oldu, uçuşumu değiştirmek istiyorum", "en kısa sürede", "birincisi", "evet",
           "rezervasyon kodum {ref}, soyadım {name}"),
    "ja": ("欠航になったので便を変更したいです", "できるだけ早く", "1番目でお願いします", "はい",
           "予約番号は{ref}、名字は{name}です"),
    "zh": ("我的航班取消了，我想改签", "越快越好", "第一个", "是的", "预订号{ref}，姓{name}"),
}
CANCEL = {
    "ru": ("хочу отменить бронирование и вернуть деньги", "да"),
    "tr": ("rezervasyonumu iptal etmek istiyorum", "evet"),
    "ja": ("予約をキャンセルしたいです", "はい"),
    "zh": ("我想取消预订", "是的"),
}
# a word of each language's replies that English never uses: the bot answered in the passenger's language
SCRIPT_RE = {"ru": re.compile(r"[а-яё]"), "tr": re.compile(r"[ığşçöü]|rezervasyon|uçuş"),
             "ja": re.compile(r"[\u3040-\u30ff]"), "zh": re.compile(r"[\u4e00-\u9fff]")}


@pytest.mark.parametrize("language", list(SCRIPTS))
async def test_rebook_end_to_end_in_the_new_languages(bot: Bot, language: str):  # noqa: F811
    booking = await sample(bot, "simple change")
    ref, name = booking["reference"], booking["passengers"][0]["last_name"]
    ask, when, choice, yes, identify = SCRIPTS[language]
    sender = f"intl-{language}"

    asked = await bot.say(sender, ask)
    assert SCRIPT_RE[language].search(texts(asked)), texts(asked)
    found = await bot.say(sender, identify.format(ref=ref.lower(), name=name))
    assert ref in texts(found), texts(found)
    assert SCRIPT_RE[language].search(texts(found))
    offer = await bot.say(sender, when)
    first_option = next((line for line in texts(offer).splitlines() if line.startswith("1.")), "")
    chosen_flights = re.findall(r"\b[A-Z]{2}\d{2,4}\b", first_option)
    assert chosen_flights, texts(offer)
    summary = await bot.say(sender, choice)
    assert ref in texts(summary) and chosen_flights[0] in texts(summary), texts(summary)
    assert (await bot.runtime.adapter.get_booking(ref)).version == 1  # nothing changes before the "yes"

    done = await bot.say(sender, yes)
    changed = await bot.runtime.adapter.get_booking(ref)
    assert changed.version == 2, texts(done)
    assert [s.flight_number for s in changed.segments] == chosen_flights
    assert chosen_flights[0] in texts(done) and SCRIPT_RE[language].search(texts(done))


@pytest.mark.parametrize("language", list(CANCEL))
async def test_cancel_end_to_end_in_the_new_languages(bot: Bot, language: str):  # noqa: F811
    booking = await sample(bot, "accented name")
    ref, name = booking["reference"], booking["passengers"][0]["last_name"]
    ask, yes = CANCEL[language]
    sender = f"intl-cancel-{language}"
    first = await bot.say(sender, ask)
    assert SCRIPT_RE[language].search(texts(first)), texts(first)
    await bot.say(sender, ref)
    replies = await bot.say(sender, name)
    assert ref in texts(replies), texts(replies)
    replies = await bot.say(sender, yes)
    for _ in range(3):  # the fare's options (refund / voucher) may be asked first; pick the first offered
        if (await bot.runtime.adapter.get_booking(ref)).status == "cancelled":
            break
        buttons = replies[-1].get("buttons") if replies else None
        replies = await bot.say(sender, buttons[0]["payload"] if buttons else yes)
    assert (await bot.runtime.adapter.get_booking(ref)).status == "cancelled"
    assert SCRIPT_RE[language].search(texts(replies)), texts(replies)


async def test_traditional_chinese_is_understood(bot: Bot):  # noqa: F811
    replies = await bot.say("intl-hant", "我的航班取消了，我想改簽到明天")
    # asks for the booking code, in Chinese
    assert "X7K2PQ" in texts(replies) and SCRIPT_RE["zh"].search(texts(replies))
