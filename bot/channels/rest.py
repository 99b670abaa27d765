"""A REST channel compatible with Rasa's: existing Rasa web widgets can talk to crisisbot.

    POST /webhooks/rest/webhook  {"sender": "...", "message": "...", "message_id"?: "...", "metadata"?: {...}}
    -> 200 [{"recipient_id": "...", "text": "...", "buttons": [{"title": "...", "payload": "..."}]?}]

Replies travel back in the response. A retried request with the same ``message_id`` (or ``Idempotency-Key``
header) is answered with the same replies and processed only once.

Limits, each refused whole with a clear error (never stored cut): the body at most 256 KB (413); ``message`` at
most 10,000 characters (413); ``sender`` and ``message_id`` strings (or integers) of at most 255 characters without
control characters (400); no NUL character anywhere, JSON nested at most 32 levels (400).

The core is framework-neutral (``handle``); the route is a thin adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels import inputs
from bot.channels.base import Capabilities, Channel, client_address, verified
from bot.errors import BadRequest, ChannelError, Unauthorized
from bot.messages import InboundMessage, OutboundMessage

MAX_BODY = 256 * 1024
MAX_MESSAGE_CHARS = inputs.MAX_MESSAGE_CHARS
EXAMPLE = '{"sender": "id", "message": "text"}'


@dataclass(frozen=True, slots=True)
class RestRequest:
    sender: str
    message: str
    message_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def parse_body(body: bytes, headers: dict[str, str]) -> RestRequest:
    """The request, checked (raises BadRequest, or PayloadTooLarge over MAX_BODY bytes or MAX_MESSAGE_CHARS)."""
    data = inputs.load_json_object(body, MAX_BODY, EXAMPLE)
    sender = inputs.identifier(data.get("sender"), "sender")
    message = inputs.message_text(data.get("message"), "message")
    message_id = inputs.identifier(data.get("message_id"), "message_id", required=False)
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("metadata must be a JSON object")
    key = headers.get("idempotency-key")
    if message_id is None and key:
        message_id = inputs.identifier(key, "Idempotency-Key header")
    assert sender is not None
    return RestRequest(sender, message, message_id, metadata or {})


class RestChannel(Channel):
    name: ClassVar[str] = "rest"
    capabilities: ClassVar[Capabilities] = Capabilities(buttons=True, inline_replies=True, max_length=10_000)

    def _check_token(self, request: Request, _body: bytes) -> None:
        secret = self.settings.webhook_secret
        if secret is not None and request.headers.get("x-crisisbot-token") != secret.get_secret_value():
            raise Unauthorized("missing or wrong X-Crisisbot-Token")

    def routes(self) -> list[BaseRoute]:
        @verified(self._check_token, max_body=MAX_BODY)
        async def webhook(request: Request) -> Response:
            body = await request.body()
            headers = {k.lower(): v for k, v in request.headers.items()}
            return JSONResponse(await self.handle(body, headers, client_address(request)))

        async def status(_request: Request) -> Response:
            return JSONResponse({"status": "ok"})

        return [Route("/webhooks/rest/webhook", webhook, methods=["POST"]), Route("/webhooks/rest/", status)]

    async def handle(
        self, body: bytes, headers: dict[str, str], client_address: str | None = None
    ) -> list[dict[str, Any]]:
        """Framework-neutral core: raises BadRequest (PayloadTooLarge) for malformed input."""
        req = parse_body(body, headers)
        result = await self.receiver.receive(
            InboundMessage(
                channel=self.name,
                sender_id=req.sender,
                text=req.message,
                message_id=req.message_id,
                metadata=req.metadata,
                inline_reply=True,
                client_address=client_address,
            )
        )
        out: list[dict[str, Any]] = []
        for m in result.replies:
            out.extend(self.to_json(m))
        return out

    async def send(self, msg: OutboundMessage) -> str | None:
        raise ChannelError("the REST channel has no push: its replies travel in the response to a request")
