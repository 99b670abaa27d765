"""Checks for what web channels receive, before anything is stored: bad input gets a clear BadRequest (400) or
PayloadTooLarge (413), never a database error or a 500.

* JSON bodies: at most ``max_bytes``; valid UTF-8 JSON; nesting at most ``MAX_DEPTH`` deep; numbers of at most
  ``MAX_INT_DIGITS`` digits and finite; no NaN/Infinity; no NUL characters or lone surrogates in any string or key
  (PostgreSQL cannot store them).
* identifiers (sender, message id, session id): strings (or integers) without control characters, bounded length.
* message texts: at most ``MAX_MESSAGE_CHARS`` characters (413 over it: refused whole, never stored cut).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pydantic import ValidationError

from bot.errors import BadRequest, PayloadTooLarge

MAX_MESSAGE_CHARS = 10_000  # documented in the README: REST "message" and web chat "text"
MAX_DEPTH = 32
MAX_INT_DIGITS = 30
MAX_CURSOR = 2**63 - 1  # outbox ids are 64-bit integers
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise BadRequest(f"a number in the body has more than {MAX_INT_DIGITS} digits")
    return int(digits)


def _parse_float(text: str) -> float:
    if len(text) > 64:
        raise BadRequest("a number in the body is too long")
    value = float(text)
    if not math.isfinite(value):
        raise BadRequest("a number in the body is out of range")
    return value


def _parse_constant(name: str) -> Any:
    raise BadRequest(f"{name} is not valid JSON")


def _check_string(value: str, where: str) -> None:
    if "\x00" in value:
        raise BadRequest(f"{where} must not contain NUL characters")
    if _SURROGATE.search(value):
        raise BadRequest(f"{where} is not valid Unicode (a lone surrogate)")


def _walk(data: Any) -> None:
    """Depth and strings, without recursion (a deep body must not exhaust the stack)."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "body")]
    while stack:
        item, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest(f"the body is nested too deeply (more than {MAX_DEPTH} levels)")
        if isinstance(item, str):
            _check_string(item, where)
        elif isinstance(item, dict):
            for k, v in item.items():
                _check_string(k, f"a key in {where}")
                stack.append((v, depth + 1, k if depth == 1 else where))
        elif isinstance(item, list):
            stack.extend((v, depth + 1, where) for v in item)


def load_json_object(body: bytes, max_bytes: int, example: str) -> dict[str, Any]:
    """Parse and check a JSON object body (raises BadRequest / PayloadTooLarge with a clear message)."""
    if len(body) > max_bytes:
        raise PayloadTooLarge(f"request body too large: over {max_bytes} bytes")
    try:
        text = body.decode("utf-8") if body else "null"
    except UnicodeDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        data = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise BadRequest(f"the body is nested too deeply (more than {MAX_DEPTH} levels)") from None
    except ValueError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest(f"body must be a JSON object like {example}")
    _walk(data)
    return data


def identifier(value: Any, name: str, *, max_length: int = 255, required: bool = True) -> str | None:
    """A sender / message id: a non-empty string (or an integer, as some widgets send), no control characters."""
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        kind = "missing" if value is None else f"a {type(value).__name__.replace('NoneType', 'null')}"
        raise BadRequest(f"{name} must be a string (got {kind})")
    text = str(value)
    if not text.strip():
        raise BadRequest(f"{name} must not be empty")
    if len(text) > max_length:
        raise BadRequest(f"{name} is too long: at most {max_length} characters")
    _check_string(text, name)
    if _CONTROL.search(text):
        raise BadRequest(f"{name} must not contain control characters")
    return text


def message_text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        kind = "missing" if value is None else f"a {type(value).__name__}"
        raise BadRequest(f"{name} must be a string (got {kind})")
    if len(value) > MAX_MESSAGE_CHARS:
        raise PayloadTooLarge(f"{name} is too long: {len(value)} characters, at most {MAX_MESSAGE_CHARS}")
    _check_string(value, name)
    return value


def cursor(value: str | None, name: str) -> int:
    """A non-negative integer query parameter (e.g. the web chat's poll cursor)."""
    if value is None or value == "":
        return 0
    text = value.strip()
    if not text.isdigit() or not text.isascii():
        raise BadRequest(f"{name} must be a whole number from 0 to {MAX_CURSOR}")
    if len(text) > 19 or int(text) > MAX_CURSOR:
        raise BadRequest(f"{name} is out of range: at most {MAX_CURSOR}")
    return int(text)


def problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
