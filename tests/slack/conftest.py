"""A whole bot with the Slack channel on, against the local fake Slack Web API; requests signed like Slack signs
them (v0 HMAC-SHA256 of ``v0:timestamp:body`` with the signing secret, computed by slack-sdk's SignatureVerifier)."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings, SlackSettings
from tests.fakes.parts import CountingEngine, KeywordNLU, NoReservations, PrefixDetector
from tests.fakes.slack_api import FakeSlackApi

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test-token"
QUEUE = "CQUEUE"


def slack_settings(db_url: str, api: FakeSlackApi, **slack: Any) -> Settings:
    values: dict[str, Any] = {"bot_token": TOKEN, "signing_secret": SECRET, "base_url": api.base_url,
                              "queue_channel": QUEUE, **slack}
    return Settings(database_url=db_url, slack=SlackSettings(**values), outbox_idle_seconds=0.05)


def signed_headers(body: bytes, *, secret: str = SECRET, timestamp: int | None = None,
                   content_type: str = "application/json") -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
            "Content-Type": content_type}


class SlackBot:
    def __init__(self, runtime: Runtime, client: httpx.AsyncClient, api: FakeSlackApi) -> None:
        self.runtime, self.client, self.api = runtime, client, api
        self._n = 0

    def event(self, user: str, text: str, *, channel: str | None = None, channel_type: str = "im",
              thread_ts: str | None = None) -> dict[str, Any]:
        self._n += 1
        ts = f"1800000000.{self._n:06d}"
        event: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts,
                                 "channel": channel or f"D{user}", "channel_type": channel_type,
                                 "client_msg_id": f"cm-{self._n}-{time.monotonic_ns()}", "event_ts": ts}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return {"token": "legacy", "team_id": "T0AIRLINE", "api_app_id": "A1", "type": "event_callback",
                "event_id": f"Ev{self._n:08d}{time.monotonic_ns() % 10**6}", "event_time": int(time.time()),
                "event": event}

    async def post_event(self, envelope: dict[str, Any], *, retry: int | None = None,
                         headers: dict[str, str] | None = None) -> httpx.Response:
        body = json.dumps(envelope).encode()
        h = signed_headers(body) if headers is None else headers
        if retry:
            h = {**h, "X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.client.post("/webhooks/slack/events", content=body, headers=h)

    async def post_form(self, path: str, form: dict[str, str]) -> httpx.Response:
        body = urllib.parse.urlencode(form).encode()
        return await self.client.post(path, content=body,
                                      headers=signed_headers(body, content_type="application/x-www-form-urlencoded"))

    async def click(self, user: str, message: dict[str, Any], action_id: str, *, channel: str | None = None
                    ) -> httpx.Response:
        button = next(e for b in message.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]
                      if e["action_id"] == action_id)
        self._n += 1
        payload = {"type": "block_actions", "user": {"id": user, "username": user.lower()},
                   "api_app_id": "A1", "team": {"id": "T0AIRLINE"}, "trigger_id": f"tr{self._n}",
                   "channel": {"id": channel or f"D{user}"}, "container": {"type": "message",
                                                                          "message_ts": message["ts"]},
                   "message": {"ts": message["ts"], "text": message.get("text", "")},
                   "response_url": "http://127.0.0.1:9/none",
                   "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": button["value"],
                                "text": button["text"], "action_ts": f"1800000001.{self._n:06d}"}]}
        return await self.post_form("/webhooks/slack/interactive", {"payload": json.dumps(payload)})

    async def command(self, user: str, text: str) -> httpx.Response:
        return await self.post_form("/webhooks/slack/commands", {
            "command": "/crisis", "text": text, "user_id": user, "user_name": user.lower(), "team_id": "T0AIRLINE",
            "channel_id": "CSTAFF", "trigger_id": "tr", "response_url": "http://127.0.0.1:9/none",
            "api_app_id": "A1"})

    async def settle(self, within: float = 15.0) -> None:
        """Until the outbox has sent everything due for Slack (bounded)."""
        from sqlalchemy import func, select

        from bot.store.models import OutboxItem

        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            async with self.runtime.store.transaction() as s:
                n = (await s.execute(select(func.count()).select_from(OutboxItem).where(
                    OutboxItem.channel == "slack", OutboxItem.status.in_(("pending", "sending"))))).scalar_one()
            if n == 0:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the outbox did not drain in time")

    async def say(self, user: str, text: str) -> list[dict[str, Any]]:
        before = len(self.api.sent(user))
        r = await self.post_event(self.event(user, text))
        assert r.status_code == 200, r.text
        await self.settle()
        return self.api.sent(user)[before:]

    async def press(self, user: str, message: dict[str, Any], action_id: str) -> list[dict[str, Any]]:
        before = len(self.api.sent(user))
        r = await self.click(user, message, action_id)
        assert r.status_code == 200, r.text
        await self.settle()
        return self.api.sent(user)[before:]


async def running_bot(settings: Settings, api: FakeSlackApi, **parts: Any) -> AsyncIterator[SlackBot]:
    if not parts:
        parts = {"nlu": KeywordNLU(), "detector": PrefixDetector(), "dialogue": CountingEngine(),
                 "adapter": NoReservations()}
    rt = Runtime(settings, serving=True, **parts)
    app = create_app(rt)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
        yield SlackBot(rt, c, api)


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(token=TOKEN) as server:
        yield server


@pytest.fixture
async def sbot(db_url: str, api: FakeSlackApi) -> AsyncIterator[SlackBot]:
    async for b in running_bot(slack_settings(db_url, api), api):
        yield b
