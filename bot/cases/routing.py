"""Routing and priority of handoff cases: pure functions, no store."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

# the handoff reason (flows' ``handoff:`` steps, the engine's own) -> the skill an agent needs for it
REASON_SKILLS: dict[str, str] = {
    "special_assistance": "special_assistance",
    "unaccompanied_minor": "special_assistance",
    "group": "groups",
    "partner_operated": "partner_trips",
    "multi_segment": "complex_itineraries",
    "payment_beyond_policy": "payments",
    "change_not_allowed": "fare_rules",
}
REFUND_INTENTS = ("cancel", "refund_status")


def skills_for(reason: str, context: dict[str, Any], intent: str | None = None) -> list[str]:
    """The skills a case needs: from its reason, and refunds when the passenger was cancelling or asking for money."""
    skills: list[str] = []
    if reason in REASON_SKILLS:
        skills.append(REASON_SKILLS[reason])
    flows = " ".join(str(f) for f in context.get("flows") or ())
    intents = [*(context.get("last_intents") or ()), intent or ""]
    if "cancel@" in flows or context.get("cancel_mode") or any(i in REFUND_INTENTS for i in intents):
        skills.append("refunds")
    return sorted(set(skills))


def parse_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def compute_priority(
    *,
    base: int,
    opened_at: dt.datetime,
    now: dt.datetime,
    departure_at: dt.datetime | None,
    crisis_affected: bool,
    escalation_level: int,
) -> int:
    """A case's place in the queue (higher first).

    * the handoff's own priority (an angry passenger: 1) counts 10 a step;
    * a departure soon: +30 within 6 hours, +15 within 24, +5 within 72 (already departed: nothing);
    * affected by the crisis (set from the crisis playbooks): +20;
    * waiting: +1 every 5 minutes, at most +30, so that nobody waits for ever behind newer urgent cases;
    * escalated by the SLA monitor: +10 a level.
    """
    p = 10 * max(0, base)
    if departure_at is not None:
        hours = (departure_at - now).total_seconds() / 3600
        if 0 <= hours <= 6:
            p += 30
        elif 0 <= hours <= 24:
            p += 15
        elif 0 <= hours <= 72:
            p += 5
    if crisis_affected:
        p += 20
    waited = max(0.0, (now - opened_at).total_seconds() / 60)
    p += min(30, int(waited // 5))
    p += 10 * max(0, escalation_level)
    return p


def expected_minutes(position: int, answered_in_window: int, window_minutes: float) -> int | None:
    """The honest expected wait: cases ahead (and this one) at the rate colleagues answered cases recently.

    None when nobody answered a case in the window: we then do not pretend to know.
    """
    if answered_in_window <= 0:
        return None
    return max(1, math.ceil(position * window_minutes / answered_in_window))


def first_name(agent: str) -> str:
    """Agents sign with their first name (as airline social-care teams do): "Anna de Vries" -> "Anna"."""
    name = " ".join(agent.split())
    return name.split(" ")[0] if name else "Agent"


def signed(text: str, agent: str) -> str:
    return f"{text.rstrip()}\n\n– {first_name(agent)}"
