"""A passenger rebooks over X, end to end: a public mention first (answered publicly without the booking code), then
direct messages through the whole bot (language detection, embedded NLU, flows, demo airline), replies out through
the real outbox dispatcher to the fake X API v2."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.nlu.embedded import EmbeddedBackend
from bot.nlu.language import LanguageDetector
from bot.settings import Settings
from tests.fakes.x_api import FakeXApi, new_id
from tests.x.conftest import XBot, mention_event, running_bot, x_settings

PASSENGER = "2900000000000000077"


@pytest.fixture(scope="session")
def nlu(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedBackend:
    backend = EmbeddedBackend(Settings(cache_dir=tmp_path_factory.mktemp("nlu-cache")))
    backend.load_or_train()
    return backend


@pytest.fixture
async def bot(db_url: str, api: FakeXApi, nlu: EmbeddedBackend) -> AsyncIterator[XBot]:
    settings = x_settings(db_url, api)
    settings.demo_bookings, settings.demo_days, settings.seed_demo = 400, 5, True
    detector = LanguageDetector(settings.languages, settings.default_language)
    async for b in running_bot(settings, api, nlu=nlu, detector=detector):
        yield b


async def test_a_passenger_rebooks_over_x_by_direct_message(bot: XBot, api: FakeXApi):
    adapter = bot.runtime.adapter
    ref, name = "X7K2PQ", "Jansen"  # the demo airline's showcase booking (in every seed)

    tweet = new_id()
    r = await bot.post(mention_event(PASSENGER, f"@crisisair I need to rebook my flight, booking {ref}",
                                     tweet_id=tweet))
    assert r.status_code == 200
    await bot.settle(PASSENGER)
    public = api.replies_to(tweet)
    assert len(public) == 1 and ref not in public[0]["text"] and "DM" in public[0]["text"]
    asked = "\n".join(api.dms_to(PASSENGER))
    assert re.search(r"(last|family|sur)\s?name", asked, re.I), asked  # the ask and the code were understood

    found = "\n".join(await bot.dm(PASSENGER, name))
    assert ref in found  # by DM, the booking may be named
    offer = "\n".join(await bot.dm(PASSENGER, "as soon as possible"))
    first_option = next(line for line in offer.splitlines() if line.startswith("1."))
    chosen = re.findall(r"\b[A-Z]{2}\d{2,4}\b", first_option)
    assert chosen

    summary = "\n".join(await bot.dm(PASSENGER, "1"))
    assert ref in summary and chosen[0] in summary
    assert (await adapter.get_booking(ref)).version == 1  # nothing changes before the "yes"
    done = "\n".join(await bot.dm(PASSENGER, "yes"))
    changed = await adapter.get_booking(ref)
    assert changed.version == 2 and [s.flight_number for s in changed.segments] == chosen
    assert chosen[0] in done
    assert len(api.tweets) == 1  # the only public post was the short reply to the mention
