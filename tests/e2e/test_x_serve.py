"""X with a real `crisisbot serve` process, configured only through the environment, against a fake X API v2.

As an operator would try it: the banner says X is on; the CRC challenge is answered; a signed mention "I need to
rebook my flight" gets one short public reply (that repeats nothing the passenger wrote) and the conversation goes on
by DM; the same webhook event delivered again, and again after the process was killed with SIGKILL and restarted,
gets no second reply; an unsigned event is refused and changes nothing.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path

from bot.channels.x import signature
from tests.e2e.conftest import Serve
from tests.e2e.test_telegram_serve import healthy, post, wait_for
from tests.fakes.x_api import FakeXApi
from tests.x.conftest import CONSUMER_SECRET, mention_event

PASSENGER = "4242"


def serve_env(db_url: str, api: FakeXApi) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISBOT_")}
    env.update(CRISISBOT_DATABASE_URL=db_url, CRISISBOT_DEMO_BOOKINGS="50", CRISISBOT_LOG_LEVEL="WARNING",
               CRISISBOT_X__CONSUMER_KEY="ck", CRISISBOT_X__CONSUMER_SECRET=CONSUMER_SECRET,
               CRISISBOT_X__ACCESS_TOKEN="at", CRISISBOT_X__ACCESS_TOKEN_SECRET="ats",
               CRISISBOT_X__BASE_URL=api.url, CRISISBOT_OUTBOX_IDLE_SECONDS="0.1")
    return env


def signed_post(port: int, event: dict[str, object], *, secret: str = CONSUMER_SECRET) -> int:
    body = json.dumps(event).encode()
    return post(port, "/webhooks/x", event, {"x-twitter-webhooks-signature": signature(secret, body)})


def test_a_mention_gets_one_public_reply_and_a_dm_across_redelivery_and_kill9(serving: Serve, tmp_path: Path):
    with FakeXApi().in_thread() as api:
        env = serve_env(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", api)
        proc, port, out = serving(env)
        wait_for(lambda: healthy(port), 300)
        wait_for(lambda: "channel x:" in out.read_text(), 10)

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/webhooks/x?crc_token=abc", timeout=10) as r:
            assert json.loads(r.read()) == {"response_token": signature(CONSUMER_SECRET, b"abc")}

        event = mention_event(PASSENGER, "@crisisair I need to rebook my flight, booking X7K2PQ name Jansen",
                              tweet_id="1900000000000000001")
        assert signed_post(port, event, secret="not-the-secret") == 403
        time.sleep(1.0)
        assert api.tweets == [] and api.dms == []

        assert signed_post(port, event) == 200
        assert signed_post(port, event) == 200  # X delivers again
        wait_for(lambda: api.replies_to("1900000000000000001") and api.dms_to(PASSENGER), 30)
        time.sleep(1.5)
        (public,) = api.replies_to("1900000000000000001")
        assert "X7K2PQ" not in public["text"] and "Jansen" not in public["text"]  # nothing personal in public
        dms = api.dms_to(PASSENGER)
        # the ask, the booking code and the name were all in the public mention: the DM goes straight on
        assert "X7K2PQ" in dms[0] and "when would you like to fly" in dms[-1].lower()

        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        _, port2, _ = serving(env)
        wait_for(lambda: healthy(port2), 300)
        assert signed_post(port2, event) == 200  # redelivered to the restarted process
        time.sleep(2.0)
        assert len(api.replies_to("1900000000000000001")) == 1
        assert api.dms_to(PASSENGER) == dms
