"""The web chat: a page at ``/`` and a small JSON API behind it.

    POST /webchat/api/message {"session_id": "...", "text": "...", "message_id": "..."} -> {"messages": [...]}
    GET  /webchat/api/poll?session_id=...&after=<outbox id>                        -> {"messages": [...]}

Replies to the passenger's own message travel back in the response; messages that arrive later (an agent's reply,
a broadcast) wait in the outbox until the page polls for them.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import Capabilities, Channel
from bot.errors import BadRequest, ChannelError
from bot.messages import InboundMessage, OutboundMessage


class WebchatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    session_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    text: str = Field(max_length=100_000)
    message_id: str | None = Field(default=None, max_length=255)


def page_html() -> str:
    return files("bot.channels").joinpath("webchat.html").read_text(encoding="utf-8")


class WebchatChannel(Channel):
    name: ClassVar[str] = "webchat"
    capabilities: ClassVar[Capabilities] = Capabilities(buttons=True, inline_replies=True, max_length=10_000)

    def routes(self) -> list[BaseRoute]:
        async def index(_request: Request) -> Response:
            return HTMLResponse(page_html())

        async def message(request: Request) -> Response:
            try:
                data = await request.json()
            except ValueError as exc:
                raise BadRequest("body is not valid JSON") from exc
            return JSONResponse(await self.post(data))

        async def poll(request: Request) -> Response:
            try:
                after = int(request.query_params.get("after", "0") or 0)
            except ValueError:
                raise BadRequest("after must be an integer") from None
            return JSONResponse(await self.poll(request.query_params.get("session_id", ""), after))

        return [
            Route("/", index),
            Route("/webchat/api/message", message, methods=["POST"]),
            Route("/webchat/api/poll", poll),
        ]

    def _payload(self, m: OutboundMessage) -> dict[str, Any]:
        r = self.render(m)
        return {"id": m.outbox_id, "text": "\n\n".join(r.texts), "buttons": list(r.buttons), "kind": m.kind}

    async def post(self, data: Any) -> dict[str, Any]:
        try:
            req = WebchatMessage.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
            raise BadRequest(f"invalid request: {problems}") from exc
        result = await self.receiver.receive(
            InboundMessage(channel=self.name, sender_id=req.session_id, text=req.text, message_id=req.message_id,
                           inline_reply=True)
        )
        return {"messages": [self._payload(m) for m in result.replies], "language": result.language}

    async def poll(self, session_id: str, after: int) -> dict[str, Any]:
        if not session_id or len(session_id) > 64:
            raise BadRequest("session_id is required")
        rows = await self.ctx.store.pending_for_recipient(self.name, session_id, after)
        msgs = [OutboundMessage.from_row(r) for r in rows]
        await self.ctx.store.mark_delivered([m.outbox_id for m in msgs])
        return {"messages": [self._payload(m) for m in msgs]}

    async def send(self, msg: OutboundMessage) -> str | None:
        raise ChannelError("the web chat is delivered when the page polls")
