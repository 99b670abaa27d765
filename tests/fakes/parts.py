"""Small stand-ins for the NLU, language detector and dialogue engine, to test the pipeline on its own."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from bot.dialogue.base import Button, DialogueEngine, HandoffRequest, Reply, Turn, TurnResult
from bot.errors import NLUError
from bot.nlu.base import Detection, Entity, IntentPrediction, NLUBackend, Parse

KEYWORDS = {"rebook": "rebook", "cancel": "cancel", "human": "request_human", "hello": "greet", "boom": "out_of_scope",
            "on time": "flight_status"}


class KeywordNLU(NLUBackend):
    name = "keyword"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any] | None]] = []

    async def parse(self, text: str, language: str, *, context: dict[str, Any] | None = None) -> Parse:
        self.calls.append((text, language, context))
        intent = next((v for k, v in KEYWORDS.items() if k in text.lower()), "nlu_fallback")
        confidence = 0.9 if intent != "nlu_fallback" else 0.0
        return Parse(text=text, language=language, intent=IntentPrediction(intent, confidence))


class ScriptNLU(NLUBackend):
    """For tests of the real flows without a trained model: "cancel my booking" is the cancel intent, a six-character
    code with a digit is a booking reference, anything else a last name; "nlu-fail ..." makes the backend fail."""

    name = "script"

    async def parse(self, text: str, language: str, *, context: dict[str, Any] | None = None) -> Parse:
        t = text.strip()
        if t.startswith("nlu-fail"):
            raise NLUError(f"the NLU backend could not parse {t!r}")
        if t == "cancel my booking":
            return Parse(text, language, IntentPrediction("cancel", 0.99))
        is_ref = bool(re.fullmatch(r"[A-Za-z0-9]{6}", t)) and any(c.isdigit() for c in t)
        entity = "booking_reference" if is_ref else "last_name"
        return Parse(text, language, IntentPrediction("provide_info", 0.99),
                     entities=(Entity(entity, t.upper() if is_ref else t, 0, len(t), t),))


class PrefixDetector:
    """'nl: ...' means Dutch, 'xx: ...' an unsupported language; anything else keeps the conversation's language."""

    def detect(self, text: str, current: str | None) -> Detection:
        if text[:3] in ("nl:", "fr:", "de:", "en:"):
            return Detection(text[:2], True, True)
        if text.startswith("xx:"):
            return Detection("en", False, True)
        return Detection(current or "en", True, False)

    def detect_in_conversation(self, text: str, current: str | None, *, settled: bool = False) -> Detection:
        return self.detect(text, current)


class CountingEngine(DialogueEngine):
    """Counts turns in the state (slowly, to expose races), hands off on request_human, fails on 'boom'."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.turns: list[Turn] = []

    async def handle(self, turn: Turn) -> TurnResult:
        self.turns.append(turn)
        if "boom" in turn.text:
            raise RuntimeError("flow bug")
        count = int(turn.state.get("count", 0))
        if self.delay:
            await asyncio.sleep(self.delay)
        state = {**turn.state, "count": count + 1, "nlu_context": {"expecting": "anything", "turn": count + 1}}
        if turn.parse.intent.name == "request_human":
            return TurnResult(
                replies=[Reply("A colleague will take over.", kind="handoff")],
                state=state,
                handoff=HandoffRequest("request_human", "asked for a person"),
                events=[{"action": "handoff_requested"}],
            )
        return TurnResult(
            replies=[
                Reply(f"[{turn.language}] turn {count + 1}: {turn.parse.intent.name}",
                      buttons=(Button("Yes", "/affirm"), Button("No", "/deny")))
            ],
            state=state,
            events=[{"action": "turn", "n": count + 1}],
        )


class NoReservations:
    """A reservation adapter for tests that never reach the reservation system."""

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
