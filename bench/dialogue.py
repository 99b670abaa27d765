"""Flow engine cost per message (no NLU, in-memory reservation adapter): python bench/dialogue.py [conversations]."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.dialogue.base import Turn
from bot.dialogue.engine import FlowEngine
from bot.dialogue.loader import load_flows
from bot.settings import Settings
from tests.dialogue.conftest import make_parse
from tests.dialogue.fake_adapter import NOW, TOMORROW, make_airline

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = [
    ("I want to change my flight", "rebook", {}),
    ("X7K2PQ", "provide_info", {"booking_reference": "X7K2PQ"}),
    ("Jansen", "provide_info", {"last_name": "Jansen"}),
    ("tomorrow", "provide_info", {"date": TOMORROW.isoformat()}),
    ("2", "choose_option", {"option": 2}),
    ("no", "deny", {}),
    ("1", "choose_option", {"option": 1}),
    ("stop", "stop", {}),
]


async def main(conversations: int) -> None:
    root = ROOT
    t0 = time.perf_counter()
    flows = load_flows(root)
    load_ms = (time.perf_counter() - t0) * 1000
    engine = FlowEngine(Settings(content_dir=root), make_airline(), flows)
    timings = []
    for i in range(conversations):
        state: dict = {}
        cid = uuid.uuid4().hex
        lang = ("en", "nl", "fr", "de")[i % 4]
        for text, intent, entities in SCRIPT:
            turn = Turn(cid, "bench", "s", lang, text, make_parse(text, lang, intent, **entities), state, NOW)
            t = time.perf_counter()
            result = await engine.handle(turn)
            state = json.loads(json.dumps(result.state))  # what the store does
            timings.append(time.perf_counter() - t)
    timings.sort()
    print(f"flows loaded and checked in {load_ms:.0f} ms")
    print(f"{len(timings)} messages in {conversations} conversations")
    print(f"per message: median {statistics.median(timings) * 1000:.2f} ms, "
          f"p95 {timings[int(len(timings) * 0.95)] * 1000:.2f} ms, max {timings[-1] * 1000:.2f} ms")
    print(f"throughput (one core): {len(timings) / sum(timings):.0f} messages/s")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
