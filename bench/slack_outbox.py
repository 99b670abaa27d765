"""Messages per second the outbox sustains for Slack against the local fake Slack Web API, as a share of Slack's
limit (~1 message a second per channel, chat.postMessage).

    .venv/bin/python bench/slack_outbox.py [--channels 20] [--per-channel 10] [--database-url URL]

The fake refuses (429 with Retry-After: 1) what Slack would refuse: more than a short burst per channel per second;
the figure counts those refusals too. Prints one line per run; no timed assertion anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.channels.base import ChannelContext
from bot.channels.slack import SlackChannel
from bot.runtime import open_database
from bot.services.outbox import OutboxDispatcher
from bot.settings import Settings, SlackSettings
from bot.store.repo import NewOutbound, Store
from tests.fakes.slack_api import FakeSlackApi


async def run(channels: int, per_channel: int, database_url: str | None) -> None:
    tmp = tempfile.mkdtemp(prefix="slack-bench-")
    url = database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
    async with FakeSlackApi(token="xoxb-bench", rate_per_channel=1.0) as api:
        settings = Settings(database_url=url, slack=SlackSettings(bot_token="xoxb-bench", signing_secret="s",
                                                                  base_url=api.base_url))
        engine = await open_database(settings)
        store = Store(engine)
        ctx = ChannelContext(settings=settings, receiver=None, store=store)  # type: ignore[arg-type]
        channel = SlackChannel(ctx)
        await channel.initialize()
        total = channels * per_channel
        await store.add_outbound(None, [
            NewOutbound(channel="slack", recipient_id=f"C{c:04d}", payload={"text": f"update {i} for channel {c}"})
            for i in range(per_channel) for c in range(channels)
        ])
        dispatcher = OutboxDispatcher(store, {"slack": channel}, idle_seconds=0.02)
        started = time.monotonic()
        await dispatcher.start()
        try:
            for _ in range(12_000):  # at most 10 minutes
                if len(api.sent()) >= total:
                    break
                await asyncio.sleep(0.05)
        finally:
            await dispatcher.stop()
        elapsed = time.monotonic() - started
        rate = len(api.sent()) / elapsed
        limit = float(channels)  # 1 message a second to each channel
        print(f"slack outbox: {len(api.sent())}/{total} messages to {channels} channels in {elapsed:.1f} s = "
              f"{rate:.1f} msg/s; Slack's limit {limit:.0f} msg/s (1/s per channel) -> {100 * rate / limit:.0f}% "
              f"of the limit; 429s from the fake: {api.limit_violations}")
        await channel.shutdown()
        await engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--channels", type=int, default=20)
    p.add_argument("--per-channel", type=int, default=10)
    p.add_argument("--database-url")
    a = p.parse_args()
    asyncio.run(run(a.channels, a.per_channel, a.database_url))


if __name__ == "__main__":
    main()
