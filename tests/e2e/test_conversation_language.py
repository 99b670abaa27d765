"""The conversation's language, tried as a new user would, through the REST channel: set by the first message with
enough text, never changed by a name, a code, a date, a number or a short answer, changed when the passenger clearly
writes in another language."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.app import create_app
from bot.nlu.embedded import EmbeddedBackend
from bot.nlu.language import LanguageDetector
from bot.runtime import Runtime
from bot.settings import Settings
from tests.e2e import language_conversations as lc


class Chat:
    def __init__(self, runtime: Runtime, client: httpx.AsyncClient) -> None:
        self.runtime, self.client = runtime, client

    async def say(self, sender: str, text: str) -> list[dict]:
        r = await self.client.post("/webhooks/rest/webhook",
                                   json={"sender": sender, "message": text, "message_id": uuid.uuid4().hex})
        assert r.status_code == 200, r.text
        return r.json()

    async def language_of(self, sender: str) -> str | None:
        conv = await self.runtime.store.find_conversation("rest", sender)
        return conv.language if conv else None


@pytest.fixture
async def chat(tmp_path, nlu: EmbeddedBackend, detector: LanguageDetector) -> AsyncIterator[Chat]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/lang.db", demo_bookings=50, demo_days=2)
    rt = Runtime(settings, nlu=nlu, detector=detector)
    app = create_app(rt)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                   base_url="http://bot") as c:
        yield Chat(rt, c)


async def test_names_codes_dates_and_short_answers_never_change_the_language(chat: Chat):
    languages = chat.runtime.settings.languages
    switches, total = await lc.run(languages, chat.say, chat.language_of)
    assert total > 40 * len(languages)
    assert switches == [], f"{len(switches)} of {total} turns changed the conversation's language"


@pytest.mark.parametrize(("first", "then", "reply_word"), [
    ("I need to rebook my flight", "van Dijk", "booking reference"),
    ("ik wil mijn vlucht omboeken", "sorry het is ZZ9ZZ9", "achternaam"),
    ("vorrei cambiare il mio volo", "yes", "codice"),
])
async def test_the_reply_stays_in_the_conversation_language(chat: Chat, first: str, then: str, reply_word: str):
    await chat.say("p", first)
    replies = await chat.say("p", then)
    assert reply_word in " ".join(r["text"] for r in replies).lower()


@pytest.mark.parametrize(("first", "then", "switched_to"), [
    ("I need to rebook my flight", "sorry, mag ik in het Nederlands verder? ik wil mijn vlucht omboeken", "nl"),
    ("ik wil mijn vlucht omboeken", "can we continue in English please, I want to change my flight", "en"),
    ("ich möchte meinen Flug umbuchen", "je préfère parler français, je voudrais changer mon vol", "fr"),
    ("hi", "hoi, ik wil omboeken", "nl"),  # a greeting alone does not settle the language
    ("X7K2PQ", "bonjour, je veux changer mon vol", "fr"),  # nor does a code
])
async def test_a_passenger_who_clearly_writes_another_language_is_answered_in_it(
    chat: Chat, first: str, then: str, switched_to: str
):
    await chat.say("s", first)
    await chat.say("s", then)
    assert await chat.language_of("s") == switched_to


@pytest.mark.parametrize("first", ["Giordano", "van Dijk", "Kowalski", "ABC123", "1", "ok"])
async def test_a_name_or_a_code_alone_does_not_set_the_language(chat: Chat, first: str):
    await chat.say("f", first)
    assert await chat.language_of("f") == "en"
