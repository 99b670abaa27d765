"""``crisisbot nlu ...``: parse messages from stdin, cross-validate the training data."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import typer

app = typer.Typer(help="The NLU: parse messages, evaluate the training data.", no_args_is_help=True)


@app.command()
def parse(
    lang: str | None = typer.Option(None, "--lang", help="Language of every message (default: detect per message)."),
    context: str | None = typer.Option(None, "--context", help='JSON parse context, e.g. {"expecting": "option"}.'),
) -> None:
    """Read one message per line on stdin; write one JSON parse per line (Rasa's shape plus language).

    Each line is parsed on its own, as the first message of a conversation would be.
    """
    from bot.errors import CrisisbotError
    from bot.nlu import build_language_detector, build_nlu
    from bot.settings import get_settings

    settings = get_settings()
    ctx: dict[str, Any] = {}
    if context:
        try:
            ctx = json.loads(context)
        except ValueError as exc:
            raise typer.BadParameter(f"--context is not JSON: {exc}") from exc
        if not isinstance(ctx, dict):
            raise typer.BadParameter("--context must be a JSON object")
    if lang is not None and lang not in settings.languages:
        raise typer.BadParameter(f"--lang must be one of {', '.join(settings.languages)}")

    async def run() -> int:
        backend = build_nlu(settings)
        detector = build_language_detector(settings) if lang is None else None
        try:
            await backend.initialize()
            for raw in sys.stdin:
                text = raw.rstrip("\n").rstrip("\r")
                language, supported = lang, True
                if detector is not None:
                    # every line is a message of its own: no language carries over from the line before
                    det = detector.detect(text, None)
                    language, supported = det.language, det.supported
                assert language is not None
                result = await backend.parse(text, language, context={**ctx, "language_supported": supported})
                sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
                sys.stdout.flush()
        except CrisisbotError as exc:
            typer.echo(f"error: {exc}", err=True)
            return 1
        finally:
            await backend.shutdown()
        return 0

    code = asyncio.run(run())
    if code:
        raise typer.Exit(code)


@app.command()
def evaluate(
    lang: list[str] = typer.Option(None, "--lang", help="Language(s) to report (default: all)."),
    folds: int = typer.Option(5, "--folds", min=2, max=20, help="Cross-validation folds."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    errors: int = typer.Option(10, "--errors", help="Misclassified examples to show per language."),
) -> None:
    """Stratified k-fold cross-validation over intents/: per-intent P/R/F1, macro-F1, confusion, entity F1."""
    from bot.errors import ContentErrors
    from bot.nlu.evaluate import evaluate_dir, format_report
    from bot.settings import get_settings

    settings = get_settings()
    try:
        results = evaluate_dir(settings.content_dir, lang or None, folds, settings.airline_code)
    except ContentErrors as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    if not results:
        typer.echo("no training data found", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r, _ in results], indent=2))
        return
    for report, _ in results:
        typer.echo(format_report(report, max_errors=errors))
        typer.echo("")
    typer.echo("language  macro-F1  entity-F1  examples")
    for report, _ in results:
        typer.echo(f"{report.language:<10}{report.macro_f1:>8.3f}{report.entity_f1:>11.3f}{report.n_examples:>10}")


if __name__ == "__main__":  # pragma: no cover
    app()
