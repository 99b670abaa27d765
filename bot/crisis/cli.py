"""``crisisbot crisis ...``: comms staff run a crisis playbook from the command line.

    crisisbot crisis list
    crisisbot crisis preview volcanic-ash --set airports=AMS,CDG --set until=2026-12-09T18:00Z
    crisisbot crisis start volcanic-ash --set airports=AMS,CDG --set until=2026-12-09T18:00Z --yes
    crisisbot crisis update <id> --stage identified [--set until=...] [--note fr="..."]
    crisisbot crisis approve <id> --by NAME          (with CRISISBOT_CRISIS_APPROVAL=true)
    crisisbot crisis end <id> --yes
    crisisbot crisis status [<id>] [--json]

A crisis id may also be given as its playbook id while it runs ("crisis end volcanic-ash").
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="Crisis playbooks: preview, start, update, approve and end a crisis; see its status.",
                  no_args_is_help=True)

SetOpt = Annotated[list[str] | None, typer.Option("--set", help="A parameter: name=value (repeat for several)")]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who you are (audited; default: your user name)")]
YesOpt = Annotated[bool, typer.Option("--yes", help="Do it without asking for confirmation")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
NoteOpt = Annotated[list[str] | None, typer.Option("--note", help="A line added to the update: lang=text (repeat)")]


def _settings() -> Any:
    from bot.cli import settings
    from bot.logging import configure_logging

    s = settings()
    configure_logging("WARNING", s.log_json)  # logs to stderr, warnings only: stdout stays the command's output
    return s


def _run(coro: Any) -> Any:
    from bot.cli import run

    return run(coro)


def _given(items: list[str] | None) -> dict[str, str]:
    from bot.cli import fail
    from bot.crisis.params import ParameterError, parse_assignments

    try:
        return parse_assignments(items or [])
    except ParameterError as exc:
        fail(str(exc), 1)
        raise


def _actor(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:
        return ""


def _notes(items: list[str] | None) -> dict[str, str]:
    from bot.crisis.manager import CrisisError
    from bot.crisis.playbook import PLAYBOOK_LANGUAGES

    out: dict[str, str] = {}
    for item in items or []:
        lang, sep, text = item.partition("=")
        lang = lang.strip().lower()
        if not sep or lang not in PLAYBOOK_LANGUAGES or not text.strip():
            raise CrisisError(f"--note takes lang=text with a language of {', '.join(PLAYBOOK_LANGUAGES)}")
        if any(ch in text for ch in "<>") or len(text) > 500:
            raise CrisisError("--note: plain text of at most 500 characters")
        out[lang] = " ".join(text.split())
    return out


def _playbooks() -> Any:
    from bot.crisis.playbook import load_playbooks

    return load_playbooks(Path(_settings().content_dir))


@asynccontextmanager
async def _manager(with_adapter: bool = True) -> AsyncIterator[Any]:
    from bot.crisis.channels import crisis_channels
    from bot.crisis.manager import CrisisManager
    from bot.runtime import open_database

    s = _settings()
    playbooks = _playbooks()
    engine = await open_database(s, migrate=True)
    adapter = None
    try:
        if with_adapter:
            from bot.reservations.sql.adapter import SqlReservationAdapter

            adapter = SqlReservationAdapter(engine, s)
            await adapter.initialize()
        yield CrisisManager(engine, s, playbooks, adapter, crisis_channels(s))
    finally:
        if adapter is not None:
            await adapter.shutdown()
        await engine.dispose()


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _summary(st: dict[str, Any]) -> str:
    lines = [f"{st['id']}  {st['title']}  [{st['status']}, stage {st['stage']}]"]
    params = ", ".join(f"{k}={v if not isinstance(v, list) else ','.join(v)}" for k, v in st["params"].items()
                       if v is not None)
    lines.append(f"  parameters: {params or '-'}")
    a = st.get("affected") or {}
    if a.get("flight_count") is not None:
        lines.append(f"  affected: {a['flight_count']} flights, {a['booking_count']} bookings")
    who = f"  started by {st['started_by']}"
    who += f", approved by {st['approved_by']}" if st["approved_by"] else ""
    who += f", ended by {st['ended_by']}" if st["ended_by"] else ""
    lines.append(who)
    if st.get("next_update_at"):
        lines.append(f"  next scheduled update: {st['next_update_at']}")
    if st.get("awaiting_approval"):
        lines.append(f"  awaiting approval: message(s) {st['awaiting_approval']}: "
                     f"`crisisbot crisis approve {st['id']} --by NAME`")
    for ch, langs in sorted((st.get("broadcasts") or {}).items()):
        sent = sum(v["sent"] for v in langs.values())
        pending = sum(v["pending"] for v in langs.values())
        failed = sum(v["failed"] for v in langs.values())
        lines.append(f"  {ch}: {len(langs)} languages, {sent} sent, {pending} pending, {failed} failed")
    notices = st.get("notices") or {}
    if notices.get("by_channel"):
        per = "; ".join(f"{ch} {counts}" for ch, counts in notices["by_channel"].items())
        lines.append(f"  personal notices ({'done' if notices['done'] else 'in progress'}): {per}")
    return "\n".join(lines)


@app.command("list")
def list_playbooks(as_json: JsonOpt = False) -> None:
    """The playbooks, their parameters, and the crises running now."""

    async def main() -> list[dict[str, Any]]:
        async with _manager(with_adapter=False) as m:
            return await m.list_crises()

    pbs = _playbooks()
    running = _run(main())
    data = {
        "playbooks": [
            {"id": pb.id, "title": pb.title["en"], "severity": pb.severity, "description": pb.description,
             "cadence_minutes": pb.cadence.every_minutes,
             "parameters": {n: {"type": p.type, "required": p.required, "default": p.default, "help": p.help,
                                **({"choices": list(p.choices)} if p.choices else {})}
                            for n, p in pb.parameters.items()}}
            for pb in pbs.playbooks.values()
        ],
        "running": [{"id": c["id"], "playbook": c["playbook_id"], "status": c["status"], "stage": c["stage"]}
                    for c in running],
    }
    if as_json:
        _echo_json(data)
        return
    for pb in data["playbooks"]:
        typer.echo(f"{pb['id']:16} {pb['severity']:8} {pb['title']}")
        for n, p in pb["parameters"].items():
            req = "required" if p["required"] else f"default {p['default']}" if p["default"] is not None else "optional"
            extra = f" ({'|'.join(p['choices'])})" if p.get("choices") else ""
            typer.echo(f"    --set {n}=<{p['type']}{extra}>  {req}; {p['help']}")
    for c in data["running"]:
        typer.echo(f"running: {c['id']} {c['playbook']} [{c['status']}, {c['stage']}]")


@app.command()
def preview(
    playbook: Annotated[str, typer.Argument(help="Playbook id, e.g. volcanic-ash")],
    set_: SetOpt = None,
    language: Annotated[str | None, typer.Option("--lang", help="Only this language")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="Only this channel")] = None,
    show: Annotated[bool, typer.Option("--show", help="Print every text")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Render every message of a playbook for every channel and language, and check each channel's length limit."""
    from bot.crisis.channels import preview_channels
    from bot.crisis.manager import CrisisError
    from bot.crisis.params import ParameterError, resolve
    from bot.crisis.render import preview as render_preview

    s = _settings()
    pbs = _playbooks()
    given = _given(set_)

    async def main() -> Any:
        try:
            pb = pbs.get(playbook)
        except KeyError as exc:
            raise CrisisError(str(exc.args[0])) from None
        now = dt.datetime.now(dt.UTC)
        try:
            values = resolve(pb, given, now=now)
        except ParameterError as exc:
            raise CrisisError(str(exc)) from None
        return render_preview(pb, values, s, preview_channels(s), now=now)

    items = [i for i in _run(main()) if (language is None or i.language == language)
             and (channel is None or i.channel == channel)]
    bad = [i for i in items if not i.ok]
    if as_json:
        _echo_json({"ok": not bad, "messages": [i.__dict__ for i in items]})
    else:
        channels = sorted({i.channel for i in items})
        langs = sorted({i.language for i in items})
        for ch in channels:
            mine = [i for i in items if i.channel == ch]
            longest = max(mine, key=lambda i: i.length)
            threads = max(i.posts for i in mine)
            typer.echo(f"{ch:9} {len(mine):4} messages  longest {longest.length} chars ({longest.kind} "
                       f"{longest.language})" + (f", threads up to {threads} posts" if threads > 1 else "")
                       + ("" if not any(not i.ok for i in mine) else "  OVER THE LIMIT"))
        if show:
            for i in items:
                typer.echo(f"\n--- {i.kind}{'/' + i.stage if i.stage else ''} · {i.channel} · {i.language} "
                           f"· {i.length} chars{'' if i.ok else ' · ' + str(i.problem)}\n{i.text}")
        typer.echo(f"{len(items)} messages in {len(langs)} languages for {len(channels)} channels; "
                   f"{len(bad)} over a channel's limit")
        for i in bad:
            typer.echo(f"  {i.kind} {i.stage or ''} {i.channel} {i.language}: {i.problem}", err=True)
    if bad:
        raise typer.Exit(1)


