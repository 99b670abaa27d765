"""How often does a conversation's language change when it should not? (goal: 0)

    python bench/language_switch.py

Runs the conversations of tests/e2e/language_conversations.py (in every supported language: an opener, then names
from other languages, booking codes, dates, numbers, flight numbers and short answers) through the whole bot behind
the REST channel (temporary SQLite database, demo airline, embedded NLU, the language detector as served), and
prints the number of turns that changed the conversation's language, with each such turn.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def main() -> None:
    import httpx

    from bot.app import create_app
    from bot.runtime import Runtime
    from bot.settings import Settings
    from tests.e2e import language_conversations as lc

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp}/bench.db", demo_bookings=50, demo_days=2)
        rt = Runtime(settings)
        app = create_app(rt)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:

            async def say(sender: str, text: str) -> object:
                r = await client.post("/webhooks/rest/webhook",
                                      json={"sender": sender, "message": text, "message_id": uuid.uuid4().hex})
                return r.json()

            async def language_of(sender: str) -> str | None:
                conv = await rt.store.find_conversation("rest", sender)
                return conv.language if conv else None

            started = time.perf_counter()
            switches, total = await lc.run(settings.languages, say, language_of)
            took = time.perf_counter() - started
    languages = [lang for lang in settings.languages if lang in lc.OPENERS]
    print(f"conversations: {len(languages)} ({', '.join(languages)}), turns: {total}, {took:.1f} s")
    print(f"language switches: {len(switches)} (goal 0)")
    for s in switches:
        print(f"  {s.language} -> {s.answered_in} after {s.text!r}")


if __name__ == "__main__":
    asyncio.run(main())
