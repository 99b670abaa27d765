"""Typed playbook parameters: ``--set name=value`` parsing, validation, defaults, and formatting per language.

Values are stored as JSON (airports and flights as lists of codes, times as ISO strings in UTC) and formatted for
each language when a text is rendered (a time in the hub's local time with its zone, an airport as "Paris (CDG)").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from bot.errors import BadRequest

if TYPE_CHECKING:
    from bot.crisis.playbook import Parameter, Playbook

_RELATIVE = re.compile(r"^\+(\d{1,4})([mhd])$")
_IATA = re.compile(r"^[A-Z]{3}$")
_FLIGHT = re.compile(r"^[A-Z0-9]{2}\d{1,4}$")


class ParameterError(BadRequest):
    """A --set value that does not fit its parameter."""


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """``["airports=AMS,CDG", "until=2026-12-08T18:00Z"]`` -> ``{"airports": "AMS,CDG", ...}``."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"--set takes name=value, got {item!r}")
        if name in out:
            raise ParameterError(f"--set {name} given twice")
        out[name] = value.strip()
    return out


def _known_airports() -> dict[str, Any]:
    from bot.dialogue.formatting import _airports

    return _airports()


def parse_datetime(value: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """An ISO 8601 time (a time without zone is UTC), ``now``, or ``+30m`` / ``+6h`` / ``+2d`` from now."""
    now = now or dt.datetime.now(dt.UTC)
    v = value.strip()
    if v.lower() == "now":
        return now
    m = _RELATIVE.match(v)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        return now + {"m": dt.timedelta(minutes=n), "h": dt.timedelta(hours=n), "d": dt.timedelta(days=n)}[unit]
    try:
        parsed = dt.datetime.fromisoformat(v.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ParameterError(f"{value!r} is not a time: use ISO 8601 (2026-12-08T18:00Z), now, or +6h") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def parse_value(name: str, p: Parameter, raw: Any, *, now: dt.datetime | None = None) -> Any:
    """The stored (JSON) form of one parameter value; raises ParameterError naming the parameter."""
    try:
        return _parse(p, raw, now)
    except ParameterError as exc:
        raise ParameterError(f"{name}: {exc}") from None


def _codes(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else str(raw).split(",")
    return list(dict.fromkeys(str(i).strip().upper().replace(" ", "") for i in items if str(i).strip()))


def _parse(p: Parameter, raw: Any, now: dt.datetime | None) -> Any:
    if p.type == "airports":
        codes = _codes(raw)
        if not codes:
            raise ParameterError("give one or more IATA airport codes, e.g. AMS,CDG")
        known = _known_airports()
        bad = [c for c in codes if not _IATA.match(c) or c not in known]
        if bad:
            raise ParameterError(f"unknown airport code(s): {', '.join(bad)}")
        return codes
    if p.type == "flights":
        codes = _codes(raw)
        bad = [c for c in codes if not _FLIGHT.match(c)]
        if bad or not codes:
            raise ParameterError(f"flight numbers like KL1234, got: {', '.join(bad) or 'nothing'}")
        return codes
    if p.type == "datetime":
        return parse_datetime(str(raw), now=now).isoformat()
    if p.type == "integer":
        try:
            return int(str(raw).strip())
        except ValueError:
            raise ParameterError(f"{raw!r} is not a whole number") from None
    if p.type == "choice":
        value = str(raw).strip().lower()
        choices = p.choices or {}
        if value not in choices:
            raise ParameterError(f"{raw!r} is not one of: {', '.join(choices)}")
        return value
    text = " ".join(str(raw).split())
    if not text:
        raise ParameterError("empty text")
    if len(text) > p.max_length:
        raise ParameterError(f"at most {p.max_length} characters")
    if any(ch in text for ch in "<>{}") or any(ord(ch) < 32 for ch in text):
        raise ParameterError("no markup or control characters")
    return text


def resolve(playbook: Playbook, given: Mapping[str, str], *, now: dt.datetime,
            previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """All parameter values for a start (or an update with ``previous`` values): given, else previous, else default.

    Raises ParameterError listing every problem: unknown names, bad values, missing required parameters.
    """
    problems: list[str] = []
    unknown = [n for n in given if n not in playbook.parameters]
    if unknown:
        known = ", ".join(playbook.parameters) or "(none)"
        problems.append(f"unknown parameter(s) {', '.join(unknown)} for {playbook.id} (known: {known})")
    values: dict[str, Any] = {}
    for name, p in playbook.parameters.items():
        try:
            if name in given:
                values[name] = parse_value(name, p, given[name], now=now)
            elif previous is not None and name in previous:
                values[name] = previous[name]
            elif p.default is not None:
                values[name] = parse_value(name, p, p.default, now=now)
            elif p.required:
                problems.append(f"{name}: required ({p.help or p.type}); add --set {name}=...")
            else:
                values[name] = None
        except ParameterError as exc:
            problems.append(str(exc))
    for a, b in (("start", "until"), ("start", "end")):
        if values.get(a) and values.get(b) and values[b] <= values[a]:
            problems.append(f"{b} must be after {a}")
    if problems:
        raise ParameterError("; ".join(problems))
    return values


# ---------------------------------------------------------------- formatting for texts


def fmt_when(value: str | dt.datetime, hub: str, language: str) -> str:
    from bot.dialogue.formatting import fmt_datetime, local

    when = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{fmt_datetime(when, hub, language)} {local(when, hub).strftime('%Z')}"


def fmt_clock(value: str | dt.datetime, hub: str, language: str) -> str:
    from bot.dialogue.formatting import fmt_time, local

    when = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{fmt_time(when, hub, language)} {local(when, hub).strftime('%Z')}"


def format_value(p: Parameter, value: Any, language: str, hub: str) -> str:
    from bot.dialogue.formatting import place

    if value is None:
        return ""
    if p.type == "airports":
        return ", ".join(place(c) for c in value)
    if p.type == "flights":
        return ", ".join(value)
    if p.type == "datetime":
        return fmt_when(value, hub, language)
    if p.type == "choice":
        labels = (p.choices or {}).get(value, {})
        return labels.get(language) or labels.get("en") or str(value)
    return str(value)


def format_all(playbook: Playbook, values: Mapping[str, Any], language: str, hub: str) -> dict[str, str]:
    return {name: format_value(p, values.get(name), language, hub) for name, p in playbook.parameters.items()}
