"""A REST channel compatible with Rasa's: existing Rasa web widgets can talk to crisisbot.

    POST /webhooks/rest/webhook  {"sender": "...", "message": "...", "message_id"?: "...", "metadata"?: {...}}
    -> 200 [{"recipient_id": "...", "text": "...", "buttons": [{"title": "...", "payload": "..."}]?}]

Replies travel back in the response. A retried request with the same ``message_id`` (or ``Idempotency-Key``
header) is answered with the same replies and processed only once.

Limits, each refused whole with a clear error (never stored cut): the body at most 256 KB (413); ``message`` at
most 10,000 characters (413); ``sender`` and ``message_id`` strings (or integers) of at most 255 characters without
control characters (400); no NUL character anywhere, JSON nested at most 32 levels (400).

The core is framework-neutral (``handle``); the Starlette route in bot/app.py is a thin adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from bot.channels import inputs
from bot.channels.base import Capabilities, Channel
from bot.errors import BadRequest, ChannelError
from bot.pipeline import InboundMessage, OutboundMessage, Pipeline

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

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def handle(
        self, body: bytes, headers: dict[str, str], client_address: str | None = None
    ) -> list[dict[str, Any]]:
        """Framework-neutral core: raises BadRequest (PayloadTooLarge) for malformed input."""
        req = parse_body(body, headers)
        result = await self.pipeline.receive(
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
