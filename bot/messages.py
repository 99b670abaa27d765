"""The message types every layer shares: channels, pipeline, services and the store's callers.

This module imports nothing of the store, the NLU or the dialogue, so a channel module depends on it alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message from a passenger (or a staff member) as a channel received it."""

    channel: str
    sender_id: str
    text: str
    message_id: str | None = None  # the platform's id: the dedupe key, scoped to (channel, sender); None: never deduped
    sender_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    inline_reply: bool = False  # the replies travel back in the response to this request (REST, web chat)
    client_address: str | None = None  # the client's network address (web channels): verification throttling


class _OutboxRowLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def recipient_id(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def conversation_id(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One message to send: an outbox row as a channel sees it.

    ``kind`` says what it is ("text", "handoff", "holding", "agent", "broadcast", "otp", ...); ``payload`` keeps every
    field the producer wrote (e.g. ``agent_name``, ``reply_to_platform_id``, ``thread``) for channels that use them.
    """

    outbox_id: int
    channel: str
    recipient_id: str
    text: str
    buttons: tuple[dict[str, str], ...] = ()
    kind: str = "text"
    conversation_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    # delivery progress of a message sent in several parts: a retry sends the parts after ``parts_sent``
    parts_sent: int = 0
    last_platform_id: str | None = None  # the platform's id of the last part sent (X threads reply to it)

    @classmethod
    def from_row(cls, row: _OutboxRowLike) -> OutboundMessage:
        p = row.payload or {}
        return cls(
            outbox_id=row.id,
            channel=row.channel,
            recipient_id=row.recipient_id,
            text=str(p.get("text", "")),
            buttons=tuple(p.get("buttons", ())),
            kind=str(p.get("kind", "text")),
            conversation_id=row.conversation_id,
            payload=dict(p),
            parts_sent=int(getattr(row, "parts_sent", 0) or 0),
            last_platform_id=getattr(row, "platform_message_id", None),
        )


@dataclass(slots=True)
class ReceiveResult:
    """What the pipeline did with one inbound message."""

    conversation_id: str
    inbound_id: int
    duplicate: bool
    replies: list[OutboundMessage]
    language: str | None = None
    intent: str | None = None
    processed: int = 1  # messages processed for this result (earlier ones of the conversation that waited included)


class Receiver(Protocol):
    """Where a channel hands inbound messages (the pipeline)."""

    async def receive(self, msg: InboundMessage) -> ReceiveResult: ...
