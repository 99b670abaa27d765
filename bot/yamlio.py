"""YAML loading that remembers line numbers, so content errors can name file, line and field."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.errors import ContentError

PathKey = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class LineMap:
    """Maps a path inside a YAML document (keys and list indexes) to the 1-based line it starts on."""

    def __init__(self) -> None:
        self._lines: dict[PathKey, int] = {}

    def add(self, path: PathKey, line: int) -> None:
        self._lines.setdefault(path, line)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            if p in self._lines:
                return self._lines[p]
            if not p:
                return None
            p = p[:-1]


def _walk(node: yaml.Node, path: PathKey, lines: LineMap) -> None:
    lines.add(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            lines.add((*path, key), key_node.start_mark.line + 1)
            _walk(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines)


def load_yaml(path: Path | str, *, display_name: str | None = None) -> tuple[Any, LineMap]:
    """Parse a YAML file. Raises ContentError with the line of a syntax error."""
    path = Path(path)
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(name, None, None, f"cannot read file: {exc}") from exc
    return loads_yaml(text, name)


_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def loads_yaml(text: str, name: str) -> tuple[Any, LineMap]:
    lines = LineMap()
    # one parse (libyaml's when PyYAML has it) gives both the data and the line of every node
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ContentError(name, line, None, f"invalid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise ContentError(name, None, None, f"invalid YAML: {exc}") from exc
    finally:
        loader.dispose()
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def validation_errors(exc: ValidationError, name: str, lines: LineMap, prefix: PathKey = ()) -> list[ContentError]:
    """Turn a pydantic ValidationError into ContentErrors that name file, line and field."""
    out = []
    for err in exc.errors():
        loc = (*prefix, *err["loc"])
        field = ".".join(str(p) for p in loc) or None
        out.append(ContentError(name, lines.line_of(loc), field, err["msg"]))
    return out


def validate_model(
    model: type[M], data: Any, name: str, lines: LineMap, prefix: PathKey = ()
) -> M:
    """Validate ``data`` against ``model``; raise ContentErrors (all of them at once) on failure."""
    from bot.errors import ContentErrors

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ContentErrors(validation_errors(exc, name, lines, prefix)) from exc
