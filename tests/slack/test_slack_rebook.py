"""A passenger rebooks by direct message to the Slack app, end to end: signed events in, the whole bot (language
detection, embedded NLU, flows, demo airline), replies out through the real outbox dispatcher to the fake Slack Web
API, options chosen with Block Kit buttons."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.nlu.embedded import EmbeddedBackend
from bot.nlu.language import LanguageDetector
from bot.settings import Settings
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.conftest import SlackBot, running_bot, slack_settings


@pytest.fixture(scope="session")
def nlu(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedBackend:
    backend = EmbeddedBackend(Settings(cache_dir=tmp_path_factory.mktemp("nlu-cache")))
    backend.load_or_train()
    return backend


@pytest.fixture
async def bot(db_url: str, api: FakeSlackApi, nlu: EmbeddedBackend) -> AsyncIterator[SlackBot]:
    api.rate_per_channel = 1.0  # refuses (429) what the real API would refuse
    settings = slack_settings(db_url, api)
    settings.demo_bookings, settings.demo_days, settings.seed_demo = 400, 5, True
    detector = LanguageDetector(settings.languages, settings.default_language)
    async for b in running_bot(settings, api, nlu=nlu, detector=detector):
        yield b


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m["text"] for m in messages)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]


async def test_a_passenger_rebooks_by_direct_message(bot: SlackBot, api: FakeSlackApi):
    adapter = bot.runtime.adapter
    ref, name = "X7K2PQ", "Jansen"  # the demo airline's showcase booking (in every seed)
    user = "U0PASSENGER"

    asked = await bot.say(user, "I need to rebook my flight")
    assert asked and re.search(r"booking (reference|code)", texts(asked), re.I)  # in English
    await bot.say(user, ref)
    found = await bot.say(user, name)
    assert ref in texts(found)
    offer = await bot.say(user, "as soon as possible")
    first_option = next(line for line in texts(offer).splitlines() if line.startswith("1."))
    chosen = re.findall(r"\b[A-Z]{2}\d{2,4}\b", first_option)
    options = buttons(offer[-1])
    assert chosen and options and options[0]["text"]["text"] == "1"

    summary = await bot.press(user, offer[-1], options[0]["action_id"])  # the passenger clicks "1"
    assert ref in texts(summary) and chosen[0] in texts(summary)
    assert (await adapter.get_booking(ref)).version == 1  # nothing changes before the "yes"
    done = await bot.press(user, summary[-1], buttons(summary[-1])[0]["action_id"])
    changed = await adapter.get_booking(ref)
    assert changed.version == 2 and [s.flight_number for s in changed.segments] == chosen
    assert chosen[0] in texts(done)
    assert api.limit_violations == 0  # never over Slack's pace for this DM
    assert all(m["mrkdwn"] is False for m in api.sent(user))
