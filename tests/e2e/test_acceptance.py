"""Acceptance, as a new user would try it: the whole bot (language detection, embedded NLU, flows, demo airline)
behind the REST channel, on SQLite and PostgreSQL.

Rebook a demo booking end to end in English, Dutch, French and German and see the change in
``crisisbot demo bookings --ref REF --json``; cancel another; a wrong last name is refused; repeating the
confirmation changes nothing more; a restart mid-conversation continues where it stopped.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import create_app
from bot.nlu.embedded import EmbeddedBackend
from bot.nlu.language import LanguageDetector
from bot.reservations.sql.demo import demo_bookings
from bot.runtime import Runtime
from bot.settings import Settings

SCRIPTS = {
    "en": ("I need to change my flight", "as soon as possible", "the first one", "yes"),
    "nl": ("ik wil mijn vlucht omboeken", "zo snel mogelijk", "de eerste", "ja"),
    "fr": ("je voudrais changer mon vol", "dès que possible", "la première", "oui"),
    "de": ("ich möchte meinen Flug umbuchen", "so bald wie möglich", "die erste", "ja"),
}


class Bot:
    def __init__(self, runtime: Runtime, client: httpx.AsyncClient) -> None:
        self.runtime, self.client = runtime, client

    async def say(self, sender: str, text: str, message_id: str | None = None) -> list[dict[str, Any]]:
        r = await self.client.post(
            "/webhooks/rest/webhook",
            json={"sender": sender, "message": text, "message_id": message_id or uuid.uuid4().hex},
        )
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
async def bot(db_url: str, nlu: EmbeddedBackend) -> AsyncIterator[Bot]:
    settings = Settings(database_url=db_url, demo_bookings=400, demo_days=5)
    rt = Runtime(settings, nlu=nlu, detector=LanguageDetector(settings.languages, settings.default_language))
    app = create_app(rt)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
        yield Bot(rt, c)


async def sample(bot: Bot, tag: str) -> dict[str, Any]:
    for b in await demo_bookings(bot.runtime.engine, limit=20):
        if tag in b["tags"]:
            return b
    raise AssertionError(f"no demo booking tagged {tag!r}")


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r["text"] for r in replies)


def demo_cli(db_url: str, ref: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISBOT_")}
    env["CRISISBOT_DATABASE_URL"] = db_url
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "bookings", "--ref", ref, "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("language", list(SCRIPTS))
async def test_rebook_end_to_end(bot: Bot, db_url: str, language: str):
    booking = await sample(bot, "simple change")
    ref, name = booking["reference"], booking["passengers"][0]["last_name"]
    ask, when, choice, yes = SCRIPTS[language]
    sender = f"p-{language}"

    await bot.say(sender, ask)
    await bot.say(sender, ref.lower())
    found = await bot.say(sender, name.upper())
    assert ref in texts(found)
    offer = await bot.say(sender, when)
    first_option = next(line for line in texts(offer).splitlines() if line.startswith("1."))
    chosen_flights = re.findall(r"\b[A-Z]{2}\d{2,4}\b", first_option)
    assert chosen_flights, texts(offer)
    assert len(offer[-1].get("buttons", [])) <= 3
    summary = await bot.say(sender, choice)
    assert ref in texts(summary) and chosen_flights[0] in texts(summary)
    assert (await bot.runtime.adapter.get_booking(ref)).version == 1  # nothing changes before the "yes"

    done = await bot.say(sender, yes)
    changed = await bot.runtime.adapter.get_booking(ref)
    assert changed.version == 2
    assert [s.flight_number for s in changed.segments] == chosen_flights
    assert chosen_flights[0] in texts(done)

    again = await bot.say(sender, yes)  # a second "yes"
    assert (await bot.runtime.adapter.get_booking(ref)).version == 2
    assert again  # answered, not silently dropped

    # in a thread: a blocking call would freeze the event loop mid-transaction (the services' SQLite write lock)
    shown = await asyncio.to_thread(demo_cli, db_url, ref)
    assert shown["version"] == 2
    assert [s["flight_number"] for s in shown["segments"]] == chosen_flights


async def test_a_retried_confirmation_changes_the_booking_once(bot: Bot):
    booking = await sample(bot, "simple change")
    ref, name = booking["reference"], booking["passengers"][0]["last_name"]
    for text in ("rebook my flight please", ref, name, "as soon as possible", "1"):
        await bot.say("retry", text)
    first = await bot.say("retry", "yes", message_id="yes-1")
    again = await bot.say("retry", "yes", message_id="yes-1")  # the platform delivers the same message twice
    assert again == first
    assert (await bot.runtime.adapter.get_booking(ref)).version == 2


async def test_cancel_end_to_end(bot: Bot):
    booking = await sample(bot, "accented name")
    ref, name = booking["reference"], booking["passengers"][0]["last_name"]
    await bot.say("c1", "I want to cancel my booking")
    await bot.say("c1", ref)
    await bot.say("c1", name)
    replies = await bot.say("c1", "yes")
    # the fare's options (refund / voucher) may be asked first; pick the first offered
    for _ in range(3):
        if (await bot.runtime.adapter.get_booking(ref)).status == "cancelled":
            break
        buttons = replies[-1].get("buttons") if replies else None
        replies = await bot.say("c1", buttons[0]["payload"] if buttons else "yes")
    assert (await bot.runtime.adapter.get_booking(ref)).status == "cancelled"


async def test_wrong_last_name_is_refused_like_an_unknown_reference(bot: Bot):
    booking = await sample(bot, "simple change")
    ref = booking["reference"]
    await bot.say("w1", "rebook")
    await bot.say("w1", ref)
    wrong_name = texts(await bot.say("w1", "Notthename"))
    await bot.say("w2", "rebook")
    await bot.say("w2", "ZZ9ZZ9")
    unknown_ref = texts(await bot.say("w2", "Notthename"))
    assert wrong_name == unknown_ref
    assert (await bot.runtime.adapter.get_booking(ref)).version == 1


async def test_a_restart_mid_conversation_continues(db_url: str, nlu: EmbeddedBackend):
    settings = Settings(database_url=db_url, demo_bookings=400, demo_days=5)

    async def session() -> AsyncIterator[Bot]:
        rt = Runtime(settings, nlu=nlu, detector=LanguageDetector(settings.languages, settings.default_language))
        app = create_app(rt)
        transport = httpx.ASGITransport(app=app)
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
            yield Bot(rt, c)

    gen = session()
    first = await gen.__anext__()
    booking = await sample(first, "simple change")
    await first.say("r1", "ik wil mijn vlucht omboeken")
    await first.say("r1", booking["reference"])
    await gen.aclose()  # the process stops

    gen = session()
    second = await gen.__anext__()  # a new process
    replies = await second.say("r1", booking["passengers"][0]["last_name"])
    assert booking["reference"] in texts(replies)
    assert any(w in texts(replies).lower() for w in ("wanneer", "vliegen", "datum"))  # still Dutch, next step
    await gen.aclose()


def test_demo_cli_lists_bookings_to_try(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISBOT_")}
    env["CRISISBOT_DEMO_BOOKINGS"] = "300"
    env["CRISISBOT_DATA_DIR"] = str(tmp_path)
    r = subprocess.run([sys.executable, "-m", "bot.cli", "demo", "bookings", "--limit", "3"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert len(re.findall(r"^[A-Z0-9]{6}\s", r.stdout, re.MULTILINE)) == 3
    assert (tmp_path / "crisisbot.db").exists()


@pytest.mark.parametrize("text", ["hmm", "what can you do?", "hello"])
async def test_an_unclear_message_gets_quick_replies_that_work(bot: Bot, text: str):
    replies = await bot.say("q1", text)
    buttons = replies[-1].get("buttons", [])
    assert [b["payload"] for b in buttons] == ["/rebook", "/cancel", "/flight_status", "/request_human"]
    nxt = await bot.say("q1", buttons[0]["payload"])  # pressing "Change my flight"
    assert "X7K2PQ" in texts(nxt)  # the rebook flow asks for the booking reference (with an example code)


async def test_rasa_style_payload_with_entities(nlu: EmbeddedBackend):
    parse = await nlu.parse('/choose_option{"option": 2}', "en")
    assert (parse.intent.name, parse.intent.confidence) == ("choose_option", 1.0)
    assert parse.first("option") == 2
    assert (await nlu.parse("/not_an_intent", "en")).intent.name != "not_an_intent"


async def test_an_unsupported_language_is_answered_in_english_and_flagged(bot: Bot):
    replies = await bot.say("tr1", "Jó napot, szeretném módosítani a járatomat holnapra, kérem szépen")
    assert texts(replies).startswith("Sorry, I can only help in these languages:")  # English, with the list
    assert replies[-1].get("buttons")
    conv = await bot.runtime.store.find_conversation("rest", "tr1")
    flags = [a for a in await bot.runtime.store.audit(conv.id) if a["action"] == "flag_language"]
    assert flags and flags[0]["details"]["detected"] == "hu"
