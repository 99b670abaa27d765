"""`crisisbot crisis ...` as comms staff use it (a real database file, the demo airline)."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings
from tests.crisis.conftest import ROOT


@pytest.fixture
def cli(tmp_path, sqlite_template):
    import shutil

    db = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, db)
    env = {"CRISISBOT_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "CRISISBOT_CONTENT_DIR": str(ROOT),
           "CRISISBOT_DEMO_BOOKINGS": "400", "CRISISBOT_DEMO_DAYS": "3"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    get_settings.cache_clear()

    def invoke(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result.output

    yield invoke
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    get_settings.cache_clear()


def test_list_preview_start_status_end(cli):
    out = cli("crisis", "list")
    assert "volcanic-ash" in out and "--set airports=<airports>" in out
    out = cli("crisis", "preview", "volcanic-ash", "--set", "airports=AMS,CDG", "--set", "until=+1d")
    assert "0 over a channel's limit" in out and "in 14 languages" in out and "x " in out
    out = cli("crisis", "preview", "volcanic-ash", "--set", "airports=AMS", code=1)
    assert "until: required" in out
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=20)).strftime("%Y-%m-%dT%H:%MZ")
    out = cli("crisis", "start", "volcanic-ash", "--set", "airports=AMS,CDG", "--set", f"until={until}", "--yes",
              "--by", "alice", "--json")
    started = json.loads(out)
    assert started["status"] == "active" and started["started_by"] == "alice"
    st = json.loads(cli("crisis", "status", "--json"))["crises"][0]
    assert st["id"] == started["id"] and st["affected"]["flight_count"] > 0
    assert st["affected"]["booking_count"] > 0 and st["next_update_at"]
    assert set(st["broadcasts"]["status"]) >= {"en", "fr"}
    out = cli("crisis", "update", "volcanic-ash", "--stage", "identified", "--note", "fr=Repas offerts.", "--yes",
              "--by", "alice")
    assert "stage identified" in out
    out = cli("crisis", "end", started["id"], "--yes", "--by", "bob", "--json")
    ended = json.loads(out)
    assert ended["status"] == "ended" and ended["updates"][-1]["kind"] == "end"
    assert "resolved" in ended["updates"][-1]["text_en"]
    assert "no crisis is running" in cli("crisis", "status")


def test_bad_input_is_one_clear_line(cli):
    assert "no playbook 'volcano'" in cli("crisis", "start", "volcano", "--yes", code=1)
    assert "--set takes name=value" in cli("crisis", "start", "volcanic-ash", "--set", "airports", "--yes", code=1)
    assert "no crisis 'nope'" in cli("crisis", "end", "nope", "--yes", code=1)
    assert "--note takes lang=text" in cli("crisis", "start", "it-outage", "--note", "xx=hi", "--yes", code=1)
