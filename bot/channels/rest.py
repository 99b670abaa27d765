"""A REST channel compatible with Rasa's: existing Rasa web widgets can talk to crisisbot.

    POST /webhooks/rest/webhook  {"sender": "...", "message": "...", "message_id"?: "...", "metadata"?: {...}}
    -> 200 [{"recipient_id": "...", "text": "...", "buttons": [{"title": "...", "payload": "..."}]?}]

Replies travel back in the response. A retried request with the same ``message_id`` (or ``Idempotency-Key`` header)
is answered with the same replies and processed only once. The core is framework-neutral (``handle``); the
Starlette route in bot/app.py is a thin adapter.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import Capabilities, Channel, verified
from bot.errors import BadRequest, ChannelError, Unauthorized
from bot.messages import InboundMessage, OutboundMessage

MAX_BODY = 256 * 1024


class RestRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sender: str = Field(min_length=1, max_length=255)
    message: str = Field(max_length=100_000)
    message_id: str | None = Field(default=None, max_length=255)
    metadata: dict[str, Any] | None = None

    @field_validator("sender", mode="before")
    @classmethod
    def _sender_str(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v


def parse_body(body: bytes, headers: dict[str, str]) -> RestRequest:
    if len(body) > MAX_BODY:
        raise BadRequest(f"request body too large (over {MAX_BODY} bytes)")
    try:
        data = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest('body must be a JSON object like {"sender": "id", "message": "text"}')
    try:
        req = RestRequest.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
        raise BadRequest(f"invalid request: {problems}") from exc
    key = headers.get("idempotency-key")
    if req.message_id is None and key:
        req = req.model_copy(update={"message_id": key[:255]})
    return req


class RestChannel(Channel):
    name: ClassVar[str] = "rest"
    capabilities: ClassVar[Capabilities] = Capabilities(buttons=True, inline_replies=True, max_length=10_000)

    def _check_token(self, request: Request, _body: bytes) -> None:
        secret = self.settings.webhook_secret
        if secret is not None and request.headers.get("x-crisisbot-token") != secret.get_secret_value():
            raise Unauthorized("missing or wrong X-Crisisbot-Token")

    def routes(self) -> list[BaseRoute]:
        @verified(self._check_token)
        async def webhook(request: Request) -> Response:
            body = await request.body()
            return JSONResponse(await self.handle(body, {k.lower(): v for k, v in request.headers.items()}))

        async def status(_request: Request) -> Response:
            return JSONResponse({"status": "ok"})

        return [Route("/webhooks/rest/webhook", webhook, methods=["POST"]), Route("/webhooks/rest/", status)]

    async def handle(self, body: bytes, headers: dict[str, str]) -> list[dict[str, Any]]:
        """Framework-neutral core: raises BadRequest for malformed input."""
        req = parse_body(body, headers)
        result = await self.receiver.receive(
            InboundMessage(
                channel=self.name,
                sender_id=req.sender,
                text=req.message,
                message_id=req.message_id,
                metadata=req.metadata or {},
                inline_reply=True,
            )
        )
        out: list[dict[str, Any]] = []
        for m in result.replies:
            out.extend(self.to_json(m))
        return out

    async def send(self, msg: OutboundMessage) -> str | None:
        raise ChannelError("the REST channel has no push: its replies travel in the response to a request")
