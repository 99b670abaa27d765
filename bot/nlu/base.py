"""The NLU seam: one abstract backend, the parse it returns (Rasa's parse shape plus the language)."""

from __future__ import annotations

import abc
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Self

from bot.lifecycle import AsyncResource

INTENTS = (
    # fixed names: other parts and external evaluations rely on them
    "rebook",
    "cancel",
    "flight_status",
    "request_human",
    "crisis_info",
    "affirm",
    "deny",
    "greet",
    "thanks",
    # the others a real passenger needs
    "baggage",
    "refund_status",
    "complaint",
    "choose_option",
    "provide_info",  # the passenger just gives data: a booking reference, a name, a date
    "stop",  # abort the current flow ("stop", "never mind")
    "help",
    "out_of_scope",
)
FALLBACK_INTENT = "nlu_fallback"
ENTITIES = ("booking_reference", "flight_number", "date", "airport", "option", "last_name")


@dataclass(frozen=True, slots=True)
class Detection:
    """What the language detector found in one message (bot.nlu.language)."""

    language: str  # the language to answer in (always a supported one)
    supported: bool = True  # False: the message is in a language we do not support (answer in English)
    confident: bool = True  # False: too short or unclear; the language was kept from the conversation
    detected: str | None = None  # what the detector saw (ISO 639-1), if anything
    settled: bool = False  # the message had enough text to settle the conversation's language


@dataclass(frozen=True, slots=True)
class IntentPrediction:
    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Entity:
    entity: str
    value: Any
    start: int
    end: int
    text: str
    role: str | None = None
    confidence: float = 1.0
    extractor: str = "crisisbot"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["role"] is None:
            d.pop("role")
        return d


@dataclass(frozen=True, slots=True)
class Parse:
    text: str
    language: str
    intent: IntentPrediction
    intent_ranking: tuple[IntentPrediction, ...] = ()
    entities: tuple[Entity, ...] = ()
    flags: tuple[str, ...] = field(default=())  # e.g. "unsupported_language", "angry", "empty", "disruption", "refund"
    # what the message asks for, every ask seen, in the order the bot acts on them (rebook > cancel >
    # flight_status > request_human); the intent is the first of them unless an in-flow answer was expected
    asks: tuple[IntentPrediction, ...] = ()
    feelings: tuple[str, ...] = ()  # how the passenger feels: anger, urgency, distress, praise, sarcasm

    def entity_values(self, name: str, role: str | None = None) -> list[Any]:
        return [e.value for e in self.entities if e.entity == name and (role is None or e.role == role)]

    def first(self, name: str, role: str | None = None) -> Any | None:
        values = self.entity_values(name, role)
        return values[0] if values else None

    def to_dict(self) -> dict[str, Any]:
        """Rasa's parse shape plus ``language``, ``flags``, ``asks`` and ``feelings``."""
        return {
            "text": self.text,
            "language": self.language,
            "intent": {"name": self.intent.name, "confidence": round(self.intent.confidence, 4)},
            "intent_ranking": [
                {"name": p.name, "confidence": round(p.confidence, 4)} for p in self.intent_ranking
            ],
            "entities": [e.to_dict() for e in self.entities],
            "flags": list(self.flags),
            "asks": [{"name": a.name, "confidence": round(a.confidence, 4)} for a in self.asks],
            "feelings": list(self.feelings),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        return cls(
            text=d.get("text", ""),
            language=d.get("language", "en"),
            intent=IntentPrediction(d["intent"]["name"], float(d["intent"]["confidence"])),
            intent_ranking=tuple(
                IntentPrediction(p["name"], float(p["confidence"])) for p in d.get("intent_ranking", [])
            ),
            entities=tuple(
                Entity(
                    entity=e["entity"],
                    value=e["value"],
                    start=int(e.get("start", 0)),
                    end=int(e.get("end", 0)),
                    text=e.get("text", ""),
                    role=e.get("role"),
                    confidence=float(e.get("confidence", 1.0)),
                    extractor=e.get("extractor", "crisisbot"),
                )
                for e in d.get("entities", [])
            ),
            flags=tuple(d.get("flags", ())),
            asks=tuple(IntentPrediction(a["name"], float(a.get("confidence", 1.0))) for a in d.get("asks", ())
                       if isinstance(a, dict) and "name" in a),
            feelings=tuple(str(f) for f in d.get("feelings", ())),
        )


_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.DOTALL)


def parse_payload(text: str, language: str) -> Parse | None:
    """Rasa's button payloads: ``/rebook`` or ``/choose_option{"option": 2}`` name the intent (and entities) directly.

    Returns None for anything else, including unknown intent names, so such text is parsed as usual.
    """
    m = _PAYLOAD.match(text.strip()) if text else None
    if m is None or m.group("intent") not in INTENTS:
        return None
    entities: list[Entity] = []
    if m.group("entities"):
        try:
            data = json.loads(m.group("entities"))
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        entities = [Entity(entity=str(k), value=v, start=0, end=len(text), text=text, extractor="payload")
                    for k, v in data.items() if k in ENTITIES]
    intent = IntentPrediction(m.group("intent"), 1.0)
    return Parse(text=text, language=language, intent=intent, intent_ranking=(intent,), entities=tuple(entities))


class NLUBackend(AsyncResource):
    """Parses one message. Implementations: ``embedded`` (trained from intents/) and ``rasa`` (HTTP)."""

    name: str = "abstract"

    @abc.abstractmethod
    async def parse(self, text: str, language: str, *, context: dict[str, Any] | None = None) -> Parse:
        """Parse ``text`` written in ``language`` (already detected by bot.nlu.language).

        ``context`` may carry what the conversation expects (e.g. ``{"expecting": "option", "options": [...]}``)
        to resolve "the second one" or "the 14:05". Never raises for bad text: empty, huge, binary or
        control-character input gives a fallback parse. Raises NLUError when the backend itself fails.
        """
