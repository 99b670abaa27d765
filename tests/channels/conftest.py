"""Fixtures for the platform channels: local fake APIs and a bot (pipeline with small stand-ins) behind them."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings, TelegramSettings
from tests.fakes.parts import CountingEngine, KeywordNLU, NoReservations, PrefixDetector
from tests.fakes.telegram_api import TOKEN, FakeTelegramApi

SECRET = "s3cret-token_for-tests"


async def eventually(condition: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    """Wait until ``condition()`` holds (bounded: fails after ``within`` seconds)."""
    async with asyncio.timeout(within):
        for _ in itertools.count():
            if await condition():
                return
            await asyncio.sleep(0.05)


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramApi]:
    async with FakeTelegramApi() as server:
        yield server


def telegram_settings(db_url: str, api: FakeTelegramApi, **telegram: Any) -> Settings:
    return Settings(
        database_url=db_url, seed_demo=False, outbox_idle_seconds=0.05,
        telegram=TelegramSettings(token=TOKEN, secret_token=SECRET, base_url=api.base_url, **telegram),
    )


class TelegramBot:
    """The whole app (webhook route, pipeline, outbox dispatcher running in the background) behind the fake API."""

    def __init__(self, runtime: Runtime, client: httpx.AsyncClient, api: FakeTelegramApi) -> None:
        self.runtime, self.client, self.api = runtime, client, api

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.client.post("/webhooks/telegram", json=update, headers=headers)

    async def settle(self, chat_id: int, within: float = 20.0) -> None:
        """Wait until everything for this chat in the outbox is delivered (or given up)."""
        store = self.runtime.store

        async def settled() -> bool:
            return not await store.pending_for_recipient("telegram", str(chat_id))

        await eventually(settled, within)

    async def say(self, chat_id: int, text: str) -> list[dict[str, Any]]:
        """The passenger writes; returns what the bot sent to that chat in answer."""
        before = len(self.api.sent(chat_id))
        r = await self.post(self.api.message_update(chat_id, text))
        assert r.status_code == 200, r.text
        await self.settle(chat_id)
        return self.api.sent(chat_id)[before:]

    async def press(self, chat_id: int, data: str) -> list[dict[str, Any]]:
        before = len(self.api.sent(chat_id))
        r = await self.post(self.api.callback_update(chat_id, data))
        assert r.status_code == 200, r.text
        await self.settle(chat_id)
        return self.api.sent(chat_id)[before:]


async def running_bot(settings: Settings, api: FakeTelegramApi, **parts: Any) -> AsyncIterator[TelegramBot]:
    rt = Runtime(settings, **parts)
    app = create_app(rt)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
        yield TelegramBot(rt, c, api)


@pytest.fixture
async def tbot(db_url: str, api: FakeTelegramApi) -> AsyncIterator[TelegramBot]:
    parts = {"nlu": KeywordNLU(), "detector": PrefixDetector(), "dialogue": CountingEngine(),
             "adapter": NoReservations()}
    async for b in running_bot(telegram_settings(db_url, api), api, **parts):
        yield b
