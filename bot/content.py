"""Validation of all content: intents/ (NLU data), flows/ (conversations), crisis_playbooks/ (crisis texts)."""

from __future__ import annotations

from pathlib import Path

from bot.errors import ContentError, ContentErrors
from bot.settings import Settings
from bot.yamlio import load_yaml


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def validate_playbooks(content_dir: Path) -> list[ContentError]:
    """Playbooks get their full schema with the crisis runner; until then every file must be a readable mapping."""
    errors: list[ContentError] = []
    folder = content_dir / "crisis_playbooks"
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        name = _relative(path, content_dir)
        try:
            data, _lines = load_yaml(path, display_name=name)
        except ContentError as exc:
            errors.append(exc)
            continue
        if not isinstance(data, dict):
            errors.append(ContentError(name, 1, None, "a playbook must be a mapping"))
    return errors


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
