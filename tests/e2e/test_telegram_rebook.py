"""A passenger rebooks over Telegram, end to end: webhook updates in, the whole bot (language detection, embedded
NLU, flows, demo airline), replies out through the real outbox dispatcher to a fake Bot API, buttons pressed as
callback queries."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.nlu.embedded import EmbeddedBackend
from bot.nlu.language import LanguageDetector
from bot.settings import Settings
from tests.channels.conftest import TelegramBot, running_bot, telegram_settings
from tests.fakes.telegram_api import FakeTelegramApi


@pytest.fixture(scope="session")
def nlu(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedBackend:
    backend = EmbeddedBackend(Settings(cache_dir=tmp_path_factory.mktemp("nlu-cache")))
    backend.load_or_train()
    return backend


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramApi]:
    async with FakeTelegramApi(enforce_limits=True) as server:  # refuses what the real API would refuse
        yield server


@pytest.fixture
async def bot(db_url: str, api: FakeTelegramApi, nlu: EmbeddedBackend) -> AsyncIterator[TelegramBot]:
    settings = telegram_settings(db_url, api)
    settings.demo_bookings, settings.demo_days, settings.seed_demo = 400, 5, True
    detector = LanguageDetector(settings.languages, settings.default_language)
    async for b in running_bot(settings, api, nlu=nlu, detector=detector):
        yield b


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m["text"] for m in messages)


def buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    markup = messages[-1].get("reply_markup") if messages else None
    return [b for row in (markup or {}).get("inline_keyboard", []) for b in row]


async def test_a_passenger_rebooks_over_telegram(bot: TelegramBot, api: FakeTelegramApi):
    adapter = bot.runtime.adapter
    ref, name = "X7K2PQ", "Jansen"  # the demo airline's showcase booking (in every seed)
    chat = 424242

    asked = await bot.say(chat, "I need to rebook my flight")
    assert asked and re.search(r"booking (reference|code)", texts(asked), re.I)  # in English
    await bot.say(chat, ref)
    found = await bot.say(chat, name)
    assert ref in texts(found)
    offer = await bot.say(chat, "as soon as possible")
    first_option = next(line for line in texts(offer).splitlines() if line.startswith("1."))
    chosen = re.findall(r"\b[A-Z]{2}\d{2,4}\b", first_option)
    options = buttons(offer)
    assert chosen and options and options[0]["text"] == "1"

    summary = await bot.press(chat, options[0]["callback_data"])  # the passenger taps "1"
    assert ref in texts(summary) and chosen[0] in texts(summary)
    assert (await adapter.get_booking(ref)).version == 1  # nothing changes before the "yes"
    yes = buttons(summary)[0]
    done = await bot.press(chat, yes["callback_data"])
    changed = await adapter.get_booking(ref)
    assert changed.version == 2 and [s.flight_number for s in changed.segments] == chosen
    assert chosen[0] in texts(done)

    assert len(api.calls_to("answerCallbackQuery")) == 2  # every tap answered
    assert api.limit_violations == 0  # never over 1 message a second to this chat
    assert all("parse_mode" not in m for m in api.sent(chat))
