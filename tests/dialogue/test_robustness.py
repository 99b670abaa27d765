"""Whatever arrives, the engine answers and keeps a JSON-able state (never raises for passenger input)."""

from __future__ import annotations

import json
import random

from bot.nlu.base import FALLBACK_INTENT, INTENTS
from tests.dialogue.conftest import Chat

VALUES = {
    "booking_reference": ["X7K2PQ", "C4NCLD", "ZZZZZZ", "", "x", 123456, None],
    "last_name": ["Jansen", "Dupont", "", "   ", "Ωmega", 7],
    "date": ["2026-11-25", "2026-11-03", "2030-01-01", "not-a-date", "", 20261125],
    "flight_number": ["KL1233", "KL9999", "", "??", 1233],
    "option": [1, 2, 3, 0, -1, 99, "2", "two", None, 2.5],
    "airport": ["AMS", "XXX", ""],
}
TEXTS = ["yes", "no", "2", "x7k2pq", "Jansen", "", "🙂", "\x00\x01", "a" * 5000, "stop", "14:05", "KL 1005"]


async def test_random_conversations_never_raise(flow_engine, airline):
    rng = random.Random(20100415)
    intents = [*INTENTS, FALLBACK_INTENT]
    for conversation in range(40):
        c = Chat(flow_engine, rng.choice(["en", "nl", "fr", "de", "es", "xx"]))
        # start most conversations in a real flow so that the random turns hit parked steps
        if conversation % 4:
            await c.send("change", rng.choice(["rebook", "cancel", "flight_status"]))
            await c.identify(rng.choice(["X7K2PQ", "C4NCLD", "R3FSEM"]),
                             rng.choice(["Jansen", "Dupont", "de Vries"]))
        for _ in range(12):
            entities = {}
            for name in rng.sample(sorted(VALUES), rng.randint(0, 2)):
                entities[name] = rng.choice(VALUES[name])
            flags = tuple(rng.sample(["unsupported_language", "angry", "empty", "truncated"], rng.randint(0, 1)))
            result = await c.send(rng.choice(TEXTS), rng.choice(intents), confidence=rng.random(), flags=flags,
                                  **entities)
            assert result.replies, "every message gets an answer"
            assert result.handoff is None or result.handoff.reason != "internal_error", result.handoff
            json.dumps(result.state)
            json.dumps(result.events)
    # nothing was changed twice by the same conversation
    assert airline.changes() <= len({k.split(":")[0] for k in airline._done})
