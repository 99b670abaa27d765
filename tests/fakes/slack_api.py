"""A local fake of the Slack Web API on 127.0.0.1 (a free port), answering like Slack for what crisisbot calls:
auth.test, chat.postMessage, chat.update, chat.postEphemeral, users.info, conversations.members.

Like Slack: HTTP 200 with ``{"ok": false, "error": ...}`` for refused calls (invalid_auth, channel_not_found,
message_not_found, user_not_found, msg_too_long), 429 with a ``Retry-After`` header when rate limited, and scripted
failures (``fail_next``: 429 with Retry-After, 500/503). ``chat.postMessage`` to a user id posts into the app's DM
with that user (channel ``D<user>``), as Slack does. Every call is recorded.

    async with FakeSlackApi(token="xoxb-test") as api:
        settings.slack.base_url = api.base_url      # what slack-sdk's AsyncWebClient calls
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeSlackApi:
    def __init__(self, token: str = "xoxb-test", *, rate_per_channel: float | None = None) -> None:
        self.token = token
        self.rate_per_channel = rate_per_channel  # like Slack: over it, 429 with Retry-After
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)  # channel -> messages (with updates)
        self.ephemeral: list[dict[str, Any]] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.members: dict[str, list[str]] = {}
        self.failures: list[tuple[str, int, float | None]] = []  # (method, status, retry_after)
        self.limit_violations = 0
        self._sent_at: dict[str, list[float]] = defaultdict(list)
        self._ts = 1_700_000_000_000_100
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # ---------------------------------------------------------------- scripting
    def add_user(self, user_id: str, real_name: str) -> None:
        first = real_name.split()[0] if real_name.split() else real_name
        self.users[user_id] = {"id": user_id, "name": real_name.lower().replace(" ", "."), "real_name": real_name,
                               "profile": {"real_name": real_name, "first_name": first, "display_name": first}}

    def fail_next(self, method: str, status: int, *, retry_after: float | None = None, times: int = 1) -> None:
        self.failures.extend([(method, status, retry_after)] * times)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages as posted (chat.postMessage params), in order, to one channel (a user id means their DM)."""
        if channel is not None and channel.startswith("U"):
            channel = "D" + channel
        return [dict(c.params, ts=c.params.get("_ts")) for c in self.calls_to("chat.postMessage")
                if c.params.get("_ok") and (channel is None or c.params.get("_channel") == channel)]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        return next((m for m in self.messages[channel] if m["ts"] == ts), None)

    # ---------------------------------------------------------------- server
    async def __aenter__(self) -> FakeSlackApi:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/api/"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        for key in ("blocks", "attachments"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params)
        self.calls.append(call)
        for i, (m, status, retry) in enumerate(self.failures):
            if m == method:
                del self.failures[i]
                headers = {}
                if retry is not None:
                    headers["Retry-After"] = str(int(retry) if retry == int(retry) else retry)
                error = "ratelimited" if status == 429 else "internal_error"
                return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response(result)

    def _next_ts(self) -> str:
        self._ts += 100
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def _channel(self, channel: Any) -> str | None:
        if not isinstance(channel, str) or not channel:
            return None
        if channel.startswith("U"):
            return "D" + channel
        return channel

    # ---------------------------------------------------------------- methods
    async def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://fake.slack.local/", "team": "Airline", "user": "crisisbot",
                "team_id": "T0AIRLINE", "user_id": "UBOT", "bot_id": "BBOT", "is_enterprise_install": False}

    async def _chat_postMessage(self, params: dict[str, Any]) -> Any:
        call = self.calls[-1]
        channel = self._channel(params.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        text = params.get("text") or ""
        if not text and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if len(text) > 40_000:
            return {"ok": False, "error": "msg_too_long"}
        for block in params.get("blocks") or []:
            t = (block.get("text") or {}).get("text", "")
            if len(t) > 3000:
                return {"ok": False, "error": "invalid_blocks"}
        now = time.monotonic()
        if self.rate_per_channel:
            recent = [t for t in self._sent_at[channel] if now - t < 1.0]
            if len(recent) >= max(1, int(self.rate_per_channel)) + 1:  # Slack allows short bursts, not more
                self.limit_violations += 1
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": "1"})
        self._sent_at[channel].append(now)
        ts = self._next_ts()
        message = {"type": "message", "user": "UBOT", "bot_id": "BBOT", "text": text, "ts": ts,
                   "blocks": params.get("blocks"), "thread_ts": params.get("thread_ts")}
        self.messages[channel].append(message)
        call.params.update(_ok=True, _ts=ts, _channel=channel)
        await asyncio.sleep(0)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    async def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel"))
        msg = self.message(channel or "", str(params.get("ts")))
        if msg is None:
            return {"ok": False, "error": "message_not_found"}
        msg.update(text=params.get("text", msg["text"]), blocks=params.get("blocks", msg.get("blocks")))
        return {"ok": True, "channel": channel, "ts": msg["ts"], "text": msg["text"]}

    async def _chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel") or not params.get("user"):
            return {"ok": False, "error": "channel_not_found"}
        self.ephemeral.append(params)
        return {"ok": True, "message_ts": self._next_ts()}

    async def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    async def _conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        if channel not in self.members:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "members": list(self.members[channel]), "response_metadata": {"next_cursor": ""}}
