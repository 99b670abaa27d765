"""The X channel against the fake X API v2, driven by tweepy: webhook security, dedupe, public mentions moved to
DMs without echoing personal data, 429 and 5xx, long broadcasts threaded within the tier's limit, polling."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from bot import errors
from bot.channels.x import HAVE_CURSORS, PUBLIC_REPLY, TIMELINE, XPoller, signature, thread_parts, weighted_length
from bot.messages import OutboundMessage
from bot.store.repo import NewOutbound
from bot.texts import TEXTS
from tests.fakes.x_api import ACCOUNT_ID, FakeXApi, new_id
from tests.x.conftest import (
    CONSUMER_SECRET,
    XBot,
    dm_event,
    eventually,
    mention_event,
    running_bot,
    stand_ins,
    x_settings,
)

PASSENGER = "2900000000000000042"


async def test_crc_challenge_answered_with_the_consumer_secret(xbot: XBot):
    r = await xbot.client.get("/webhooks/x", params={"crc_token": "abc123=="})
    assert r.status_code == 200
    assert r.json() == {"response_token": signature(CONSUMER_SECRET, b"abc123==")}
    assert r.json()["response_token"].startswith("sha256=")
    assert (await xbot.client.get("/webhooks/x")).status_code == 400


async def test_wrong_or_missing_signature_is_refused_and_nothing_is_processed(xbot: XBot, api: FakeXApi):
    event = dm_event(PASSENGER, "hello")
    assert (await xbot.post(event, secret=None)).status_code == 403
    assert (await xbot.post(event, secret="not-the-secret")).status_code == 403
    assert (await xbot.post(event, sig="sha256=AAAA")).status_code == 403
    assert await xbot.runtime.store.find_conversation("x", PASSENGER) is None
    assert (await xbot.post(event)).status_code == 200
    await xbot.settle(PASSENGER)
    assert len(api.dms_to(PASSENGER)) == 1


async def test_one_dm_event_delivered_five_times_gets_one_reply(xbot: XBot, api: FakeXApi):
    event = dm_event(PASSENGER, "hello", event_id="1777000000000000001")
    for _ in range(5):
        assert (await xbot.post(event)).status_code == 200
    await xbot.settle(PASSENGER)
    assert len(api.dms_to(PASSENGER)) == 1
    assert "1. Yes" in api.dms_to(PASSENGER)[0]  # buttons as a numbered list: DMs are plain text


async def test_a_mention_delivered_five_times_gets_one_public_reply(xbot: XBot, api: FakeXApi):
    event = mention_event(PASSENGER, "@crisisair hello", tweet_id="1777000000000000002")
    for _ in range(5):
        assert (await xbot.post(event)).status_code == 200
    await xbot.settle(PASSENGER)
    assert len(api.replies_to("1777000000000000002")) == 1
    assert len(api.dms_to(PASSENGER)) == 1


async def test_the_accounts_own_posts_and_dms_are_ignored(xbot: XBot, api: FakeXApi):
    assert (await xbot.post(dm_event(ACCOUNT_ID, "our own DM"))).json()["handled"] == 0
    assert (await xbot.post(mention_event(ACCOUNT_ID, "our own post"))).json()["handled"] == 0
    assert api.dms == [] and api.tweets == []


async def test_a_public_mention_with_a_booking_code_is_never_echoed_and_goes_on_by_dm(xbot: XBot, api: FakeXApi):
    tweet = new_id()
    posted = "@crisisair rebook X7K2PQ Jansen jansen@example.com +31612345678 please"
    r = await xbot.post(mention_event(PASSENGER, posted, tweet_id=tweet, name="Anna Jansen"))
    assert r.status_code == 200
    await xbot.settle(PASSENGER)
    public = api.replies_to(tweet)
    assert len(public) == 1
    text = public[0]["text"]
    for secret in ("X7K2PQ", "x7k2pq", "Jansen", "jansen@example.com", "612345678", "Anna"):
        assert secret.lower() not in text.lower()
    assert "DM" in text and "booking code" in text  # moves them to DMs, warns about posting codes
    assert public[0]["direct_message_deep_link"].endswith(f"recipient_id={ACCOUNT_ID}")
    # every public post the account made says nothing the passenger posted
    assert all("X7K2PQ" not in t["text"] for t in api.tweets)
    # the ask was understood: the DM conversation starts with it
    dms = api.dms_to(PASSENGER)
    assert dms and "rebook" in dms[0]
    # ... and goes on by DM: no further public post
    await xbot.dm(PASSENGER, "yes")
    assert len(api.tweets) == 1


async def test_the_public_reply_speaks_the_passengers_language(xbot: XBot, api: FakeXApi):
    tweet = new_id()
    await xbot.post(mention_event(PASSENGER, "nl: @crisisair ik wil omboeken", tweet_id=tweet))
    await xbot.settle(PASSENGER)
    assert api.replies_to(tweet)[0]["text"] == TEXTS["x_public_reply"]["nl"]


def test_every_public_reply_fits_one_post_and_exists_in_every_language():
    langs = set(TEXTS["bot_error"])
    assert set(TEXTS["x_public_reply"]) == langs
    assert all(weighted_length(t) <= 280 for t in TEXTS["x_public_reply"].values())


@pytest.mark.skipif(not hasattr(errors, "Undeliverable"), reason="needs the outbox's permanent failures")
async def test_a_passenger_who_does_not_accept_dms_is_not_retried_forever(xbot: XBot, api: FakeXApi):
    api.closed_dms.add(PASSENGER)
    tweet = new_id()
    await xbot.post(mention_event(PASSENGER, "@crisisair rebook", tweet_id=tweet))
    await xbot.settle(PASSENGER)  # the DM is given up (403), not retried; the public reply asks them to DM us
    assert len(api.replies_to(tweet)) == 1
    assert len(api.calls_to("create_dm")) == 1


async def test_429_is_honoured_until_the_reset_time(xbot: XBot, api: FakeXApi):
    reset = int(time.time()) + 2
    api.script("create_dm", 429, {"title": "Too Many Requests", "status": 429}, times=1,
               headers={"x-rate-limit-reset": str(reset)})
    r = await xbot.post(dm_event(PASSENGER, "hello"))
    assert r.status_code == 200
    await xbot.settle(PASSENGER)
    calls = api.calls_to("create_dm")
    assert [c.status for c in calls] == [429, 200]
    assert time.time() >= reset - 1  # not before the reset X announced (whole seconds)
    assert len(api.dms_to(PASSENGER)) == 1


async def test_5xx_is_retried_with_backoff(xbot: XBot, api: FakeXApi):
    api.script("create_dm", 503, {"title": "Service Unavailable", "status": 503}, times=1)
    await xbot.post(dm_event(PASSENGER, "hello"))
    await xbot.settle(PASSENGER)
    assert [c.status for c in api.calls_to("create_dm")] == [503, 200]
    assert len(api.dms_to(PASSENGER)) == 1


LONG = (
    "Storm update for all passengers. Flights from Amsterdam are delayed today because of strong winds over "
    "the North Sea. If your flight is cancelled you can rebook for free by direct message or at "
    "https://example.com/a/very/long/path/that/counts/as/twenty-three/characters/only?and=query. "
    "Lounges at the airport stay open through the night and we hand out meal vouchers at every desk. "
    "Passengers with connections in Paris and Frankfurt are rebooked automatically and get a message. "
    "台風のため一部の便が欠航となります。ご迷惑をおかけして申し訳ございません。"
    "Please check the status of your flight before you travel to the airport; thank you for your patience."
)


async def test_a_long_broadcast_is_posted_as_a_thread(xbot: XBot, api: FakeXApi):
    ch = xbot.channel
    assert ch.broadcast_recipient() == TIMELINE
    await xbot.runtime.store.add_outbound(
        None, [NewOutbound(channel="x", recipient_id=TIMELINE, payload={"text": LONG, "kind": "broadcast"},
                           author="broadcast")])
    await xbot.settle(TIMELINE)
    posts = api.tweets
    assert len(posts) == len(thread_parts(LONG)) >= 3
    assert all(weighted_length(p["text"]) <= 280 for p in posts)
    assert posts[0]["in_reply_to_tweet_id"] is None
    assert [p["in_reply_to_tweet_id"] for p in posts[1:]] == [p["id"] for p in posts[:-1]]  # a reply chain
    assert posts[0]["text"].endswith(f"(1/{len(posts)})")
    joined = " ".join(p["text"].rsplit(" (", 1)[0] for p in posts)
    assert "https://example.com/a/very/long/path/that/counts/as/twenty-three/characters/only?and=query." in joined
    assert joined.split() == LONG.split()  # nothing lost, nothing added but the numbering


@pytest.mark.skipif("parts_sent" not in OutboundMessage.__dataclass_fields__,
                    reason="needs the outbox's delivery progress of split messages")
async def test_a_thread_that_fails_half_way_is_not_posted_twice(xbot: XBot, api: FakeXApi):
    api.script("create_tweet", 503, {"title": "Service Unavailable", "status": 503}, times=1, after=1)
    await xbot.runtime.store.add_outbound(
        None, [NewOutbound(channel="x", recipient_id=TIMELINE, payload={"text": LONG, "kind": "broadcast"})])
    await xbot.settle(TIMELINE)
    texts = [p["text"] for p in api.tweets]
    assert len(texts) == len(thread_parts(LONG)) and len(set(texts)) == len(texts)
    posts = api.tweets
    assert [p["in_reply_to_tweet_id"] for p in posts[1:]] == [p["id"] for p in posts[:-1]]


@pytest.fixture
async def small_tier(db_url: str, api: FakeXApi) -> AsyncIterator[XBot]:
    async for b in running_bot(x_settings(db_url, api, posts_per_15min=3), api, **stand_ins()):
        yield b


async def test_posts_stay_within_the_tiers_limit(small_tier: XBot, api: FakeXApi):
    store = small_tier.runtime.store
    for i in range(5):
        await store.add_outbound(None, [NewOutbound(channel="x", recipient_id=TIMELINE,
                                                    payload={"text": f"update {i}", "kind": "broadcast"})])

    async def three_posted() -> bool:
        return len(api.tweets) == 3

    await eventually(three_posted)
    pending = await store.pending_for_recipient("x", TIMELINE)
    assert len(pending) == 2  # waiting for the window, not failed
    assert [t["text"] for t in api.tweets] == ["update 0", "update 1", "update 2"]
    # a restarted channel reads the window back from the outbox
    ch = small_tier.channel
    ch.posts.times.clear()
    ch.posts.seeded = False
    await ch._seed_window()
    assert ch.posts.wait_for(1) > 0


def test_weighted_length_counts_like_x():
    assert weighted_length("hello") == 5
    assert weighted_length("https://example.com/" + "x" * 200) == 23
    assert weighted_length("台風") == 4
    assert weighted_length("café") == 4
    assert weighted_length("🙂") == 2
    long_cjk = "台" * 300
    assert all(weighted_length(p) <= 280 for p in thread_parts(long_cjk))


@pytest.mark.skipif(not HAVE_CURSORS, reason="needs the channel cursor store")
async def test_polling_reads_mentions_and_dms_once_across_a_restart(db_url: str, api: FakeXApi):
    settings = x_settings(db_url, api, mode="polling", poll_seconds=3600)
    first_mention = api.add_mention(PASSENGER, "@crisisair hello")
    api.add_dm(PASSENGER, "hello by DM")
    async for b in running_bot(settings, api, **stand_ins()):
        assert b.client is not None and (await b.client.post("/webhooks/x")).status_code in (404, 405)
        poller = XPoller(b.channel)
        await poller.tick()
        await b.settle(PASSENGER)
        assert len(api.replies_to(first_mention)) == 1
        assert len(api.dms_to(PASSENGER)) == 2  # the mention's and the DM's answers (our own DMs are not read)
        await poller.tick()  # nothing new: nothing again
        await b.settle(PASSENGER)
        assert len(api.dms_to(PASSENGER)) == 2
    # restart: a new process, the same database
    before_restart = len(api.calls_to("mentions"))
    second_mention = api.add_mention(PASSENGER, "@crisisair hello again")
    api.add_dm(PASSENGER, "another DM")
    async for b in running_bot(settings, api, **stand_ins()):
        await XPoller(b.channel).tick()
        await b.settle(PASSENGER)
        assert len(api.replies_to(first_mention)) == 1
        assert len(api.replies_to(second_mention)) == 1
        assert len(api.dms_to(PASSENGER)) == 4
    since = [c.params.get("since_id") for c in api.calls_to("mentions")]
    assert since[0] is None
    # the cursor survived the restart: the new process's first read starts after the first mention (the background
    # poller may read once more after the test's own tick, from the second mention on)
    assert since[before_restart] == first_mention
    assert set(since[before_restart:]) <= {first_mention, second_mention}


async def test_public_reply_kind_is_one_post(xbot: XBot, api: FakeXApi):
    await xbot.runtime.store.add_outbound(None, [NewOutbound(
        channel="x", recipient_id=PASSENGER, payload={"text": "x", "kind": PUBLIC_REPLY, "in_reply_to": "123"})])
    await xbot.settle(PASSENGER)
    assert api.replies_to("123") and api.dms == []
