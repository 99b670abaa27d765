"""The web chat: a page at ``/`` and a small JSON API behind it.

    POST /webchat/api/message {"session_id": "...", "text": "...", "message_id": "..."} -> {"messages": [...]}
    GET  /webchat/api/events?session_id=...&after=<outbox id>   server-sent events: one "message" event each
    GET  /webchat/api/poll?session_id=...&after=<outbox id>     -> {"messages": [...]}   (fallback without SSE)
    GET  /webchat/api/history?session_id=...                    -> {"messages": [...], "last_id": N}

Replies to the passenger's own message travel back in the response; messages that arrive later (an agent's reply,
a broadcast, a reply recovered after a crash) are pushed to the open page as server-sent events (the page falls back
to polling). A reloaded page shows the conversation so far (history); the page disables the buttons of a question
once it is answered.

Limits, each refused whole with a clear error: the body at most 64 KB and ``text`` at most 10,000 characters (413);
``session_id`` 8-64 letters, digits, ``-`` or ``_``; ``message_id`` at most 255 characters without control
characters; ``after`` a whole number from 0 to 2^63-1; no NUL character anywhere (400).

The page is served with a Content-Security-Policy that allows only its own inline script and style (by hash) and
requests to this server, and with ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from bot.channels import inputs
from bot.channels.base import Capabilities, Channel, client_address, read_body
from bot.errors import BadRequest, ChannelError
from bot.messages import InboundMessage, OutboundMessage

MAX_BODY = 64 * 1024
HISTORY_LIMIT = 200
KEEPALIVE_SECONDS = 15.0
_SESSION = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
EXAMPLE = '{"session_id": "...", "text": "..."}'


@dataclass(frozen=True, slots=True)
class WebchatMessage:
    session_id: str
    text: str
    message_id: str | None = None


def session_id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str):
        raise BadRequest("session_id is required: 8 to 64 letters, digits, '-' or '_'")
    if not _SESSION.match(value):
        raise BadRequest("session_id must be 8 to 64 letters, digits, '-' or '_'")
    return value


def parse_message(body: bytes) -> WebchatMessage:
    """The page's POST, checked (raises BadRequest, or PayloadTooLarge)."""
    data = inputs.load_json_object(body, MAX_BODY, EXAMPLE)
    return WebchatMessage(
        session_id=session_id(data.get("session_id")),
        text=inputs.message_text(data.get("text"), "text"),
        message_id=inputs.identifier(data.get("message_id"), "message_id", required=False),
    )


def parse_poll(params: Mapping[str, str]) -> tuple[str, int]:
    """The page's poll: (session_id, after)."""
    return session_id(params.get("session_id")), inputs.cursor(params.get("after"), "after")


def page_html() -> str:
    return _page()[0]


def page_headers(frame_ancestors: str = "'none'") -> dict[str, str]:
    """Security headers for the page: a CSP allowing only the page's own inline script and style and requests to
    this server, framed only by ``frame_ancestors`` (settings.webchat_frame_ancestors), and nosniff."""
    ancestors = " ".join(frame_ancestors.replace(";", " ").replace(",", " ").split()) or "'none'"
    headers = {
        "Content-Security-Policy": f"{_page()[1]}; frame-ancestors {ancestors}",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if ancestors == "'none'":
        headers["X-Frame-Options"] = "DENY"  # for browsers without CSP frame-ancestors
    return headers


@lru_cache(maxsize=1)
def _page() -> tuple[str, str]:
    html = files("bot.channels").joinpath("webchat.html").read_text(encoding="utf-8")

    def hashes(tag: str) -> str:
        blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.S)
        return " ".join(
            f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks
        ) or "'none'"

    csp = (
        f"default-src 'none'; script-src {hashes('script')}; style-src {hashes('style')}; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'self'"
    )
    return html, csp


