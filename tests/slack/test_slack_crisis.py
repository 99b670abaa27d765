"""/crisis from Slack: staff only (the configured users or the queue channel's members); the command's words reach
the crisis playbooks' start/update/end with the staff member's name; anything else gets the usage."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.channels.slack import CrisisCommands, parse_crisis_command
from tests.fakes.parts import CountingEngine, KeywordNLU, PrefixDetector
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.conftest import QUEUE, SlackBot, running_bot, slack_settings


@pytest.fixture
async def desk(db_url: str, api: FakeSlackApi) -> AsyncIterator[SlackBot]:
    api.add_user("UANNA", "Anna de Vries")
    api.add_user("UBEN", "Ben Okafor")
    api.add_user("UEVE", "Eve Outsider")
    api.members[QUEUE] = ["UANNA", "UBEN", "UBOT"]  # the agents are the queue channel's members
    async for b in running_bot(slack_settings(db_url, api), api):
        yield b


class FakeCrisis(CrisisCommands):
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def list(self) -> str:
        self.calls.append(("list",))
        return "volcanic-ash, strike"

    async def status(self, ref: str | None) -> str:
        self.calls.append(("status", ref))
        return "no active crisis"

    async def start(self, playbook: str, params: dict[str, str], actor: str) -> str:
        self.calls.append(("start", playbook, params, actor))
        return f"started {playbook}"

    async def update(self, ref: str, stage: str | None, params: dict[str, str], actor: str) -> str:
        self.calls.append(("update", ref, stage, params, actor))
        return "updated"

    async def end(self, ref: str, actor: str) -> str:
        self.calls.append(("end", ref, actor))
        return "ended"


async def test_crisis_command_for_staff_only(desk: SlackBot, api: FakeSlackApi):
    crisis = FakeCrisis()
    desk.runtime.channels["slack"].core.crisis = crisis
    r = await desk.command("UEVE", "start volcanic-ash airports=AMS,CDG")
    assert r.status_code == 200 and "staff only" in r.json()["text"] and r.json()["response_type"] == "ephemeral"
    assert crisis.calls == []
    r = await desk.command("UANNA", 'start volcanic-ash airports=AMS,CDG until="2026-12-09T18:00Z"')
    assert r.json()["text"] == "started volcanic-ash"
    assert crisis.calls[-1][:3] == ("start", "volcanic-ash", {"airports": "AMS,CDG", "until": "2026-12-09T18:00Z"})
    assert crisis.calls[-1][3] == "Anna de Vries"  # audited as who did it
    r = await desk.command("UBEN", "update volcanic-ash stage=monitoring")
    assert r.json()["text"] == "updated" and crisis.calls[-1][1:3] == ("volcanic-ash", "monitoring")
    assert (await desk.command("UBEN", "end volcanic-ash")).json()["text"] == "ended"
    assert "Usage" in (await desk.command("UBEN", "explode")).json()["text"]


async def test_configured_staff_users_are_the_whole_list(db_url: str, api: FakeSlackApi):
    api.add_user("UANNA", "Anna de Vries")
    api.members[QUEUE] = ["UANNA"]
    async for bot in running_bot(slack_settings(db_url, api, staff_users=("UCOMMS",)), api):
        crisis = FakeCrisis()
        bot.runtime.channels["slack"].core.crisis = crisis
        assert "staff only" in (await bot.command("UANNA", "list")).json()["text"]  # a member, but not listed
        assert (await bot.command("UCOMMS", "list")).json()["text"] == "volcanic-ash, strike"
        assert crisis.calls == [("list",)]


async def test_without_crisis_playbooks_staff_are_told_so(desk: SlackBot):
    r = await desk.command("UANNA", "status")  # the shipped playbooks: crisis mode is there, nothing runs
    assert r.status_code == 200 and "No crisis is running." in r.json()["text"]
    desk.runtime.pipeline.crisis = None  # an installation without playbooks
    r = await desk.command("UANNA", "status")
    assert r.status_code == 200 and "not available" in r.json()["text"]


def test_command_words():
    assert parse_crisis_command('start ash airports=AMS,CDG until="2026-12-09 18:00"') == (
        "start", ["ash"], {"airports": "AMS,CDG", "until": "2026-12-09 18:00"})
    assert parse_crisis_command("") == ("help", [], {})


async def test_staff_run_the_shipped_playbooks_from_slack(db_url: str, api: FakeSlackApi):
    async for desk in running_bot(slack_settings(db_url, api), api, nlu=KeywordNLU(), detector=PrefixDetector(),
                                  dialogue=CountingEngine()):  # the demo airline: the playbooks' scope
        await _run_playbook(desk, api)


async def _run_playbook(desk: SlackBot, api: FakeSlackApi) -> None:
    api.add_user("UANNA", "Anna de Vries")
    api.add_user("UBEN", "Ben Okafor")
    api.members[QUEUE] = ["UANNA", "UBEN"]
    listed = (await desk.command("UANNA", "list")).json()["text"]
    assert "volcanic-ash" in listed and "No crisis is running." in listed
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%MZ")
    started = (await desk.command("UANNA", f"start volcanic-ash airports=AMS,CDG until={until}")).json()["text"]
    assert started.startswith("Started ") and "investigating" in started, started
    status = (await desk.command("UBEN", "status volcanic-ash")).json()["text"]
    assert "active" in status or "pending" in status
    ended = (await desk.command("UBEN", "end volcanic-ash")).json()["text"]
    assert ended.startswith("Ended "), ended
    assert "staff only" in (await desk.command("UEVE", "end volcanic-ash")).json()["text"]
