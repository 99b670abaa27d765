"""Agents in Slack against the fake Slack Web API: a case card in the queue channel, exactly one agent claims it
(the others see who has it), the owner's thread replies reach the passenger signed with their first name, the
passenger's next messages appear in the thread (escaped), Resolve closes it; staff only."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.fakes.slack_api import FakeSlackApi
from tests.slack.conftest import QUEUE, SlackBot, running_bot, slack_settings

PASSENGER = "U0PASSENGER"


@pytest.fixture
async def desk(db_url: str, api: FakeSlackApi) -> AsyncIterator[SlackBot]:
    api.add_user("UANNA", "Anna de Vries")
    api.add_user("UBEN", "Ben Okafor")
    api.add_user("UEVE", "Eve Outsider")
    api.members[QUEUE] = ["UANNA", "UBEN", "UBOT"]  # the agents are the queue channel's members
    async for b in running_bot(slack_settings(db_url, api), api):
        yield b


def card(api: FakeSlackApi) -> dict[str, Any]:
    cards = [m for m in api.messages[QUEUE] if m.get("blocks") and m["blocks"][0]["type"] == "header"]
    assert len(cards) == 1
    return cards[0]


def card_text(message: dict[str, Any]) -> str:
    out = []
    for b in message["blocks"]:
        for t in [b.get("text"), *b.get("fields", []), *b.get("elements", [])]:
            if t and "text" in t:
                out.append(t["text"] if isinstance(t["text"], str) else t["text"]["text"])
    return "\n".join(out)


def thread(api: FakeSlackApi, ts: str) -> list[str]:
    return [m["text"] for m in api.messages[QUEUE] if m.get("thread_ts") == ts]


async def test_claim_reply_thread_and_resolve_from_slack(desk: SlackBot, api: FakeSlackApi):
    await desk.say(PASSENGER, "I want a human please")
    c = card(api)
    stale = copy.deepcopy(c)  # the card as another agent may still see it
    assert "Claim" in card_text(c) and "Return to bot" in card_text(c) and "Resolve" in card_text(c)
    assert "Waiting" in card_text(c) and "Reason" in card_text(c)

    r = await desk.click("UANNA", c, "case:claim", channel=QUEUE)
    assert r.status_code == 200
    await desk.settle()
    c = card(api)  # updated in place (chat.update)
    assert "Claimed by Anna de Vries" in card_text(c) and "Claim" not in [
        e["text"]["text"] for b in c["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert any("Anna" in t for t in thread(api, c["ts"]))

    await desk.click("UBEN", c, "case:resolve", channel=QUEUE)  # Ben cannot close Anna's case
    r = await desk.click("UBEN", stale, "case:claim", channel=QUEUE)  # nor take it (a stale card's button)
    assert r.status_code == 200
    await desk.settle()
    notes = [e["text"] for e in api.ephemeral if e["user"] == "UBEN"]
    assert len(notes) == 2 and all("Anna" in n for n in notes)
    assert "Claimed by Anna de Vries" in card_text(card(api))

    before = len(api.sent(PASSENGER))
    r = await desk.post_event(desk.event("UANNA", "Hello, I am looking at your booking now.", channel=QUEUE,
                                         channel_type="channel", thread_ts=c["ts"]))
    assert r.status_code == 200
    await desk.settle()
    relayed = [m["text"] for m in api.sent(PASSENGER)[before:]]
    assert relayed == ["Hello, I am looking at your booking now.\n\n– Anna"]  # signed with her first name

    before = len(api.sent(PASSENGER))
    await desk.post_event(desk.event("UBEN", "let me do it", channel=QUEUE, channel_type="channel",
                                     thread_ts=c["ts"]))
    await desk.settle()
    assert api.sent(PASSENGER)[before:] == []  # only the owner talks to the passenger
    assert any("claimed by Anna" in t for t in thread(api, c["ts"]))

    await desk.say(PASSENGER, "<!channel> thanks, <@UBEN> is it *done*?")
    assert any(t.endswith("&lt;!channel&gt; thanks, &lt;@UBEN&gt; is it *done*?") for t in thread(api, c["ts"]))
    assert all("<!channel>" not in m["text"] for m in api.messages[QUEUE])

    await desk.click("UANNA", card(api), "case:resolve", channel=QUEUE)
    await desk.settle()
    assert "Resolved by Anna de Vries" in card_text(card(api))
    [case] = await desk.runtime.pipeline.cases.list_cases(states=("resolved",))
    assert case.claimed_by.startswith("Anna de Vries")


async def test_return_to_bot_and_non_staff_are_refused(desk: SlackBot, api: FakeSlackApi):
    await desk.say(PASSENGER, "human")
    c = card(api)
    await desk.click("UEVE", c, "case:claim", channel=QUEUE)  # not a member of the queue channel
    await desk.settle()
    assert [e["user"] for e in api.ephemeral] == ["UEVE"] and "staff only" in api.ephemeral[0]["text"]
    assert "Claimed" not in card_text(card(api))

    await desk.post_event(desk.event("UEVE", "hi passenger", channel=QUEUE, channel_type="channel",
                                     thread_ts=c["ts"]))
    before = len(api.sent(PASSENGER))
    await desk.settle()
    assert api.sent(PASSENGER)[before:] == []

    before = len(api.sent(PASSENGER))
    await desk.click("UBEN", c, "case:return", channel=QUEUE)
    await desk.settle()
    back = api.sent(PASSENGER)[before:]
    assert back and "Ben" in back[-1]["text"]  # the passenger is told the bot has them again
    assert "Returned by Ben Okafor" in card_text(card(api))
    conv = await desk.runtime.store.find_conversation("slack", PASSENGER)
    assert conv is not None and conv.owner == "bot"


async def test_an_agents_thread_reply_delivered_twice_reaches_the_passenger_once(db_url: str, api: FakeSlackApi):
    """Slack redelivers an event it thinks was lost (to this process, or after a restart to the next one): the
    passenger gets the agent's words once."""
    api.add_user("UANNA", "Anna de Vries")
    api.members[QUEUE] = ["UANNA", "UBOT"]
    settings = slack_settings(db_url, api)
    async for b in running_bot(settings, api):
        await b.say(PASSENGER, "I want a human please")
        c = card(api)
        await b.click("UANNA", c, "case:claim", channel=QUEUE)
        await b.settle()
        reply = b.event("UANNA", "Booked you on KL1002 tomorrow.", channel=QUEUE, channel_type="channel",
                        thread_ts=c["ts"])
        before = len(api.sent(PASSENGER))
        await b.post_event(reply)
        await b.post_event(reply, retry=1)
        await b.settle()
        assert [m["text"] for m in api.sent(PASSENGER)[before:]] == ["Booked you on KL1002 tomorrow.\n\n– Anna"]
    async for b in running_bot(settings, api):  # a new process, the same database
        await b.post_event(reply, retry=2)
        await b.settle()
        assert len(api.sent(PASSENGER)[before:]) == 1
