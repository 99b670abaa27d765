"""Validation of all content: intents/ (NLU data), flows/ (conversations), crisis_playbooks/ (crisis texts)."""

from __future__ import annotations

from pathlib import Path

from bot.errors import ContentError, ContentErrors
from bot.settings import Settings


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def validate_playbooks(content_dir: Path) -> list[ContentError]:
    """Every playbook against its schema: every text in every language, known placeholders, a valid scope."""
    from bot.crisis.playbook import validate_playbooks as check

    return check(content_dir)


def validate_all(settings: Settings) -> list[ContentError]:
    root = Path(settings.content_dir)
    errors: list[ContentError] = []
    for folder in ("intents", "flows"):
        if not (root / folder).is_dir():
            errors.append(
                ContentError(str(root / folder), None, None, "folder not found (check CRISISBOT_CONTENT_DIR)")
            )
    if errors:
        return errors
    from bot.dialogue.loader import validate_flows
    from bot.nlu.training_data import validate_intents

    for check in (validate_intents, validate_flows, validate_playbooks):
        try:
            errors.extend(check(root))
        except ContentErrors as exc:
            errors.extend(exc.errors)
        except ContentError as exc:
            errors.append(exc)
    return errors