@app.command()
def start(
    playbook: Annotated[str, typer.Argument(help="Playbook id, e.g. volcanic-ash")],
    set_: SetOpt = None,
    stage: Annotated[str, typer.Option(help="The first stage")] = "investigating",
    note: NoteOpt = None,
    by: ByOpt = None,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Start a crisis: crisis mode on, the first update to every enabled channel and language."""
    from bot.cli import fail
    from bot.crisis.params import ParameterError, resolve

    given = _given(set_)
    pbs = _playbooks()
    if not yes:
        pb = pbs.get(playbook) if playbook in pbs.playbooks else None
        if pb is not None:
            try:
                values = resolve(pb, given, now=dt.datetime.now(dt.UTC))
            except ParameterError as exc:
                fail(str(exc), 1)
                raise
            typer.echo(f"{pb.title['en']} ({pb.id}, {pb.severity})")
            for k, v in values.items():
                if v is not None:
                    typer.echo(f"  {k} = {v}")
            typer.confirm("Start this crisis and broadcast its first update on every channel?", abort=True)

    async def main() -> dict[str, Any]:
        async with _manager() as m:
            return await m.start(playbook, given, _actor(by), stage=stage, notes=_notes(note))

    st = _run(main())
    _echo_json(st) if as_json else typer.echo(_summary(st))


@app.command()
def update(
    crisis: Annotated[str, typer.Argument(help="Crisis id (or its playbook id while it runs)")],
    stage: Annotated[str | None, typer.Option(help="investigating | identified | monitoring")] = None,
    set_: SetOpt = None,
    note: NoteOpt = None,
    by: ByOpt = None,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Post a status update (a new stage, changed parameters, a note); the cadence restarts from now."""
    given = _given(set_)
    if not yes:
        typer.confirm(f"Post an update for {crisis} on every channel?", abort=True)

    async def main() -> dict[str, Any]:
        async with _manager(with_adapter=False) as m:
            cid = await m.resolve_id(crisis)
            return await m.update(cid, _actor(by), stage=stage, given=given, notes=_notes(note))

    st = _run(main())
    _echo_json(st) if as_json else typer.echo(_summary(st))


@app.command()
def end(
    crisis: Annotated[str, typer.Argument(help="Crisis id (or its playbook id while it runs)")],
    note: NoteOpt = None,
    by: ByOpt = None,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """End a crisis: the resolved update goes out, crisis mode and the schedule stop."""
    if not yes:
        typer.confirm(f"End {crisis} and post the resolved update on every channel?", abort=True)

    async def main() -> dict[str, Any]:
        async with _manager(with_adapter=False) as m:
            cid = await m.resolve_id(crisis)
            return await m.end(cid, _actor(by), notes=_notes(note))

    st = _run(main())
    _echo_json(st) if as_json else typer.echo(_summary(st))


@app.command()
def approve(
    crisis: Annotated[str, typer.Argument(help="Crisis id (or its playbook id)")],
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve what awaits approval (a second authorised person): it is sent now."""

    async def main() -> dict[str, Any]:
        async with _manager(with_adapter=False) as m:
            cid = await m.resolve_id(crisis)
            return await m.approve(cid, _actor(by))

    st = _run(main())
    _echo_json(st) if as_json else typer.echo(_summary(st))


@app.command()
def reject(
    crisis: Annotated[str, typer.Argument(help="Crisis id (or its playbook id)")],
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reject what awaits approval: nothing of it is sent (a crisis never approved is withdrawn)."""

    async def main() -> dict[str, Any]:
        async with _manager(with_adapter=False) as m:
            cid = await m.resolve_id(crisis)
            return await m.reject(cid, _actor(by))

    st = _run(main())
    _echo_json(st) if as_json else typer.echo(_summary(st))


@app.command()
def status(
    crisis: Annotated[str | None, typer.Argument(help="Crisis id (default: every running crisis)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """A crisis: its parameters, affected flights and bookings, next update, broadcasts per channel and language."""

    async def main() -> dict[str, Any]:
        async with _manager(with_adapter=False) as m:
            if crisis is None:
                return await m.status()
            return await m.status(await m.resolve_id(crisis))

    st = _run(main())
    if as_json:
        _echo_json(st)
    elif "crises" in st:
        typer.echo("\n\n".join(_summary(c) for c in st["crises"]) or "no crisis is running")
    else:
        typer.echo(_summary(st))
