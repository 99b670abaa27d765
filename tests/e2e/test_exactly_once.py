"""Exactly once with the whole bot (real NLU, flows, demo airline), SQLite and PostgreSQL: a "yes" that arrived
while another turn changed the question executes nothing; a change executed by a process that died before its reply
is told by recovery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.nlu.embedded import EmbeddedBackend
from bot.nlu.language import LanguageDetector
from bot.pipeline import InboundMessage, Pipeline
from bot.reservations.sql.demo import demo_bookings
from bot.runtime import Runtime
from bot.settings import Settings


@pytest.fixture
async def runtime(db_url: str, nlu: EmbeddedBackend) -> AsyncIterator[Runtime]:
    settings = Settings(database_url=db_url, demo_bookings=200, demo_days=5, lease_seconds=2.0)
    rt = Runtime(settings, nlu=nlu, detector=LanguageDetector(settings.languages, settings.default_language))
    async with rt:
        yield rt


async def simple_booking(rt: Runtime) -> dict[str, Any]:
    return next(b for b in await demo_bookings(rt.engine, limit=20) if "simple change" in b["tags"])


def second_pipeline(rt: Runtime, nlu: Any = None) -> Pipeline:
    """Another process: same database, its own worker id."""
    return Pipeline(store=rt.store, detector=rt.pipeline.detector, nlu=nlu or rt.nlu, dialogue=rt.dialogue,
                    settings=rt.settings)


async def say(p: Pipeline, sender: str, text: str, mid: str | None = None) -> str:
    r = await p.receive(InboundMessage(channel="rest", sender_id=sender, text=text, message_id=mid, inline_reply=True))
    return "\n".join(m.text for m in r.replies)


async def to_rebook_confirmation(p: Pipeline, sender: str, booking: dict[str, Any]) -> str:
    for text in ("I want to rebook my flight", booking["reference"], booking["passengers"][0]["last_name"],
                 "as soon as possible"):
        await say(p, sender, text)
    question = await say(p, sender, "1")
    assert "Shall I go ahead?" in question, question
    return question


class GatedNLU:
    """The NLU of a process whose turn is slow: it waits at a gate for one text."""

    def __init__(self, inner: Any, text: str) -> None:
        self.inner, self.text = inner, text
        self.entered, self.gate = asyncio.Event(), asyncio.Event()

    async def parse(self, text: str, language: str, *, context: dict[str, Any] | None = None) -> Any:
        if text == self.text:
            self.entered.set()
            await self.gate.wait()
        return await self.inner.parse(text, language, context=context)


async def test_a_yes_that_arrived_during_another_turn_answers_the_earlier_question(runtime: Runtime):
    rt = runtime
    booking = await simple_booking(rt)
    ref = booking["reference"]
    await to_rebook_confirmation(rt.pipeline, "p1", booking)

    gated = GatedNLU(rt.nlu, "I want to cancel my booking")
    other = second_pipeline(rt, gated)
    cancel = asyncio.create_task(say(other, "p1", "I want to cancel my booking"))
    await asyncio.wait_for(gated.entered.wait(), 30)
    # the passenger's "yes" to the rebook question arrives while the other process turns to cancelling
    yes = asyncio.create_task(say(rt.pipeline, "p1", "yes"))
    await asyncio.sleep(0.3)
    gated.gate.set()
    cancel_question = await asyncio.wait_for(cancel, 30)
    answer = await asyncio.wait_for(yes, 30)
    assert "Shall I cancel" in cancel_question or "cancel" in cancel_question.lower(), cancel_question
    after = await rt.adapter.get_booking(ref)
    assert after.status == "confirmed" and after.version == 1  # neither rebooked nor cancelled
    assert "earlier question" in answer, answer
    assert cancel_question.splitlines()[-1] in answer  # the current question, asked again
    # a yes to the question as it stands now does what it says
    await say(rt.pipeline, "p1", "yes")
    assert (await rt.adapter.get_booking(ref)).status == "cancelled"


class Died(BaseException):
    """The process died (kill -9) right after the reservation system committed the change."""


class DyingAdapter:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def rebook(self, *args: Any, **kwargs: Any) -> Any:
        await self.inner.rebook(*args, **kwargs)
        raise Died()


async def test_a_change_made_just_before_the_process_died_is_told_by_recovery(runtime: Runtime):
    rt = runtime
    booking = await simple_booking(rt)
    ref = booking["reference"]
    question = await to_rebook_confirmation(rt.pipeline, "p2", booking)

    real = rt.dialogue.adapter
    rt.dialogue.adapter = DyingAdapter(real)
    try:
        with pytest.raises(Died):
            await say(rt.pipeline, "p2", "yes", mid="yes-1")
    finally:
        rt.dialogue.adapter = real
    assert (await rt.adapter.get_booking(ref)).version == 2  # changed, but the passenger was not told

    # a new process: its recovery processes the "yes" again; the change is not made twice, and it is told
    survivor = second_pipeline(rt)
    assert await survivor.recover(older_than_seconds=0) == 1
    assert (await rt.adapter.get_booking(ref)).version == 2
    # the passenger's platform retries the "yes": answered with what was done
    retry = await say(survivor, "p2", "yes", mid="yes-1")
    assert "Shall I go ahead?" not in retry
    new_flight = (await rt.adapter.get_booking(ref)).segments[0].flight_number
    assert new_flight in retry, (retry, question)
