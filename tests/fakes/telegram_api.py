"""A local fake of the Telegram Bot API (https://core.telegram.org/bots/api), answering like the real one.

Methods: getMe, sendMessage, answerCallbackQuery, getUpdates (offset semantics, long polling), setWebhook,
deleteWebhook, getWebhookInfo; anything else 404. Errors have the real shape
``{"ok": false, "error_code": N, "description": "...", "parameters"?: {"retry_after": N}}``:

* ``api.rate_limit_next(seconds)`` / ``api.server_error_next()`` script a 429 or 5xx for the next sendMessage,
* ``api.block(chat_id)``: that passenger blocked the bot (403 "Forbidden: bot was blocked by the user"),
* ``enforce_limits=True``: like the real API, more than ``per_chat`` messages a second to one chat or ``overall`` a
  second in total are refused with 429 (counted in ``limit_violations``): a dispatcher that paces itself sees none,
* sendMessage refuses texts over 4,096 UTF-16 code units and malformed HTML/MarkdownV2 when a parse_mode is given.

Updates: ``message_update`` / ``callback_update`` build realistic update objects; ``push`` queues one for getUpdates;
``deliver`` POSTs one to the registered webhook with its secret token, as Telegram does.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import re
import time
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.api_server import FakeApiServer

TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnopq"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Demo Airlines", "username": "demo_airlines_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def error(code: int, description: str, **parameters: Any) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


class FakeTelegramApi(FakeApiServer):
    def __init__(self, token: str = TOKEN, *, enforce_limits: bool = False, per_chat: float = 1.0,
                 overall: float = 30.0) -> None:
        super().__init__()
        self.token = token
        self.enforce_limits, self.per_chat, self.overall = enforce_limits, per_chat, overall
        self.limit_violations = 0
        self.violations: collections.Counter[str] = collections.Counter()  # "per_chat" / "overall"
        self.blocked: set[str] = set()
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.updates: list[dict[str, Any]] = []  # not yet confirmed (getUpdates)
        self._new_update = asyncio.Event()
        self._next_update_id = 734_100_000
        self._next_message_id = 1
        self._last_to_chat: dict[str, float] = {}
        self._recent: collections.deque[float] = collections.deque()

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", "/bot{token}/{method}", self._dispatch)]

    @property
    def base_url(self) -> str:
        """What CRISISBOT_TELEGRAM__BASE_URL is set to (python-telegram-bot appends the token)."""
        return f"{self.url}/bot"

    # ---- what tests look at ----------------------------------------------------------------------------------------

    def sent(self, chat_id: str | int | None = None) -> list[dict[str, Any]]:
        """Messages sendMessage accepted, oldest first."""
        return [c.params for c in self.calls_to("sendMessage", ok_only=True)
                if chat_id is None or str(c.params.get("chat_id")) == str(chat_id)]

    def rate_limit_next(self, retry_after: int, times: int = 1, after: int = 0) -> None:
        self.script("sendMessage", 429, {"ok": False, "error_code": 429,
                                         "description": f"Too Many Requests: retry after {retry_after}",
                                         "parameters": {"retry_after": retry_after}}, times, after=after)

    def server_error_next(self, status: int = 502, times: int = 1, after: int = 0) -> None:
        self.script("sendMessage", status, {"ok": False, "error_code": status, "description": "Bad Gateway"}, times,
                    after=after)

    def block(self, chat_id: str | int) -> None:
        self.blocked.add(str(chat_id))

    # ---- updates ---------------------------------------------------------------------------------------------------

    def _update_id(self) -> int:
        self._next_update_id += 1
        return self._next_update_id

    def message_update(self, chat_id: int, text: str, *, first_name: str = "Anna", language_code: str = "en",
                       chat_type: str = "private") -> dict[str, Any]:
        user = {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
        chat = {"id": chat_id, "type": chat_type, "first_name": first_name} if chat_type == "private" else \
            {"id": chat_id, "type": chat_type, "title": "Some group"}
        self._next_message_id += 1
        return {"update_id": self._update_id(), "message": {
            "message_id": self._next_message_id, "from": user, "chat": chat, "date": int(time.time()), "text": text}}

    def callback_update(self, chat_id: int, data: str, *, first_name: str = "Anna") -> dict[str, Any]:
        user = {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": "en"}
        message = {"message_id": self._next_message_id, "from": BOT_USER, "date": int(time.time()), "text": "…",
                   "chat": {"id": chat_id, "type": "private", "first_name": first_name}}
        return {"update_id": self._update_id(), "callback_query": {
            "id": f"cq{self._next_update_id}", "from": user, "message": message, "chat_instance": "ci-1",
            "data": data}}

    def push(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (call from the server's loop, or via ``call_soon`` from another thread)."""
        self.updates.append(update)
        self._new_update.set()

    async def deliver(self, update: dict[str, Any], url: str | None = None, secret: str | None = None) -> int:
        """POST an update to the webhook the way Telegram does; returns the HTTP status."""
        headers = {"Content-Type": "application/json"}
        token = secret if secret is not None else self.webhook_secret
        if token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = token
        async with aiohttp.ClientSession() as s, s.post(url or self.webhook_url, data=json.dumps(update),
                                                        headers=headers) as r:
            return r.status

    # ---- the API ---------------------------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json()
            params.update(body if isinstance(body, dict) else {})
        elif request.can_read_body:
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        for key in ("reply_markup", "allowed_updates", "offset", "limit", "timeout", "link_preview_options"):
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        return params

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            self.record(method, {}, 401)
            return error(401, "Unauthorized")
        params = await self._params(request)
        scripted = self.scripted(method)
        if scripted is not None:
            self.record(method, params, scripted.status)
            return web.json_response(scripted.body, status=scripted.status, headers=scripted.headers)
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            self.record(method, params, 404)
            return error(404, "Not Found")
        response: web.Response = await handler(params)
        self.record(method, params, response.status)
        return response

    @staticmethod
    def ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    async def api_getMe(self, _params: dict[str, Any]) -> web.Response:
        return self.ok(BOT_USER)

    async def api_sendMessage(self, p: dict[str, Any]) -> web.Response:
        chat_id, text = str(p.get("chat_id", "")), p.get("text")
        if not chat_id:
            return error(400, "Bad Request: chat_id is empty")
        if not text or not str(text).strip():
            return error(400, "Bad Request: message text is empty")
        if utf16_len(text) > 4096:
            return error(400, "Bad Request: message is too long")
        mode = p.get("parse_mode")
        if mode and not self._parses(text, mode):
            return error(400, "Bad Request: can't parse entities: unsupported start tag")
        if chat_id in self.blocked:
            return error(403, "Forbidden: bot was blocked by the user")
        if self.enforce_limits and (wait := self._over_limit(chat_id)):
            self.limit_violations += 1
            return error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        self._next_message_id += 1
        message: dict[str, Any] = {"message_id": self._next_message_id, "from": BOT_USER, "date": int(time.time()),
                                   "chat": {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
                                            "type": "private"},
                                   "text": text}
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        return self.ok(message)

    def _over_limit(self, chat_id: str) -> int:
        now = time.monotonic()
        slack = 0.05  # the network's jitter between the sender's clock and ours
        last = self._last_to_chat.get(chat_id)
        if last is not None and now - last < 1.0 / self.per_chat - slack:
            self.violations["per_chat"] += 1
            return 1
        while self._recent and now - self._recent[0] >= 1.0 - slack:
            self._recent.popleft()
        if len(self._recent) >= self.overall + 1:
            self.violations["overall"] += 1
            return 1
        self._last_to_chat[chat_id] = now
        self._recent.append(now)
        return 0

    @staticmethod
    def _parses(text: str, mode: str) -> bool:
        if mode.upper() == "HTML":
            tags = re.findall(r"<(/?)([a-zA-Z-]+)[^>]*>", text)
            allowed = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
                       "tg-spoiler", "blockquote", "tg-emoji"}
            stack: list[str] = []
            for closing, tag in tags:
                if tag.lower() not in allowed:
                    return False
                if closing:
                    if not stack or stack.pop() != tag.lower():
                        return False
                else:
                    stack.append(tag.lower())
            return not stack and not re.search(r"&(?![a-z]+;|#\d+;)|<(?![/a-zA-Z])", text)
        if mode == "MarkdownV2":
            return re.search(r"(?<!\\)[_*\[\]()~`>#+\-=|{}.!]", text) is None  # reserved characters escaped
        return True

    async def api_answerCallbackQuery(self, p: dict[str, Any]) -> web.Response:
        if not p.get("callback_query_id"):
            return error(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        return self.ok(True)

    async def api_setWebhook(self, p: dict[str, Any]) -> web.Response:
        self.webhook_url = str(p.get("url", ""))
        self.webhook_secret = p.get("secret_token") or None
        return self.ok(True)

    async def api_deleteWebhook(self, p: dict[str, Any]) -> web.Response:
        self.webhook_url, self.webhook_secret = "", None
        if str(p.get("drop_pending_updates", "")).lower() == "true":
            self.updates.clear()
        return self.ok(True)

    async def api_getWebhookInfo(self, _p: dict[str, Any]) -> web.Response:
        return self.ok({"url": self.webhook_url, "has_custom_certificate": False,
                        "pending_update_count": len(self.updates)})

    async def api_getUpdates(self, p: dict[str, Any]) -> web.Response:
        if self.webhook_url:
            return error(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
                              "to delete the webhook first")
        offset = int(p.get("offset") or 0)
        limit = max(1, min(int(p.get("limit") or 100), 100))
        timeout = min(float(p.get("timeout") or 0), 50.0)
        if offset > 0:  # confirms every update before it: they are forgotten for good
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]
        if not self.updates and timeout > 0:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        return self.ok(self.updates[:limit])
