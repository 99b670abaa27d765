"""Telegram through python-telegram-bot against a local fake Bot API: webhook secret, dedupe of repeated updates,
inline keyboards and callback queries, sending at the platform's limits (429, 5xx, blocked), splitting, escaping,
and long polling whose offset survives a restart."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.channels.base import ChannelContext, split_text, utf16_length
from bot.channels.telegram import TelegramChannel, TelegramPoller, keyboard
from bot.errors import ConfigurationError
from bot.runtime import Runtime
from bot.services.outbox import OutboxDispatcher
from bot.services.registry import build_services
from bot.store import cursors
from bot.store.models import Message, OutboxItem
from bot.store.repo import NewOutbound, Store
from tests.channels.conftest import SECRET, TelegramBot, eventually, telegram_settings
from tests.fakes.parts import CountingEngine, KeywordNLU, NoReservations, PrefixDetector
from tests.fakes.telegram_api import FakeTelegramApi


async def inbound_count(store: Store) -> int:
    async with store.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(Message.__table__))).scalar_one())


# ---- webhook --------------------------------------------------------------------------------------------------------


async def test_wrong_or_missing_secret_is_refused_and_nothing_is_stored(tbot: TelegramBot):
    update = tbot.api.message_update(1001, "hello")
    assert (await tbot.post(update, secret="wrong")).status_code == 403
    assert (await tbot.post(update, secret=None)).status_code == 403
    assert (await tbot.post(update, secret=SECRET + "x")).status_code == 403
    assert await inbound_count(tbot.runtime.store) == 0
    r = await tbot.post(update)
    assert r.status_code == 200
    await tbot.settle(1001)
    assert [m["text"] for m in tbot.api.sent(1001)] == ["[en] turn 1: greet"]


async def test_one_update_delivered_five_times_gets_one_reply(tbot: TelegramBot):
    update = tbot.api.message_update(1002, "I want to rebook")
    statuses = [r.status_code for r in await asyncio.gather(*(tbot.post(update) for _ in range(3)))]
    statuses += [(await tbot.post(update)).status_code for _ in range(2)]  # and twice more, later
    assert statuses == [200] * 5
    await tbot.settle(1002)
    assert [m["text"] for m in tbot.api.sent(1002)] == ["[en] turn 1: rebook"]
    assert await inbound_count(tbot.runtime.store) == 1
    # the next update is a new turn: the repeats did not count
    assert [m["text"] for m in await tbot.say(1002, "hello")] == ["[en] turn 2: greet"]


async def test_buttons_are_an_inline_keyboard_and_a_press_is_the_passengers_message(tbot: TelegramBot):
    (reply,) = await tbot.say(1003, "hello")
    rows = reply["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in rows] == [["Yes", "No"]]
    assert [b["callback_data"] for b in rows[0]] == ["/affirm", "/deny"]
    answered_before = len(tbot.api.calls_to("answerCallbackQuery"))
    (after,) = await tbot.press(1003, "/affirm")
    assert after["text"] == "[en] turn 2: nlu_fallback"
    answers = tbot.api.calls_to("answerCallbackQuery")[answered_before:]
    assert len(answers) == 1 and answers[0].params["callback_query_id"].startswith("cq")
    conv = await tbot.runtime.store.find_conversation("telegram", "1003")
    assert conv is not None
    transcript = await tbot.runtime.store.transcript(conv.id)
    assert [t["text"] for t in transcript if t["direction"] == "in"] == ["hello", "/affirm"]


async def test_group_chats_and_other_updates_are_acknowledged_not_answered(tbot: TelegramBot):
    group = tbot.api.message_update(-100200, "hello everyone", chat_type="supergroup")
    assert (await tbot.post(group)).status_code == 200
    edited = {"update_id": 5, "edited_message": group["message"]}
    assert (await tbot.post(edited)).status_code == 200
    assert await inbound_count(tbot.runtime.store) == 0
    assert tbot.api.sent() == []


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"message": {}}', b'{"update_id": "x"}'])
async def test_malformed_updates_are_400_not_500(tbot: TelegramBot, body: bytes):
    r = await tbot.client.post("/webhooks/telegram", content=body,
                               headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert r.status_code == 400, r.text


async def test_webhook_mode_needs_a_secret_token(db_url: str, api: FakeTelegramApi):
    settings = telegram_settings(db_url, api)
    settings.telegram.secret_token = None
    channel = TelegramChannel(ChannelContext(settings, None, None))  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="SECRET_TOKEN"):
        await channel.initialize()


async def test_the_webhook_is_registered_with_its_secret_when_the_public_url_is_set(db_url: str,
                                                                                      api: FakeTelegramApi):
    settings = telegram_settings(db_url, api)
    settings.public_url = "https://bot.example/"
    channel = TelegramChannel(ChannelContext(settings, None, None))  # type: ignore[arg-type]
    async with channel:
        assert api.webhook_url == "https://bot.example/webhooks/telegram"
        assert api.webhook_secret == SECRET
        assert "webhook POST /webhooks/telegram" in channel.describe()


# ---- sending through the outbox --------------------------------------------------------------------------------------


@pytest.fixture
async def sender(engine: Any, api: FakeTelegramApi, db_url: str) -> Any:
    store = Store(engine)
    channel = TelegramChannel(ChannelContext(telegram_settings(db_url, api), None, store))  # type: ignore[arg-type]
    async with channel:
        dispatcher = OutboxDispatcher(store, {"telegram": channel}, idle_seconds=0.05)
        yield store, channel, dispatcher


async def queue(store: Store, chat: str, text: str, buttons: list[dict[str, str]] | None = None) -> int:
    payload: dict[str, Any] = {"text": text}
    if buttons:
        payload["buttons"] = buttons
    (row,) = await store.add_outbound(None, [NewOutbound("telegram", chat, payload)])
    return row.id


async def row_of(store: Store, oid: int) -> Any:
    async with store.transaction() as s:
        return (await s.execute(select(OutboxItem.__table__).where(OutboxItem.id == oid))).one()


async def run_until_settled(store: Store, dispatcher: OutboxDispatcher) -> None:
    async def settled() -> bool:
        counts = await store.outbox_counts()
        return not counts.get("pending") and not counts.get("sending")

    await dispatcher.start()
    try:
        await eventually(settled)
    finally:
        await dispatcher.stop()


async def test_text_is_sent_plain_so_nothing_is_read_as_markup(sender: Any, api: FakeTelegramApi):
    store, _channel, dispatcher = sender
    hostile = "<b>urgent</b> <a href='http://evil.example'>click</a> *bold* _x_ [y](http://z) `code` &amp; <"
    await queue(store, "2001", hostile)
    await dispatcher.drain_once()
    (call,) = api.calls_to("sendMessage")
    assert call.params["text"] == hostile  # byte for byte
    assert "parse_mode" not in call.params  # so Telegram shows it as typed: no tags, links or formatting


async def test_long_texts_are_split_under_4096_utf16_units_paced_one_a_second(sender: Any, api: FakeTelegramApi):
    store, _channel, dispatcher = sender
    paragraph = "Bags 🧳🧳🧳 checked through, Ms Jansen. " * 40  # these emoji are 2 UTF-16 units each
    text = paragraph * 7
    assert max(utf16_length(p) for p in split_text(text, 4096)) > 4096  # counting code points would be too long
    await queue(store, "2002", text, [{"title": "OK", "payload": "/affirm"}])
    await run_until_settled(store, dispatcher)
    sent = api.sent("2002")
    assert len(sent) >= 3 and all(utf16_length(m["text"]) <= 4096 for m in sent)
    assert " ".join(m["text"] for m in sent).split() == text.split()  # nothing lost, nothing doubled
    assert [("reply_markup" in m) for m in sent] == [False] * (len(sent) - 1) + [True]  # buttons on the last part
    times = [c.at for c in api.calls_to("sendMessage", ok_only=True)]
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(times))  # 1 message a second to one chat


async def test_429_is_retried_after_retry_after_seconds_and_not_earlier(sender: Any, api: FakeTelegramApi):
    store, _channel, dispatcher = sender
    api.rate_limit_next(retry_after=2)
    oid = await queue(store, "2003", "Your flight is rebooked.")
    await run_until_settled(store, dispatcher)
    refused, delivered = api.calls_to("sendMessage")
    assert refused.status == 429 and delivered.status == 200
    assert delivered.at - refused.at >= 2.0
    row = await row_of(store, oid)
    assert row.status == "sent" and len(api.sent("2003")) == 1


async def test_5xx_is_retried_with_backoff_and_sent_once(sender: Any, api: FakeTelegramApi):
    store, _channel, dispatcher = sender
    api.server_error_next(502, times=2)
    oid = await queue(store, "2004", "Hello again")
    await run_until_settled(store, dispatcher)
    calls = api.calls_to("sendMessage")
    assert [c.status for c in calls] == [502, 502, 200]
    assert calls[1].at - calls[0].at >= 0.9 and calls[2].at - calls[1].at >= 1.9  # 1 s, then 2 s: backing off
    assert (await row_of(store, oid)).status == "sent"


async def test_a_passenger_who_blocked_the_bot_is_not_retried_forever(sender: Any, api: FakeTelegramApi):
    store, _channel, dispatcher = sender
    api.block("2005")
    oid = await queue(store, "2005", "Anyone there?")
    other = await queue(store, "2006", "For another passenger")
    await dispatcher.drain_once()
    row = await row_of(store, oid)
    assert row.status == "failed" and "blocked" in row.last_error
    assert len(api.calls_to("sendMessage")) == 2  # one attempt each
    assert (await row_of(store, other)).status == "sent"
    assert await dispatcher.drain_once() == 0  # nothing left to try


async def test_a_split_message_interrupted_by_429_goes_on_without_repeating_parts(sender: Any,
                                                                                   api: FakeTelegramApi):
    store, _channel, dispatcher = sender
    words = [f"w{i}" for i in range(2500)]  # ~ 3 parts
    api.rate_limit_next(retry_after=1, after=1)  # the second part is refused
    oid = await queue(store, "2007", " ".join(words))
    await run_until_settled(store, dispatcher)
    sent = api.sent("2007")
    assert " ".join(m["text"] for m in sent).split() == words  # each part exactly once, in order
    assert (await row_of(store, oid)).status == "sent"


async def test_long_button_payloads_travel_as_references_only_their_chat_can_use(sender: Any,
                                                                                  api: FakeTelegramApi):
    store, channel, dispatcher = sender
    long_payload = '/choose_option{"option": 2, "flight": "KL1234", "date": "2026-12-08", "note": "x"}'
    oid = await queue(store, "2008", "Pick", [{"title": "KL1234 08:10", "payload": long_payload}])
    await dispatcher.drain_once()
    (msg,) = api.sent("2008")
    data = msg["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert data == f"#{oid}:0" and len(data.encode()) <= 64
    assert await channel.resolve_callback(data, "2008") == long_payload
    assert await channel.resolve_callback(data, "9999") is None  # another chat cannot replay it
    markup = keyboard([{"title": "1", "payload": "1"}, {"title": "2", "payload": "2"}], 1)
    assert len(markup.inline_keyboard) == 1  # short choices side by side


# ---- long polling ---------------------------------------------------------------------------------------------------


async def polling_runtime(db_url: str, api: FakeTelegramApi) -> tuple[Runtime, TelegramChannel, TelegramPoller]:
    settings = telegram_settings(db_url, api, mode="polling")
    rt = Runtime(settings, nlu=KeywordNLU(), detector=PrefixDetector(), dialogue=CountingEngine(),
                 adapter=NoReservations())  # type: ignore[arg-type]
    await rt.start()  # not serving: the test drives the poller itself
    channel = TelegramChannel(ChannelContext(settings, rt.pipeline, rt.store))
    await channel.initialize()
    return rt, channel, TelegramPoller(channel)


async def replies_in_outbox(store: Store) -> list[tuple[str, str]]:
    async with store.transaction() as s:
        rows = (await s.execute(select(OutboxItem.recipient_id, OutboxItem.payload).order_by(OutboxItem.id))).all()
    return [(r.recipient_id, r.payload["text"]) for r in rows]


async def test_polling_offset_survives_a_restart(db_url: str, api: FakeTelegramApi):
    rt, channel, poller = await polling_runtime(db_url, api)
    first = [api.message_update(3001, "hello"), api.message_update(3002, "rebook")]
    for u in first:
        api.push(u)
    assert await poller.poll_once(wait=0) == 2
    assert await cursors.get(rt.store, poller.cursor) == first[-1]["update_id"] + 1
    assert api.calls_to("deleteWebhook")  # getUpdates and a webhook exclude each other
    await channel.shutdown()
    await rt.stop()  # the process stops; Telegram has not yet been told the offset (no getUpdates since)

    later = api.message_update(3001, "cancel")
    api.push(later)
    rt, channel, poller = await polling_runtime(db_url, api)  # a new process
    assert await poller.poll_once(wait=0) == 1  # only the new update: nothing reprocessed, nothing lost
    assert sorted(await replies_in_outbox(rt.store)) == [  # (chats are served concurrently: sorted)
        ("3001", "[en] turn 1: greet"), ("3001", "[en] turn 2: cancel"), ("3002", "[en] turn 1: rebook")]
    assert await poller.poll_once(wait=0) == 0
    await channel.shutdown()
    await rt.stop()


async def test_updates_seen_again_after_a_crash_before_the_offset_was_stored_are_not_answered_twice(
    db_url: str, api: FakeTelegramApi
):
    rt, channel, poller = await polling_runtime(db_url, api)
    updates = [api.message_update(3101, "hello"), api.message_update(3101, "rebook")]
    for u in updates:
        api.push(u)
    real_advance = cursors.advance

    async def crash(*_a: Any, **_k: Any) -> int:
        raise RuntimeError("killed before the offset was stored")

    cursors.advance = crash  # type: ignore[assignment]
    try:
        with pytest.raises(RuntimeError):
            await poller.poll_once(wait=0)
    finally:
        cursors.advance = real_advance  # type: ignore[assignment]
    assert await poller.poll_once(wait=0) == 2  # the same updates come again ...
    assert await replies_in_outbox(rt.store) == [("3101", "[en] turn 1: greet"), ("3101", "[en] turn 2: rebook")]
    assert await inbound_count(rt.store) == 2  # ... and are recognised
    await channel.shutdown()
    await rt.stop()


async def test_polling_is_a_once_per_deployment_service_and_has_no_webhook(db_url: str, api: FakeTelegramApi):
    rt, channel, _poller = await polling_runtime(db_url, api)
    rt.channels = {"telegram": channel}
    pollers = [s for s in build_services(rt) if isinstance(s, TelegramPoller)]
    assert len(pollers) == 1 and pollers[0].singleton
    assert channel.routes() == []
    assert "long polling" in channel.describe()
    await channel.shutdown()
    await rt.stop()


async def test_a_polling_bot_answers_through_the_outbox(db_url: str, api: FakeTelegramApi):
    from tests.channels.conftest import running_bot

    settings = telegram_settings(db_url, api, mode="polling")
    settings.telegram.poll_timeout = 1.0
    parts = {"nlu": KeywordNLU(), "detector": PrefixDetector(), "dialogue": CountingEngine(),
             "adapter": NoReservations()}
    async for bot in running_bot(settings, api, **parts):
        api.push(api.message_update(3201, "hello"))
        async def answered() -> bool:
            return bool(api.sent(3201))

        await eventually(answered)
        assert [m["text"] for m in api.sent(3201)] == ["[en] turn 1: greet"]
        r = await bot.client.post("/webhooks/telegram", content=json.dumps({"update_id": 1}))
        assert r.status_code == 404  # no webhook in polling mode


async def test_a_sticker_is_answered_not_dropped(tbot: TelegramBot):
    update = tbot.api.message_update(1004, "x")
    del update["message"]["text"]
    update["message"]["sticker"] = {"file_id": "f1", "file_unique_id": "u1", "type": "regular", "width": 512,
                                    "height": 512, "is_animated": False, "is_video": False}
    assert (await tbot.post(update)).status_code == 200
    await tbot.settle(1004)
    assert [m["text"] for m in tbot.api.sent(1004)] == ["[en] turn 1: nlu_fallback"]
