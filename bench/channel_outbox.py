"""How fast the outbox sends to a platform, against its local fake API, as a share of the platform's limit.

    python bench/channel_outbox.py [--channel telegram] [--db sqlite+aiosqlite:///bench-outbox.db | postgresql+...]
                                   [--messages 900] [--chats 300]

The real dispatcher and channel (python-telegram-bot against tests/fakes/telegram_api.py, which refuses more than
the platform allows with 429) drain a queue written straight to the outbox:

* overall: ``--messages`` spread over ``--chats`` chats -> messages/s vs the overall limit (Telegram ~30/s),
* one chat: 10 messages to one chat -> messages/s vs the per-chat limit (Telegram 1/s).

Prints both figures, and how many sends the fake refused for going over a limit (it counts arrivals in a sliding
0.95-second window, so arrivals bunched by scheduling jitter can be refused now and then; they are retried).
Slack and X add their channel and fake to CHANNELS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def telegram(db_url: str) -> tuple[Any, Callable[[Any, Any], Any]]:
    from bot.channels.base import ChannelContext
    from bot.channels.telegram import TelegramChannel
    from bot.settings import Settings, TelegramSettings
    from tests.fakes.telegram_api import TOKEN, FakeTelegramApi

    api = FakeTelegramApi(enforce_limits=True)

    def make(store: Any, api: Any) -> Any:
        settings = Settings(database_url=db_url, telegram=TelegramSettings(
            token=TOKEN, secret_token="bench", base_url=api.base_url, mode="webhook"))
        return TelegramChannel(ChannelContext(settings, None, store))  # type: ignore[arg-type]

    return api, make


CHANNELS = {"telegram": telegram}


async def drain(store: Any, channel: Any, name: str, rows: list[tuple[str, str]]) -> float:
    from bot.services.outbox import OutboxDispatcher
    from bot.store.repo import NewOutbound

    await store.add_outbound(None, [NewOutbound(name, chat, {"text": text}, visible=False) for chat, text in rows])
    dispatcher = OutboxDispatcher(store, {name: channel}, idle_seconds=0.02)
    started = time.perf_counter()
    await dispatcher.start()
    try:
        while True:
            counts = await store.outbox_counts()
            if not counts.get("pending") and not counts.get("sending"):
                break
            await asyncio.sleep(0.02)
    finally:
        await dispatcher.stop()
    elapsed = time.perf_counter() - started
    counts = await store.outbox_counts()
    assert counts.get("sent", 0) >= len(rows), counts
    return elapsed


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--channel", default="telegram", choices=sorted(CHANNELS))
    ap.add_argument("--db", default="")
    ap.add_argument("--messages", type=int, default=900)
    ap.add_argument("--chats", type=int, default=300)
    args = ap.parse_args()

    from bot.store.db import create_engine
    from bot.store.migrate import upgrade
    from bot.store.repo import Store

    tmp = tempfile.mkdtemp(prefix="bench-outbox-")
    db_url = args.db or f"sqlite+aiosqlite:///{os.path.join(tmp, 'bench.db')}"
    engine = create_engine(db_url)
    await upgrade(engine)
    store = Store(engine)
    api, make = CHANNELS[args.channel](db_url)
    with api.in_thread():  # the fake API in a thread and event loop of its own, like a server elsewhere
        channel = make(store, api)
        async with channel:
            caps = channel.capabilities
            overall = [(str(900_000 + i % args.chats), f"update {i}") for i in range(args.messages)]
            t = await drain(store, channel, args.channel, overall)
            rate = args.messages / t
            print(f"{args.channel}: overall {rate:.1f} messages/s over {args.chats} chats "
                  f"({args.messages} in {t:.1f} s) = {rate / caps.rate_per_second:.0%} of the "
                  f"{caps.rate_per_second:g}/s limit")
            one = [("899999", f"part {i}") for i in range(10)]
            t1 = await drain(store, channel, args.channel, one)
            # n messages at 1/s take n-1 seconds: the first goes at once
            per_chat = (len(one) - 1) / t1
            print(f"{args.channel}: one chat {per_chat:.2f} messages/s ({len(one)} in {t1:.1f} s) = "
                  f"{per_chat / caps.rate_per_recipient:.0%} of the {caps.rate_per_recipient:g}/s per-chat limit")
            print(f"{args.channel}: sends the fake API refused for going over a limit (retried after retry_after): "
                  f"{api.limit_violations} {dict(api.violations)}")
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
