"""The ``crisisbot`` command. Every sub-command reads the same Settings (env ``CRISISBOT_*``, ``.env``)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer

from bot.errors import ConfigurationError, ContentErrors, CrisisbotError
from bot.settings import Settings, get_settings

T = TypeVar("T")

app = typer.Typer(
    name="crisisbot",
    help="Crisis-mode communication and rebooking bot for airlines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
demo_app = typer.Typer(help="The demo airline: sample bookings to try the bot with.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")

from bot.cases.cli import app as cases_app  # noqa: E402

app.add_typer(cases_app, name="cases")

try:  # the NLU commands (parse, evaluate) live with the NLU runtime
    from bot.nlu.cli import app as nlu_app

    app.add_typer(nlu_app, name="nlu", help="Parse messages and evaluate the NLU.")
except ImportError:  # pragma: no cover - only while the NLU package is incomplete
    pass

from bot.crisis.cli import app as crisis_app  # noqa: E402

app.add_typer(crisis_app, name="crisis")


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine; turn the project's errors into one clear line instead of a traceback."""
    try:
        return asyncio.run(coro)
    except ContentErrors as exc:
        for e in exc.errors:
            typer.echo(str(e), err=True)
        raise typer.Exit(1) from None
    except ConfigurationError as exc:
        fail(str(exc))
    except CrisisbotError as exc:
        fail(f"{exc.__class__.__name__}: {exc}", 1)
    raise AssertionError("unreachable")


def settings() -> Settings:
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"CRISISBOT_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        fail(f"invalid settings: {problems}")
        raise


def _setup_logging(s: Settings) -> None:
    from bot.logging import configure_logging

    configure_logging(s.log_level, s.log_json)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port [default: 8080]")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (state is in the database)")] = 1,
) -> None:
    """Serve the web chat (/), the REST channel (/webhooks/rest/webhook), /healthz and /metrics."""
    import uvicorn

    from bot.app import banner_text, create_app
    from bot.runtime import Runtime

    s = settings()
    _setup_logging(s)
    # fail fast with one clear line when the database is unreachable; with several workers, also migrate, seed
    # and train once here, before they start, so that they do not race for it
    run(_prepare(s, full=workers > 1))
    h, p = host or s.host, port or s.port
    s = s.model_copy(update={"host": h, "port": p})
    typer.echo(f"crisisbot: starting on http://{h}:{p}/ ...", err=True)
    common: dict[str, Any] = dict(host=h, port=p, log_level=s.log_level.lower(), access_log=False, lifespan="on",
                                  log_config=None)
    if workers > 1:
        import shutil
        import tempfile

        # metrics of every worker add up (prometheus multiprocess mode); one of them prints the banner
        metrics_dir = tempfile.mkdtemp(prefix="crisisbot-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        os.environ["CRISISBOT_BANNER_ONCE_DIR"] = metrics_dir
        os.environ["CRISISBOT_HOST"], os.environ["CRISISBOT_PORT"] = h, str(p)
        try:
            uvicorn.run("bot.app:create_default_app", factory=True, workers=workers, **common)
        finally:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        return

    def ready(rt: Runtime) -> None:
        typer.echo(banner_text(s, rt))

    server = uvicorn.Server(uvicorn.Config(create_app(Runtime(s, serving=True), on_ready=ready), **common))
    try:
        server.run()
    except ConfigurationError as exc:
        fail(str(exc))
    if not server.started:
        raise typer.Exit(1)


async def _prepare(s: Settings, *, full: bool) -> None:
    from bot.runtime import Runtime, open_database

    if full:
        async with Runtime(s):
            return
    engine = await open_database(s, migrate=True)
    await engine.dispose()


@app.command()
def chat(
    sender: Annotated[str | None, typer.Option(help="Your id in the conversation (default: your user name)")] = None,
) -> None:
    """Talk to the bot in this terminal (the console channel). Conversations persist like any other."""
    from bot.channels.console import ConsoleChannel
    from bot.runtime import Runtime

    s = settings()
    _setup_logging(Settings(**{**s.model_dump(), "log_level": "WARNING"}))

    async def main() -> None:
        async with Runtime(s) as rt:
            await ConsoleChannel(rt.pipeline, sender_id=sender).run()

    run(main())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to the configured database."""
    from bot.runtime import open_database, safe_url
    from bot.store.migrate import current_revision

    s = settings()

    async def main() -> str | None:
        engine = await open_database(s, migrate=True)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    rev = run(main())
    typer.echo(f"database {safe_url(s.database_url)} is at revision {rev}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's current revision (without changing anything)."""
    from bot.runtime import open_database
    from bot.store.migrate import current_revision, head_revision

    s = settings()

    async def main() -> str | None:
        engine = await open_database(s, migrate=False)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    rev = run(main())
    typer.echo(f"current: {rev or '(empty database)'}; latest: {head_revision()}")


@demo_app.command("bookings")
def demo_bookings(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many bookings to list")] = 10,
    ref: Annotated[str | None, typer.Option(help="Show one booking's current state")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Sample booking references with passengers' last names and itineraries, to try a rebooking."""
    from bot.reservations.sql.adapter import SqlReservationAdapter
    from bot.reservations.sql.demo import demo_bookings as list_bookings
    from bot.reservations.sql.demo import format_bookings_text
    from bot.runtime import open_database

    s = settings()
    if ref is not None:
        ref = ref.replace(" ", "").upper()
        if not ref.isalnum() or len(ref) != 6:
            fail("--ref takes a 6-character booking reference, e.g. --ref X7K2PQ")

    async def main() -> list[dict[str, Any]]:
        engine = await open_database(s, migrate=True)
        try:
            adapter = SqlReservationAdapter(engine, s)
            await adapter.initialize()  # seeds the demo airline on first use
            return await list_bookings(engine, limit=limit, reference=ref)
        finally:
            await engine.dispose()

    rows = run(main())
    if ref is not None and not rows:
        fail(f"no booking {ref}", 1)
    if as_json:
        typer.echo(json.dumps(rows[0] if ref is not None else rows, indent=2, ensure_ascii=False, default=str))
    else:
        typer.echo(format_bookings_text(rows))


@demo_app.command("reset")
def demo_reset(
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: every demo booking and its changes are lost")] = False,
) -> None:
    """Seed the demo airline afresh from today (its schedule covers a fixed window and goes stale)."""
    import datetime as dt

    from bot.reservations.sql.seed import reset_demo
    from bot.runtime import open_database

    if not yes:
        fail("this deletes every demo booking and change; run again with --yes to confirm")
    s = settings()

    async def main() -> dict[str, int]:
        engine = await open_database(s, migrate=True)
        try:
            return await reset_demo(engine, anchor=dt.datetime.now(dt.UTC).date(), days=s.demo_days,
                                    bookings=s.demo_bookings)
        finally:
            await engine.dispose()

    counts = run(main())
    typer.echo(f"demo airline seeded from today: {counts.get('res_bookings', 0)} bookings, "
               f"{counts.get('res_flights', 0)} flights")


@app.command()
def validate() -> None:
    """Check every content file (intents/, flows/, crisis_playbooks/); errors name file, line and field."""
    from bot.content import validate_all

    s = settings()
    errors = validate_all(s)
    if errors:
        for e in errors:
            typer.echo(str(e), err=True)
        typer.echo(f"{len(errors)} error(s) in {s.content_dir}", err=True)
        raise typer.Exit(1)
    typer.echo(f"all content in {s.content_dir} is valid")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
