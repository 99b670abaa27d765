"""The dialogue seam: the pipeline hands one understood message to the engine and stores what comes back.

The engine is pure with respect to the store: it reads the conversation's state (a JSON-able dict) and returns the
new one. The pipeline persists the state, the replies (through the outbox) and the handoff in one transaction, so a
restart or another process continues where this one stopped.
"""

from __future__ import annotations

import abc
import contextvars
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.lifecycle import AsyncResource
from bot.nlu.base import Parse


@dataclass(frozen=True, slots=True)
class Button:
    title: str
    payload: str  # sent back as the message text when pressed (e.g. "/choose_option{\"option\": 2}" or "2")


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    kind: str = "text"  # "text" | "holding" | "handoff" ...

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text, "kind": self.kind}
        if self.buttons:
            d["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Reply:
        return cls(
            text=d["text"],
            buttons=tuple(Button(b["title"], b["payload"]) for b in d.get("buttons", ())),
            kind=d.get("kind", "text"),
        )


@dataclass(frozen=True, slots=True)
class HandoffRequest:
    reason: str  # machine-readable: "request_human", "special_assistance", "angry", "low_confidence", ...
    summary: str = ""  # one line for the agent, no personal data beyond what the agent needs
    priority: int = 0
    # what the agent needs beyond the summary (bot/cases stores it with the case, never in logs or audit rows):
    # "booking" (the verified booking as the state keeps it), "flows", "offered", "chosen", "itinerary",
    # "departure" (ISO, the next departure), "disrupted", "misunderstandings", ...
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SideMessage:
    """A message to somewhere other than the conversation (e.g. a one-time code to the booking's e-mail)."""

    channel: str
    recipient: str
    text: str


# The network address of the client whose request is being answered (REST, web chat; None elsewhere and for turns
# run by recovery), for verification throttling per address. The pipeline sets it from InboundMessage.client_address.
CLIENT_ADDRESS: contextvars.ContextVar[str | None] = contextvars.ContextVar("crisisbot_client_address", default=None)


@dataclass(frozen=True, slots=True)
class Turn:
    conversation_id: str
    channel: str
    sender_id: str
    language: str
    text: str
    parse: Parse
    state: dict[str, Any]  # the conversation's dialogue state as stored (empty dict for a new conversation)
    now: dt.datetime  # aware UTC
    owner: str = "bot"
    crisis: Any = None  # bot.crisis.mode.CrisisContext while a crisis runs
    # the message arrived while the conversation stood at an earlier version than the one it is processed at: it
    # answers an earlier question, so it must not execute a booking change
    stale: bool = False


@dataclass(slots=True)
class TurnResult:
    replies: list[Reply] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)  # the new state to store
    handoff: HandoffRequest | None = None
    side_messages: list[SideMessage] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # audit events: {"action": ..., ...} (no PII)


class DialogueEngine(AsyncResource):
    @abc.abstractmethod
    async def handle(self, turn: Turn) -> TurnResult:
        """Decide what to do with one message. Never raises for passenger input."""

    def answers_while_queued(self, parse: Parse, language: str) -> list[Reply]:
        """General answers the bot can give to a passenger who waits for a person (what care and compensation EU261
        gives); the conversation stays with the queue. None by default."""
        return []
