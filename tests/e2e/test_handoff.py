"""Acceptance for handoff, as a new user and an agent would try it: the whole bot behind the REST channel (real NLU,
flows, demo airline) and the agent's `crisisbot cases ...` commands as real subprocesses, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from typing import Any

from tests.e2e.test_acceptance import Bot, bot, sample, texts  # noqa: F401 (the bot fixture)


async def cases_cli(db_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The agent's command in its own process (the bot keeps running meanwhile: its event loop is not blocked)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISBOT_")}
    env["CRISISBOT_DATABASE_URL"] = db_url
    r = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot.cli", "cases", *args], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )
    if check:
        assert r.returncode == 0, r.stderr
    return r


async def cases_json(db_url: str, *args: str) -> Any:
    return json.loads((await cases_cli(db_url, *args, "--json")).stdout)


async def test_a_dutch_passenger_asks_for_a_person_and_an_agent_answers(bot: Bot, db_url: str):  # noqa: F811
    first = await bot.say("nl-1", "ik wil een medewerker spreken")
    assert "collega" in texts(first) and "nummer 1 in de wachtrij" in texts(first)

    [case] = await cases_json(db_url, "list")
    assert (case["state"], case["language"], case["reason"], case["position"]) == ("queued", "nl", "request_human", 1)
    assert [t["text"] for t in case["transcript"] if t["direction"] == "in"] == ["ik wil een medewerker spreken"]
    assert any("wachtrij" in t["text"] for t in case["transcript"] if t["direction"] == "out")

    waiting = await bot.say("nl-1", "hallo??")
    assert "toegevoegd" in texts(waiting) and "nummer 1" in texts(waiting)

    cid = str(case["id"])
    claimed = await cases_json(db_url, "claim", cid, "--agent", "Anna de Vries")
    assert (claimed["state"], claimed["claimed_by"]) == ("claimed", "Anna de Vries")
    other = await cases_cli(db_url, "claim", cid, "--agent", "Bram", check=False)
    assert other.returncode == 1 and "claimed by Anna de Vries" in other.stderr

    note = await bot.say("nl-1", "ben je daar?")
    assert texts(note) == "Anna behandelt je zaak en ziet je berichten hier."
    assert await bot.say("nl-1", "ik wacht wel") == []  # while claimed the bot itself says nothing

    await cases_cli(db_url, "reply", cid, "--agent", "Anna de Vries", "--text", "Hoi, ik kijk naar je boeking.")
    reply = await bot.say("nl-1", "top")
    assert reply == [{"recipient_id": "nl-1", "text": "Hoi, ik kijk naar je boeking.\n\n– Anna"}]

    shown = (await cases_cli(db_url, "show", cid)).stdout
    assert "claimed by Anna de Vries" in shown and "ben je daar?" in shown and "agent:Anna de Vries" in shown

    resolved = await cases_json(db_url, "resolve", cid, "--agent", "Anna de Vries")
    assert resolved["state"] == "resolved"
    assert await cases_json(db_url, "list") == []
    back = await bot.say("nl-1", "ik wil mijn vlucht omboeken")
    assert "X7K2PQ" in texts(back)  # the bot takes over again: the rebook flow asks for the booking reference


async def test_stop_while_queued_brings_the_passenger_back_to_the_bot(bot: Bot, db_url: str):  # noqa: F811
    await bot.say("nl-2", "kan ik iemand spreken")
    back = await bot.say("nl-2", "stop")
    assert texts(back) == "Oké, ik heb je verzoek om een collega ingetrokken. Ik ben er weer: wat kan ik voor je doen?"
    conv = await bot.runtime.store.find_conversation("rest", "nl-2")
    assert conv.owner == "bot"
    assert await cases_json(db_url, "list") == []
    [withdrawn] = await cases_json(db_url, "list", "--state", "returned")
    assert withdrawn["close_reason"] == "withdrawn"


async def test_the_dead_end_from_the_issue_is_gone(bot: Bot, db_url: str):  # noqa: F811
    """Handed off at the options step -> queued; every later message ("3", "hallo?? optie 3 graag") is answered,
    the case holds the verified booking and the options the bot offered, and a new request takes the passenger back
    to the bot, which serves it."""
    booking = await sample(bot, "simple change")
    ref, name = booking["reference"], booking["passengers"][0]["last_name"]
    for text in ("ik wil mijn vlucht omboeken", ref, name, "zo snel mogelijk"):
        await bot.say("nl-3", text)
    queued = await bot.say("nl-3", "ik wil een medewerker spreken")  # at the options step
    assert "wachtrij" in texts(queued)
    for text in ("3", "hallo?? optie 3 graag"):
        answer = await bot.say("nl-3", text)
        assert answer and "toegevoegd" in texts(answer), text

    [case] = await cases_json(db_url, "list")
    assert case["reason"] == "request_human" and case["booking"]["reference"] == ref
    assert len(case["context"]["offered"]) >= 1 and case["context"]["flows"][0].startswith("rebook@")
    assert case["passenger_messages"] == 2 and case["skills"] == []
    audit = json.dumps(await bot.runtime.store.audit(case["conversation_id"]))
    assert ref not in audit and name not in audit

    again = await bot.say("nl-3", "ik wil mijn vlucht omboeken")
    # served at once: the booking is still verified, so the rebook flow goes straight to the date
    assert "ingetrokken" in texts(again) and "vliegen" in texts(again)
    conv = await bot.runtime.store.find_conversation("rest", "nl-3")
    assert conv.owner == "bot"
