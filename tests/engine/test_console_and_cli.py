"""The console channel and the CLI's handling of bad settings, flags and an unreachable database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.channels.console import ConsoleChannel
from bot.messages import OutboundMessage
from tests.engine.test_pipeline import make_pipeline

CLI = [sys.executable, "-m", "bot.cli"]


async def test_console_chat_prints_replies_with_numbered_buttons(engine):
    lines = iter(["hello", "", "/quit"])
    out: list[str] = []
    ch = ConsoleChannel(make_pipeline(engine), sender_id="tester", read=lambda _p: next(lines), write=out.append)
    await ch.run()
    assert out[1:] == ["bot> [en] turn 1: greet\n1. Yes\n2. No"]


async def test_choices_listed_in_the_text_are_not_listed_again_where_there_are_no_buttons(engine):
    out: list[str] = []
    ch = ConsoleChannel(make_pipeline(engine), sender_id="t", read=lambda _p: "", write=out.append)
    buttons = ({"title": "A new flight", "payload": "1"}, {"title": "A full refund", "payload": "2"})
    await ch.send(OutboundMessage(outbox_id=1, channel="console", recipient_id="t",
                                  text="Reply with the number:\n1. A new flight\n2. A full refund", buttons=buttons))
    await ch.send(OutboundMessage(outbox_id=2, channel="console", recipient_id="t", text="Shall I?", buttons=buttons))
    assert out == ["bot> Reply with the number:\n1. A new flight\n2. A full refund",
                   "bot> Shall I?\n1. A new flight\n2. A full refund"]


async def test_console_conversation_persists_between_sessions(engine):
    out: list[str] = []
    first = ConsoleChannel(make_pipeline(engine), sender_id="t", read=lambda _p: "", write=out.append)
    await first.say("nl: hallo")
    second = ConsoleChannel(make_pipeline(engine), sender_id="t", read=lambda _p: "", write=out.append)
    await second.say("ok")
    assert out[-1].startswith("bot> [nl] turn 2")


def run_cli(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRISISBOT_")}
    clean["CRISISBOT_DATA_DIR"] = str(tmp_path)
    return subprocess.run(CLI + args, cwd=tmp_path, env={**clean, **env}, capture_output=True, text=True, timeout=60,
                          check=False)


def test_unreachable_database_gives_one_clear_line(tmp_path: Path):
    r = run_cli(["db", "upgrade"], tmp_path, CRISISBOT_DATABASE_URL="postgresql://postgres@127.0.0.1:1/nope")
    assert r.returncode == 2
    assert r.stderr.startswith("error: cannot reach the database at postgresql+asyncpg://postgres@127.0.0.1:1/nope")
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_invalid_setting_is_named(tmp_path: Path):
    r = run_cli(["db", "current"], tmp_path, CRISISBOT_LEASE_SECONDS="soon")
    assert r.returncode == 2 and "CRISISBOT_LEASE_SECONDS" in r.stderr and "Traceback" not in r.stderr


def test_every_command_uses_the_users_database_and_says_when_it_creates_one(tmp_path: Path):
    data, here, there = tmp_path / "data", tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    r = run_cli(["db", "upgrade"], here, CRISISBOT_DATA_DIR=str(data))
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("crisisbot: creating a new database at") == 1 and str(data / "crisisbot.db") in r.stderr
    assert (data / "crisisbot.db").exists() and not (here / "crisisbot.db").exists()
    from bot.store.migrate import head_revision

    again = run_cli(["db", "current"], there, CRISISBOT_DATA_DIR=str(data))  # another folder: the same database
    assert again.stdout.startswith(f"current: {head_revision()};")
    assert "creating" not in again.stderr and not (there / "crisisbot.db").exists()


def test_flags_show_as_flags_in_help(tmp_path: Path):
    r = run_cli(["demo", "bookings", "--help"], tmp_path)
    assert r.returncode == 0
    assert "<bool>" not in r.stdout and "--json" in r.stdout
    serve = run_cli(["serve", "--help"], tmp_path)
    assert "127.0.0.1" in serve.stdout and "8080" in serve.stdout


def test_bad_flag_is_a_usage_error(tmp_path: Path):
    r = run_cli(["serve", "--port", "http"], tmp_path)
    assert r.returncode == 2 and "--port" in r.stderr


def test_demo_reset_needs_confirmation_and_reseeds(tmp_path: Path):
    refused = run_cli(["demo", "reset"], tmp_path)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert not (tmp_path / "crisisbot.db").exists()  # nothing was touched
    done = run_cli(["demo", "reset", "--yes"], tmp_path, CRISISBOT_DEMO_BOOKINGS="120")
    assert done.returncode == 0, done.stderr
    assert "120 bookings" in done.stdout
