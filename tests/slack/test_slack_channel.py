"""The Slack channel through slack-bolt / slack-sdk against the local fake Slack Web API: signed requests, the
url_verification challenge, direct messages as a passenger channel (dedupe of Slack's retries, Block Kit buttons),
sending at Slack's limits (429 with Retry-After, 5xx), splitting and escaping."""

from __future__ import annotations

import asyncio
import json
import time

from sqlalchemy import func, select

from bot.channels.base import ChannelContext
from bot.channels.slack import SlackChannel, SlackSocketService, escape, socket_service
from bot.errors import ChannelError, RateLimited
from bot.messages import OutboundMessage
from bot.settings import Settings, SlackSettings
from bot.store.models import Message
from tests.slack.conftest import SECRET, SlackBot, signed_headers, slack_settings


async def inbound_count(bot: SlackBot) -> int:
    async with bot.runtime.store.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(Message).where(
            Message.direction == "in"))).scalar_one())


async def test_url_verification_challenge_is_answered(sbot: SlackBot):
    r = await sbot.post_event({"type": "url_verification", "token": "t", "challenge": "abc123xyz"})
    assert r.status_code == 200
    assert "abc123xyz" in r.text


async def test_missing_wrong_or_stale_signature_is_refused_and_nothing_is_stored(sbot: SlackBot):
    envelope = sbot.event("U1001", "hello")
    body = json.dumps(envelope).encode()
    assert (await sbot.post_event(envelope, headers={"Content-Type": "application/json"})).status_code == 401
    wrong = signed_headers(body, secret=SECRET + "x")
    assert (await sbot.post_event(envelope, headers=wrong)).status_code == 401
    stale = signed_headers(body, timestamp=int(time.time()) - 600)  # a replay from 10 minutes ago
    assert (await sbot.post_event(envelope, headers=stale)).status_code == 401
    tampered = signed_headers(body)
    r = await sbot.client.post("/webhooks/slack/events", content=body.replace(b"hello", b"hellO"), headers=tampered)
    assert r.status_code == 401
    for path in ("/webhooks/slack/interactive", "/webhooks/slack/commands"):
        assert (await sbot.client.post(path, content=b"payload=%7B%7D")).status_code == 401
    assert await inbound_count(sbot) == 0
    assert sbot.api.sent() == []
    assert (await sbot.post_event(envelope)).status_code == 200
    await sbot.settle()
    assert [m["text"] for m in sbot.api.sent("U1001")] == ["[en] turn 1: greet"]


async def test_one_event_delivered_five_times_gets_one_reply(sbot: SlackBot):
    envelope = sbot.event("U1002", "I want to rebook")
    first = await asyncio.gather(*(sbot.post_event(envelope) for _ in range(2)))
    retries = [await sbot.post_event(envelope, retry=n) for n in (1, 2, 3)]  # Slack's retries carry X-Slack-Retry-Num
    assert [r.status_code for r in [*first, *retries]] == [200] * 5
    await sbot.settle()
    assert [m["text"] for m in sbot.api.sent("U1002")] == ["[en] turn 1: rebook"]
    assert await inbound_count(sbot) == 1
    assert [m["text"] for m in await sbot.say("U1002", "hello")] == ["[en] turn 2: greet"]


async def test_buttons_are_block_kit_actions_and_a_click_is_the_passengers_message(sbot: SlackBot):
    (reply,) = await sbot.say("U1003", "hello")
    actions = next(b for b in reply["blocks"] if b["type"] == "actions")
    assert [(e["text"]["text"], e["value"]) for e in actions["elements"]] == [("Yes", "/affirm"), ("No", "/deny")]
    (after,) = await sbot.press("U1003", reply, "reply:0")
    assert after["text"] == "[en] turn 2: nlu_fallback"
    conv = await sbot.runtime.store.find_conversation("slack", "U1003")
    assert conv is not None
    transcript = await sbot.runtime.store.transcript(conv.id)
    assert [t["text"] for t in transcript if t["direction"] == "in"] == ["hello", "/affirm"]


async def test_channel_messages_edits_and_bots_are_not_passenger_turns(sbot: SlackBot):
    in_channel = sbot.event("U1004", "hello all", channel="CGENERAL", channel_type="channel")
    edited = sbot.event("U1004", "hello")
    edited["event"]["subtype"] = "message_changed"
    from_bot = sbot.event("U1004", "hello")
    from_bot["event"]["bot_id"] = "BOTHER"
    for envelope in (in_channel, edited, from_bot):
        assert (await sbot.post_event(envelope)).status_code == 200
    assert await inbound_count(sbot) == 0


async def test_malformed_bodies_are_4xx_not_500(sbot: SlackBot):
    for body in (b"not json", b"[]", b'{"type": "event_callback", "event": "x"}'):
        r = await sbot.client.post("/webhooks/slack/events", content=body, headers=signed_headers(body))
        assert r.status_code < 500, (body, r.status_code)


