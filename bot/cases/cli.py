"""``crisisbot cases ...``: the handoff desk for agents without Slack (same API as the Slack channel uses)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer

from bot.cases.desk import STATES, CaseDesk, CaseView

app = typer.Typer(help="Handoff cases: list, show, claim, reply, resolve, release, return.", no_args_is_help=True)

AgentOpt = Annotated[str, typer.Option("--agent", help="Your name as agents sign (first name is the signature)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _run(action: Callable[[CaseDesk], Awaitable[Any]]) -> Any:
    from bot.cli import run, settings
    from bot.runtime import open_database
    from bot.store.repo import Store

    s = settings()

    async def main() -> Any:
        engine = await open_database(s, migrate=True)
        try:
            return await action(CaseDesk(Store(engine), s))
        finally:
            await engine.dispose()

    return run(main())


def _line(v: CaseView, now: dt.datetime) -> str:
    who = f" by {v.claimed_by}" if v.claimed_by else ""
    pos = f" #{v.position}" if v.position is not None else ""
    open_ = v.state in ("queued", "claimed")
    late = " PAST SLA" if open_ and v.first_response_at is None and now > v.sla_due_at else ""
    skills = f" [{', '.join(v.skills)}]" if v.skills else ""
    seen = v.last_agent_at or v.claimed_at
    if v.state == "claimed" and v.last_passenger_at and seen and v.last_passenger_at > seen:
        who += ", passenger wrote since"
    return (f"{v.id:>5}  {v.state:<8}{pos:<4} {v.language}  prio {v.priority:>3}  "
            f"waiting {v.waiting_minutes(now):>4} min{late}  {v.reason}{skills}{who}")


def _show_text(v: CaseView, now: dt.datetime) -> str:
    d = v.to_dict(now)
    lines = [f"case {v.id}: {v.state}" + (f" by {v.claimed_by}" if v.claimed_by else ""),
             f"  reason      {v.reason}", f"  summary     {v.summary}", f"  language    {v.language}",
             f"  skills      {', '.join(v.skills) or '-'}", f"  priority    {v.priority}"
             + (f" (queue position {v.position})" if v.position else ""),
             f"  waiting     {d['waiting_minutes']} min; SLA due {d['sla_due_at']}"
             + ("; PAST SLA" if d["past_sla"] else "")]
    if v.expected_minutes is not None:
        lines.append(f"  expected    about {v.expected_minutes} min until a first response")
    if v.booking:
        lines.append(f"  booking     {v.booking.get('reference')} ({v.booking.get('last_name', '')}), verified")
    elif v.context.get("unverified_reference"):
        lines.append(f"  booking     {v.context['unverified_reference']} (not verified)")
    if v.departure_at:
        lines.append(f"  departure   {d['departure_at']}")
    if v.crisis_affected:
        lines.append(f"  crisis      {v.crisis_id or 'affected'}")
    lines.append(f"  intent      {v.intent or '-'}")
    for o in v.context.get("offered") or []:
        segs = " + ".join(f"{s['flight_number']} {s['origin']}-{s['destination']} {s['departure']}"
                          for s in o.get("segments") or [])
        lines.append(f"  offered {o.get('option')}   {segs}")
    lines.append(f"  channel     {v.channel} (conversation {v.conversation_id})")
    if v.transcript is not None:
        lines.append("transcript:")
        for t in v.transcript:
            arrow = ">" if t["direction"] == "in" else "<"
            since = v.first_message_id is not None and t["direction"] == "in" and t["id"] >= v.first_message_id
            mark = "*" if since else " "
            lines.append(f" {mark}{arrow} {t['at'][:19]} {t['author']}: {t['text']}")
    return "\n".join(lines)


def _print(v: CaseView, as_json: bool, message: str) -> None:
    now = dt.datetime.now(dt.UTC)
    if as_json:
        typer.echo(json.dumps(v.to_dict(now), indent=2, ensure_ascii=False, default=str))
    else:
        typer.echo(message)


@app.command("list")
def list_cases(
    state: Annotated[
        list[str] | None, typer.Option(help=f"One of {', '.join(STATES)} (repeatable) [default: open]")
    ] = None,
    language: Annotated[str | None, typer.Option(help="Only cases in this language, e.g. nl")] = None,
    skill: Annotated[str | None, typer.Option(help="Only cases needing this skill, e.g. refunds")] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Only cases claimed by this agent")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Cases, most urgent first: queued (with queue position) and claimed unless --state says otherwise."""
    states = tuple(state) if state else ("queued", "claimed")

    async def action(desk: CaseDesk) -> list[CaseView]:
        views = await desk.list_cases(states=states, language=language, skill=skill, agent=agent, limit=limit)
        for v in views:  # the transcript travels with each case (agents see the whole story at once)
            if as_json:
                v.transcript = await desk.store.transcript(v.conversation_id)
        return views

    views = _run(action)
    now = dt.datetime.now(dt.UTC)
    if as_json:
        typer.echo(json.dumps([v.to_dict(now) for v in views], indent=2, ensure_ascii=False, default=str))
    elif not views:
        typer.echo("no cases")
    else:
        for v in views:
            typer.echo(_line(v, now))


@app.command()
def show(case_id: int, as_json: JsonOpt = False) -> None:
    """One case with its context and the conversation's transcript (* marks messages since the handoff)."""
    v = _run(lambda desk: desk.get(case_id, transcript=True))
    _print(v, as_json, _show_text(v, dt.datetime.now(dt.UTC)))


@app.command()
def claim(case_id: int, agent: AgentOpt, as_json: JsonOpt = False) -> None:
    """Take a queued case (exactly one agent gets it); the bot then stays silent in that conversation."""
    v = _run(lambda desk: desk.claim(case_id, agent))
    _print(v, as_json, f"case {v.id} is yours, {agent}. Reply with: crisisbot cases reply {v.id} --agent "
                       f"{json.dumps(agent)} --text '...'")


@app.command()
def reply(
    case_id: int,
    agent: AgentOpt,
    text: Annotated[str, typer.Option("--text", help="The reply; it is signed with your first name")],
    as_json: JsonOpt = False,
) -> None:
    """Send a reply to the passenger on their own channel (claim the case first)."""
    v = _run(lambda desk: desk.reply(case_id, agent, text))
    _print(v, as_json, f"sent to the passenger of case {v.id} ({v.channel})")


@app.command()
def resolve(case_id: int, agent: AgentOpt, as_json: JsonOpt = False) -> None:
    """Close the case as resolved; the bot takes the conversation over again."""
    v = _run(lambda desk: desk.resolve(case_id, agent))
    _print(v, as_json, f"case {v.id} resolved; the bot has the conversation again")


@app.command()
def release(case_id: int, agent: AgentOpt, as_json: JsonOpt = False) -> None:
    """Put your claimed case back in the queue for a colleague."""
    v = _run(lambda desk: desk.release(case_id, agent))
    _print(v, as_json, f"case {v.id} is back in the queue")


@app.command("return")
def return_to_bot(case_id: int, agent: AgentOpt, as_json: JsonOpt = False) -> None:
    """Hand the conversation back to the bot without resolving it (the passenger is told)."""
    v = _run(lambda desk: desk.return_to_bot(case_id, agent))
    _print(v, as_json, f"case {v.id} returned to the bot")
