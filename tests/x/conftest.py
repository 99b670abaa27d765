"""Fixtures for the X channel: the fake X API v2 on 127.0.0.1 and the whole app (webhook route, pipeline, outbox
dispatcher in the background) behind it."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from bot.app import create_app
from bot.channels.x import XChannel, signature
from bot.runtime import Runtime
from bot.settings import Settings, XSettings
from tests.fakes.parts import CountingEngine, KeywordNLU, NoReservations, PrefixDetector
from tests.fakes.x_api import ACCOUNT_ID, FakeXApi, new_id

CONSUMER_SECRET = "consumer-secret-for-tests"


async def eventually(condition: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    """Wait until ``condition()`` holds (bounded: fails after ``within`` seconds)."""
    async with asyncio.timeout(within):
        for _ in itertools.count():
            if await condition():
                return
            await asyncio.sleep(0.05)


@pytest.fixture
async def api() -> AsyncIterator[FakeXApi]:
    async with FakeXApi() as server:
        yield server


def x_settings(db_url: str, api: FakeXApi, **x: Any) -> Settings:
    x.setdefault("dms_per_15min", 9000)  # 10/s: the tests' pace, not a real tier's
    return Settings(
        database_url=db_url, seed_demo=False, outbox_idle_seconds=0.05,
        x=XSettings(consumer_key="ck", consumer_secret=CONSUMER_SECRET, access_token="at",
                    access_token_secret="ats", base_url=api.url, **x),
    )


def dm_event(sender: str, text: str, event_id: str | None = None) -> dict[str, Any]:
    return {"for_user_id": ACCOUNT_ID, "direct_message_events": [{
        "type": "message_create", "id": event_id or new_id(), "created_timestamp": "1700000000000",
        "message_create": {"target": {"recipient_id": ACCOUNT_ID}, "sender_id": sender,
                           "message_data": {"text": text, "entities": {}}}}]}


def mention_event(author: str, text: str, tweet_id: str | None = None, name: str = "Passenger") -> dict[str, Any]:
    return {"for_user_id": ACCOUNT_ID, "tweet_create_events": [{
        "id_str": tweet_id or new_id(), "text": text,
        "user": {"id_str": author, "name": name, "screen_name": f"u{author}"},
        "entities": {"user_mentions": [{"id_str": ACCOUNT_ID, "screen_name": "crisisair"}]}}]}


class XBot:
    def __init__(self, runtime: Runtime, client: httpx.AsyncClient, api: FakeXApi) -> None:
        self.runtime, self.client, self.api = runtime, client, api

    @property
    def channel(self) -> XChannel:
        ch = self.runtime.channels["x"]
        assert isinstance(ch, XChannel)
        return ch

    async def post(self, event: dict[str, Any], secret: str | None = CONSUMER_SECRET,
                   sig: str | None = None) -> httpx.Response:
        body = json.dumps(event).encode()
        headers = {"content-type": "application/json"}
        if sig is not None:
            headers["x-twitter-webhooks-signature"] = sig
        elif secret is not None:
            headers["x-twitter-webhooks-signature"] = signature(secret, body)
        return await self.client.post("/webhooks/x", content=body, headers=headers)

    async def settle(self, recipient: str, within: float = 20.0) -> None:
        store = self.runtime.store

        async def settled() -> bool:
            return not await store.pending_for_recipient("x", recipient)

        await eventually(settled, within)

    async def dm(self, user: str, text: str) -> list[str]:
        """The passenger sends a DM; returns the DMs the bot sent back."""
        before = len(self.api.dms_to(user))
        r = await self.post(dm_event(user, text))
        assert r.status_code == 200, r.text
        await self.settle(user)
        return self.api.dms_to(user)[before:]


async def running_bot(settings: Settings, api: FakeXApi, **parts: Any) -> AsyncIterator[XBot]:
    rt = Runtime(settings, **parts)
    app = create_app(rt)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
        yield XBot(rt, c, api)


def stand_ins() -> dict[str, Any]:
    return {"nlu": KeywordNLU(), "detector": PrefixDetector(), "dialogue": CountingEngine(),
            "adapter": NoReservations()}


@pytest.fixture
async def xbot(db_url: str, api: FakeXApi) -> AsyncIterator[XBot]:
    async for b in running_bot(x_settings(db_url, api), api, **stand_ins()):
        yield b