# ---- sending -------------------------------------------------------------------------------------------------------


def out(text: str, recipient: str = "U2001", **kw: object) -> OutboundMessage:
    return OutboundMessage(outbox_id=1, channel="slack", recipient_id=recipient, text=text, **kw)  # type: ignore[arg-type]


async def test_passenger_text_never_pings_or_formats(sbot: SlackBot):
    channel = sbot.runtime.channels["slack"]
    evil = "<!channel> <!here> <@U0BOSS> <https://evil.example|click> *bold* & co"
    await channel.send(out(evil, buttons=({"title": "<!everyone>", "payload": "/x"},)))
    (sent,) = sbot.api.sent("U2001")
    assert sent["text"] == "&lt;!channel&gt; &lt;!here&gt; &lt;@U0BOSS&gt; &lt;https://evil.example|click&gt; " \
                           "*bold* &amp; co"
    assert sent["mrkdwn"] is False  # no formatting either
    for block in sent["blocks"]:
        texts = [block.get("text")] + [e.get("text") for e in block.get("elements", [])]
        assert all(t["type"] == "plain_text" for t in texts if t)  # shown as written, never parsed
    assert escape("a<b>&") == "a&lt;b&gt;&amp;"


async def test_429_is_rate_limited_with_retry_after_and_5xx_is_a_retryable_error(sbot: SlackBot):
    channel = sbot.runtime.channels["slack"]
    sbot.api.fail_next("chat.postMessage", 429, retry_after=7)
    try:
        await channel.send(out("hi"))
        raise AssertionError("no RateLimited")
    except RateLimited as exc:
        assert exc.retry_after == 7
    sbot.api.fail_next("chat.postMessage", 503)
    try:
        await channel.send(out("hi"))
        raise AssertionError("no ChannelError")
    except ChannelError as exc:
        assert not isinstance(exc, RateLimited)
    assert await channel.send(out("hi")) is not None


async def test_the_outbox_honours_429_and_retries_5xx_without_losing_or_doubling(sbot: SlackBot):
    sbot.api.fail_next("chat.postMessage", 429, retry_after=1)
    sbot.api.fail_next("chat.postMessage", 500)
    started = time.monotonic()
    replies = await sbot.say("U2002", "hello")
    assert time.monotonic() - started >= 0.9  # waited as long as Slack said
    assert [m["text"] for m in replies] == ["[en] turn 1: greet"]
    assert len(sbot.api.calls_to("chat.postMessage")) == 3


async def test_long_texts_are_split_at_the_limit_with_buttons_on_the_last_part(sbot: SlackBot):
    channel = sbot.runtime.channels["slack"]
    text = " ".join(f"word{i}" for i in range(1500))  # ~11,000 characters
    await channel.send(out(text, buttons=({"title": "OK", "payload": "/ok"},)))
    parts = sbot.api.sent("U2001")
    assert len(parts) >= 4 and all(len(p["text"]) <= 3000 for p in parts)
    assert " ".join(p["text"] for p in parts).split() == text.split()
    assert "blocks" not in parts[0] and parts[-1]["blocks"][-1]["type"] == "actions"


# ---- settings, socket mode -----------------------------------------------------------------------------------------


def test_the_channel_is_off_without_credentials_and_socket_mode_needs_the_app_token():
    assert not SlackChannel.enabled(Settings())
    assert not SlackChannel.enabled(Settings(slack=SlackSettings(bot_token="xoxb-1")))
    assert SlackChannel.enabled(Settings(slack=SlackSettings(bot_token="xoxb-1", signing_secret="s")))
    assert not SlackChannel.enabled(Settings(slack=SlackSettings(bot_token="xoxb-1", socket_mode=True)))
    assert SlackChannel.enabled(Settings(slack=SlackSettings(bot_token="xoxb-1", socket_mode=True, app_token="xapp-1")))


async def test_socket_mode_is_one_singleton_service_on_the_same_bolt_app(sbot: SlackBot, db_url: str):
    settings = slack_settings(db_url, sbot.api, socket_mode=True, app_token="xapp-test")
    ctx = ChannelContext(settings=settings, receiver=sbot.runtime.pipeline, store=sbot.runtime.store)
    channel = SlackChannel(ctx)
    assert channel.routes() == []  # no HTTP endpoints in socket mode
    service = socket_service({"slack": channel})
    assert isinstance(service, SlackSocketService) and service.singleton
    handler = service.build_handler()
    assert handler.app is channel.core.app
    assert handler.client.web_client.base_url == sbot.api.base_url  # apps.connections.open goes to the setting
    assert handler.client.app_token == "xapp-test"
    assert socket_service(sbot.runtime.channels) is None  # HTTP mode: no socket service
    await channel.shutdown()
