"""Safe text templates for playbooks: ``$name`` / ``${name}`` substitution from a whitelist, nothing else.

A playbook is content written by comms staff and designers; rendering it must never run code. ``string.Template``
only substitutes names, and every name a text uses is checked against the names its context offers when the playbook
is validated, so a typo fails ``crisisbot validate`` instead of reaching passengers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from string import Template

# names every crisis text may use; playbook parameters add their own names
BROADCAST_NAMES = frozenset({
    "airline", "title", "next_update", "next_update_at", "rebook_until", "status_url", "updated_at", "stage",
})
# a personal notice also knows the passenger's booking
NOTICE_NAMES = BROADCAST_NAMES | frozenset({"reference", "flight", "route", "departure", "options"})

_BRACED_OR_NAMED = re.compile(r"\$(?:\$|(?P<named>[_a-z][_a-z0-9]*)|\{(?P<braced>[_a-z][_a-z0-9]*)\}|(?P<bad>))",
                              re.IGNORECASE)


class SafeTemplate(Template):
    """``string.Template`` with lower-case names only; ``$$`` writes a dollar sign."""

    idpattern = r"[_a-z][_a-z0-9]*"
    flags = re.IGNORECASE


def template_problems(text: str, allowed: Iterable[str]) -> list[str]:
    """What is wrong with a template: unknown names, a lone ``$`` that is neither ``$$`` nor a name."""
    allowed = set(allowed)
    problems = []
    for m in _BRACED_OR_NAMED.finditer(text):
        if m.group(0) == "$$":
            continue
        name = m.group("named") or m.group("braced")
        if name is None:
            problems.append(f"a '$' at position {m.start()} is not followed by a name (write $$ for a dollar sign)")
        elif name not in allowed:
            problems.append(f"unknown placeholder ${name} (known: {', '.join(sorted(allowed))})")
    return problems


def render(text: str, values: Mapping[str, object]) -> str:
    """Substitute known names; an unknown one stays as written (validation has reported it already)."""
    return SafeTemplate(text).safe_substitute({k: "" if v is None else str(v) for k, v in values.items()})
