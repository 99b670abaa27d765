"""The web chat shows what happened before a reload, and later messages (an agent's reply, an update) reach the
open page by server-sent events, each once."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from bot.app import create_app
from bot.channels.webchat import WebchatChannel
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.repo import NewOutbound
from tests.fakes.parts import CountingEngine, KeywordNLU, NoReservations, PrefixDetector

SID = "session-push-1"


@pytest.fixture
def served(db_url: str) -> Iterator[tuple[TestClient, Runtime]]:
    settings = Settings(database_url=db_url, seed_demo=False, webchat_push_seconds=0.05)
    rt = Runtime(settings, nlu=KeywordNLU(), detector=PrefixDetector(), dialogue=CountingEngine(),
                 adapter=NoReservations())  # type: ignore[arg-type]
    with TestClient(create_app(rt)) as c:
        yield c, rt


def test_a_reloaded_page_gets_the_conversation_so_far(served):
    client, _rt = served
    assert client.get("/webchat/api/history", params={"session_id": SID}).json() == {"messages": [], "last_id": 0}
    first = client.post("/webchat/api/message", json={"session_id": SID, "text": "hello", "message_id": "a"}).json()
    client.post("/webchat/api/message", json={"session_id": SID, "text": "rebook", "message_id": "b"})
    h = client.get("/webchat/api/history", params={"session_id": SID}).json()
    who = [m["who"] for m in h["messages"]]
    assert who == ["me", "bot", "me", "bot"]
    assert [m["text"] for m in h["messages"] if m["who"] == "me"] == ["hello", "rebook"]
    assert h["messages"][1]["text"] == first["messages"][0]["text"]
    assert h["messages"][-1]["buttons"]  # the open question keeps its buttons; the page disables older ones
    assert h["last_id"] == h["messages"][-1]["id"]
    other = client.get("/webchat/api/history", params={"session_id": "session-push-2"}).json()
    assert other["messages"] == []  # never another session's conversation
    assert client.get("/webchat/api/history", params={"session_id": "x"}).status_code == 400


async def collect(channel: WebchatChannel, after: int, seconds: float) -> list[dict[str, object]]:
    events = []
    async for chunk in channel.event_stream(SID, after, seconds=seconds):
        if chunk.startswith("id: "):
            data = chunk.split("data: ", 1)[1]
            events.append(json.loads(data))
    return events


async def test_later_messages_are_pushed_once_in_order(db_url: str):
    settings = Settings(database_url=db_url, seed_demo=False, webchat_push_seconds=0.05)
    async with Runtime(settings, nlu=KeywordNLU(), detector=PrefixDetector(), dialogue=CountingEngine(),
                       adapter=NoReservations(), serving=True) as rt:  # type: ignore[arg-type]
        channel = rt.channels["webchat"]
        assert isinstance(channel, WebchatChannel)
        r = await channel.post(json.dumps({"session_id": SID, "text": "hello", "message_id": "a"}).encode())
        seen = r["messages"][-1]["id"]
        conv = await rt.store.find_conversation("webchat", SID)
        assert conv is not None
        # an agent answers later, twice; another session gets something too
        await rt.store.add_outbound(conv.id, [
            NewOutbound("webchat", SID, {"text": "This is Anna from the service team.", "kind": "agent"}),
            NewOutbound("webchat", SID, {"text": "Your new flight is confirmed.", "kind": "agent"}),
            NewOutbound("webchat", "session-push-2", {"text": "not for you"}),
        ])
        events = await collect(channel, seen, seconds=0.3)
        assert [e["text"] for e in events] == ["This is Anna from the service team.", "Your new flight is confirmed."]
        assert [e["kind"] for e in events] == ["agent", "agent"]
        assert await collect(channel, seen, seconds=0.2) == []  # delivered: a reconnect does not repeat them
        assert await channel.poll({"session_id": SID, "after": str(seen)}) == {"messages": []}


def test_the_event_stream_speaks_server_sent_events(served):
    client, rt = served
    settings = rt.settings
    object.__setattr__(settings, "webchat_stream_seconds", 0.3)
    with client.stream("GET", "/webchat/api/events", params={"session_id": SID, "after": 0}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        body = "".join(r.iter_text())
    assert body.startswith("retry: ")
    assert client.get("/webchat/api/events", params={"session_id": "bad"}).status_code == 400
