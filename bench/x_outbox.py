"""How fast the outbox sends on X, against the local fake X API v2, as a share of the account tier's limits.

    python bench/x_outbox.py [--db sqlite+aiosqlite:///bench.db | postgresql+asyncpg://...] [--dms 600]
                             [--dm-rate 20] [--posts 100]

The real dispatcher and X channel (tweepy's AsyncClient against tests/fakes/x_api.py, which answers 429 to more
than the limits allow) drain queues written straight to the outbox:

* DMs: ``--dms`` messages to 200 passengers with the DM budget scaled up to ``--dm-rate`` per second (a real
  account's 200 DMs / 15 min is 0.22/s: nothing to measure in a bench) -> DMs/s as a share of that rate;
* posts: ``--posts`` + 10 broadcasts with the tier at ``--posts`` posts per 15 minutes -> how fast the window's
  budget is used, and that the 10 over it wait for the window instead of going out (or being refused).

Prints the figures and how many requests the fake refused for going over a limit (retried after the reset time).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


async def wait_drained(store: Any, expect_sent: int, within: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < within:
        counts = await store.outbox_counts()
        if counts.get("sent", 0) >= expect_sent:
            break
        await asyncio.sleep(0.02)
    return time.perf_counter() - started


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="")
    ap.add_argument("--dms", type=int, default=600)
    ap.add_argument("--dm-rate", type=float, default=20.0)
    ap.add_argument("--posts", type=int, default=100)
    args = ap.parse_args()

    from bot.channels.base import ChannelContext
    from bot.channels.x import TIMELINE, XChannel
    from bot.services.outbox import OutboxDispatcher
    from bot.settings import Settings, XSettings
    from bot.store.db import create_engine
    from bot.store.migrate import upgrade
    from bot.store.repo import NewOutbound, Store
    from tests.fakes.x_api import FakeXApi

    tmp = tempfile.mkdtemp(prefix="bench-x-")
    db_url = args.db or f"sqlite+aiosqlite:///{os.path.join(tmp, 'bench.db')}"
    engine = create_engine(db_url)
    await upgrade(engine)
    store = Store(engine)
    api = FakeXApi()
    api.enforce(dms_per_second=args.dm_rate, posts_per_15min=args.posts)
    with api.in_thread():
        settings = Settings(database_url=db_url, x=XSettings(
            consumer_key="ck", consumer_secret="cs", access_token="at", access_token_secret="ats",
            base_url=api.url, dms_per_15min=int(args.dm_rate * 900) - args.posts, posts_per_15min=args.posts))
        channel = XChannel(ChannelContext(settings, None, store))  # type: ignore[arg-type]
        async with channel:
            dispatcher = OutboxDispatcher(store, {"x": channel}, idle_seconds=0.02)
            await dispatcher.start()
            try:
                rows = [NewOutbound("x", str(3_000_000 + i % 200), {"text": f"update {i}"}, visible=False)
                        for i in range(args.dms)]
                await store.add_outbound(None, rows)
                t = await wait_drained(store, args.dms, 600)
                rate = args.dms / t
                print(f"x DMs: {rate:.1f} messages/s ({args.dms} to 200 passengers in {t:.1f} s) = "
                      f"{rate / args.dm_rate:.0%} of the {args.dm_rate:g}/s DM budget")
                posts = [NewOutbound("x", TIMELINE, {"text": f"crisis update {i}", "kind": "broadcast"},
                                     visible=False) for i in range(args.posts + 10)]
                await store.add_outbound(None, posts)
                tp = await wait_drained(store, args.dms + args.posts, 600)
                await asyncio.sleep(2.0)  # would any of the 10 over the window slip out?
                counts = await store.outbox_counts()
                print(f"x posts: the tier's {args.posts} posts / 15 min used in {tp:.1f} s "
                      f"({args.posts / tp:.1f} posts/s); {len(api.tweets)} posted, "
                      f"{counts.get('pending', 0)} waiting for the window (expected 10)")
                print(f"x: requests the fake API refused for going over a limit (retried after the reset): "
                      f"{api.limit_violations}")
            finally:
                await dispatcher.stop()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