class WebchatChannel(Channel):
    name: ClassVar[str] = "webchat"
    capabilities: ClassVar[Capabilities] = Capabilities(buttons=True, inline_replies=True, max_length=10_000)

    def routes(self) -> list[BaseRoute]:
        async def index(_request: Request) -> Response:
            return HTMLResponse(page_html(), headers=page_headers(self.settings.webchat_frame_ancestors))

        async def message(request: Request) -> Response:
            body = await read_body(request, MAX_BODY)
            return JSONResponse(await self.post(body, client_address(request)))

        async def poll(request: Request) -> Response:
            return JSONResponse(await self.poll(request.query_params))

        async def history(request: Request) -> Response:
            return JSONResponse(await self.history(request.query_params))

        async def events(request: Request) -> Response:
            sid, after = parse_poll(request.query_params)
            resumed = request.headers.get("last-event-id", "")
            if resumed.isdigit() and len(resumed) < 19:
                after = max(after, int(resumed))
            return StreamingResponse(
                self.event_stream(sid, after, request.is_disconnected),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "X-Content-Type-Options": "nosniff"},
            )

        async def favicon(_request: Request) -> Response:
            return Response(status_code=204)

        return [
            Route("/", index),
            Route("/favicon.ico", favicon),
            Route("/webchat/api/message", message, methods=["POST"]),
            Route("/webchat/api/poll", poll),
            Route("/webchat/api/events", events),
            Route("/webchat/api/history", history),
        ]

    def _payload(self, m: OutboundMessage) -> dict[str, Any]:
        r = self.render(m)
        return {"id": m.outbox_id, "text": "\n\n".join(r.texts), "buttons": list(r.buttons), "kind": m.kind}

    async def post(self, body: bytes, client_address: str | None = None) -> dict[str, Any]:
        """Framework-neutral core of the page's POST: raises BadRequest (PayloadTooLarge) for malformed input."""
        req = parse_message(body)
        result = await self.receiver.receive(
            InboundMessage(channel=self.name, sender_id=req.session_id, text=req.text, message_id=req.message_id,
                           inline_reply=True, client_address=client_address)
        )
        return {"messages": [self._payload(m) for m in result.replies], "language": result.language}

    async def poll(self, params: Mapping[str, str]) -> dict[str, Any]:
        """Framework-neutral core of the page's poll (query parameters ``session_id`` and ``after``)."""
        sid, after = parse_poll(params)
        rows = await self.ctx.store.pending_for_recipient(self.name, sid, after)
        msgs = [OutboundMessage.from_row(r) for r in rows]
        await self.ctx.store.mark_delivered([m.outbox_id for m in msgs])
        return {"messages": [self._payload(m) for m in msgs]}

    async def history(self, params: Mapping[str, str]) -> dict[str, Any]:
        """The conversation so far, for a reloaded page: the passenger's messages and ours, oldest first."""
        sid = session_id(params.get("session_id"))
        conv = await self.ctx.store.find_conversation(self.name, sid)
        if conv is None:
            return {"messages": [], "last_id": 0}
        items = await self.ctx.store.transcript(conv.id, HISTORY_LIMIT)
        out: list[dict[str, Any]] = []
        undelivered: list[int] = []
        for item in items:
            if item["direction"] == "in":
                out.append({"who": "me", "text": item["text"]})
                continue
            if item["status"] != "sent":
                undelivered.append(item["id"])
            out.append({"who": "bot", "id": item["id"], "text": item["text"], "buttons": item.get("buttons") or [],
                        "kind": item.get("kind", "text")})
        await self.ctx.store.mark_delivered(undelivered)  # shown now: not pushed again
        last_id = max((m["id"] for m in out if m["who"] == "bot"), default=0)
        return {"messages": out, "last_id": last_id}

    async def event_stream(
        self, sid: str, after: int, disconnected: Callable[[], Awaitable[bool]] | None = None,
        *, seconds: float | None = None,
    ) -> AsyncIterator[str]:
        """Server-sent events: every message for this page after ``after``, as it arrives, then ends after
        ``webchat_stream_seconds`` (the browser's EventSource reconnects with Last-Event-ID: nothing is lost)."""
        interval = self.settings.webchat_push_seconds
        deadline = time.monotonic() + (seconds if seconds is not None else self.settings.webchat_stream_seconds)
        quiet = 0.0
        yield "retry: 2000\n\n"
        while time.monotonic() < deadline:
            if disconnected is not None and await disconnected():
                return
            rows = await self.ctx.store.pending_for_recipient(self.name, sid, after)
            if rows:
                for row in rows:
                    msg = OutboundMessage.from_row(row)
                    data = json.dumps(self._payload(msg), ensure_ascii=False)
                    yield f"id: {msg.outbox_id}\nevent: message\ndata: {data}\n\n"
                    after = max(after, msg.outbox_id)
                await self.ctx.store.mark_delivered([r.id for r in rows])
                quiet = 0.0
            else:
                quiet += interval
                if quiet >= KEEPALIVE_SECONDS:
                    yield ": keep-alive\n\n"
                    quiet = 0.0
            await asyncio.sleep(interval)

    async def send(self, msg: OutboundMessage) -> str | None:
        raise ChannelError("the web chat is delivered to the open page (events or poll)")
