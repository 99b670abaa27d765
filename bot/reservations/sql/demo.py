"""Demo bookings to try the bot with (``crisisbot demo bookings [--limit N] [--ref REF] [--json]``).

The default sample is varied on purpose: a simple changeable booking with free seats on alternatives, a booking
disrupted by the airline (EU261), a LIGHT fare, special assistance, an unaccompanied minor, a connection via the hub,
a round trip, a partner-operated flight, a family of four, a delayed flight, an accented name, a cancelled booking.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.reservations.base import SearchWishes
from bot.reservations.sql.adapter import META, P, _State, load_state
from bot.reservations.sql.models import ResAirport
from bot.reservations.sql.normalise import name_key, normalise_reference
from bot.store.db import table_of

A = table_of(ResAirport)
SOON = dt.timedelta(hours=2)
SOON_DAYS = dt.timedelta(days=4)
MAX_SCAN = 3000
CHUNK = 100


async def demo_bookings(engine: AsyncEngine, *, limit: int = 10, reference: str | None = None,
                        now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """JSON-able descriptions of demo bookings: one by ``reference`` (empty list when unknown), else a sample."""
    from bot.reservations.sql.adapter import SqlReservationAdapter
    from bot.settings import Settings

    now = now or dt.datetime.now(dt.UTC)
    async with engine.connect() as conn:
        zones = {r.iata: r.tz for r in await conn.execute(select(A.c.iata, A.c.tz))}
        hub = await conn.scalar(select(META.c.value).where(META.c.key == "hub"))
        if reference is not None:
            ref = normalise_reference(reference)
            state = await load_state(conn, ref) if ref else None
            return [describe(state, zones, now)] if state else []
        refs = list((await conn.execute(
            select(P.c.booking_reference).distinct().order_by(P.c.booking_reference)
        )).scalars())
    if limit <= 0 or not refs:
        return []
    adapter = SqlReservationAdapter(engine, Settings(hub=hub or "AMS", seed_demo=False), clock=lambda: now)

    async def has_alternatives(state: _State) -> bool:
        booking = await adapter.get_booking(state.row.reference)
        return bool(await adapter.search_alternatives(booking, SearchWishes(), limit=1))

    # scan the bookings in a fixed shuffled order; the first match of each category wins, in category order
    checks = _categories(now)
    labels = [label for label, _ in checks]
    picked: dict[str, _State] = {}
    extra: list[_State] = []  # more bookings when the limit is larger than the number of categories
    order = list(refs)
    random.Random(7).shuffle(order)
    order = order[:MAX_SCAN]

    def done() -> bool:
        return all(label in picked for label in labels[:limit]) and len(picked) + len(extra) >= limit

    for i in range(0, len(order), CHUNK):
        if done():
            break
        # never hold a connection while the adapter opens its own (SQLite: every transaction takes the write lock)
        async with engine.connect() as conn:
            states = [await load_state(conn, ref) for ref in order[i : i + CHUNK]]
        for state in states:
            if state is None or done():
                continue
            for label, check in checks:
                if label not in picked and check(state):
                    if label == "simple change" and not await has_alternatives(state):
                        continue
                    picked[label] = state
                    break
            else:
                if len(picked) + len(extra) < limit and state.row.status == "confirmed":
                    extra.append(state)
    items = []
    for label in labels:
        if label in picked:
            items.append(describe(picked[label], zones, now) | {"tags": [label]})
    items.extend(describe(state, zones, now) | {"tags": []} for state in extra)
    return items[:limit]


def _categories(now: dt.datetime) -> list[tuple[str, Callable[[_State], bool]]]:
    def upcoming(s: _State) -> bool:
        return (s.row.status == "confirmed" and bool(s.segments)
                and all(seg.departure > now + SOON for seg in s.segments))

    def soon(s: _State) -> bool:
        return s.segments[0].departure < now + SOON_DAYS

    def plain(s: _State) -> bool:
        return upcoming(s) and not s.disrupted and not any(p.special_assistance for p in s.passengers)

    return [
        ("simple change", lambda s: plain(s) and soon(s) and s.row.changeable and len(s.passengers) == 1
         and s.segments[0].cabin == "economy"
         and len(s.segments) == 1 and s.segments[0].flight_status == "scheduled"),
        ("disrupted by the airline (EU261)", lambda s: upcoming(s) and soon(s) and s.disrupted),
        ("LIGHT fare (no changes)", lambda s: plain(s) and s.row.fare_basis == "LIGHT"),
        ("special assistance (wheelchair)", lambda s: upcoming(s) and not s.disrupted
         and any((p.special_assistance or "").startswith("WCH") for p in s.passengers)),
        ("connection via the hub", lambda s: plain(s) and len(s.journeys.get(0, ())) == 2),
        ("unaccompanied minor", lambda s: upcoming(s) and any(p.type == "unaccompanied_minor" for p in s.passengers)),
        ("round trip", lambda s: plain(s) and len(s.journeys) == 2),
        ("partner-operated flight", lambda s: plain(s)
         and any(seg.operating_carrier != seg.flight_number[:2] for seg in s.segments)),
        ("family of four", lambda s: plain(s) and len(s.passengers) == 4),
        ("delayed flight", lambda s: upcoming(s) and any(seg.flight_status == "delayed" for seg in s.segments)),
        ("accented name", lambda s: plain(s)
         and any(name_key(p.last_name) != p.last_name.lower().replace(" ", "") for p in s.passengers)),
        ("cancelled by the customer", lambda s: s.row.status == "cancelled"),
    ]


def _local(value: dt.datetime, tz: str | None) -> str:
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") if tz else value.strftime("%Y-%m-%d %H:%M")


def describe(state: _State, zones: dict[str, str], now: dt.datetime) -> dict[str, Any]:
    r = state.row
    return {
        "reference": r.reference,
        "status": r.status,
        "version": r.version,
        "disrupted": state.disrupted,
        "passengers": [
            {"first_name": p.first_name, "last_name": p.last_name, "type": p.type,
             "special_assistance": p.special_assistance}
            for p in state.passengers
        ],
        "segments": [
            {"flight_number": s.flight_number, "operating_carrier": s.operating_carrier, "origin": s.origin,
             "destination": s.destination, "journey": s.journey,
             "departure_local": _local(s.departure, zones.get(s.origin)),
             "arrival_local": _local(s.arrival, zones.get(s.destination)),
             "departure_utc": s.departure.isoformat(), "arrival_utc": s.arrival.isoformat(),
             "cabin": s.cabin,
             "status": "flown" if s.status == "confirmed" and s.departed(now) else s.status,
             "flight_status": s.flight_status}
            for s in state.segments
        ],
        "fare": {"fare_basis": r.fare_basis, "changeable": r.changeable, "change_fee": str(r.change_fee),
                 "refundable": r.refundable, "cancel_fee": str(r.cancel_fee), "currency": r.currency,
                 "total_paid": str(r.total_paid)},
    }


def format_bookings_text(bookings: list[dict[str, Any]]) -> str:
    """A human-readable listing of ``demo_bookings()`` output."""
    if not bookings:
        return "No demo bookings found."
    out: list[str] = []
    for b in bookings:
        fare = b["fare"]
        rules = [("change fee " + fare["change_fee"]) if fare["changeable"] else "no changes",
                 ("cancel fee " + fare["cancel_fee"]) if fare["refundable"] else "non-refundable"]
        tags = f"  [{', '.join(b['tags'])}]" if b.get("tags") else ""
        flags = "  DISRUPTED" if b["disrupted"] else ""
        out.append(f"{b['reference']}  {b['status']}  {fare['fare_basis']} ({', '.join(rules)}; "
                   f"paid {fare['total_paid']} {fare['currency']})  v{b['version']}{flags}{tags}")
        names = ", ".join(
            f"{p['first_name']} {p['last_name']}" + (f" ({p['type']})" if p["type"] != "adult" else "")
            + (f" [{p['special_assistance']}]" if p["special_assistance"] else "")
            for p in b["passengers"]
        )
        out.append(f"    passengers: {names}")
        for s in b["segments"]:
            partner = f" op. by {s['operating_carrier']}" if s["operating_carrier"] != s["flight_number"][:2] else ""
            flight = "" if s["flight_status"] == "scheduled" else f" (flight {s['flight_status']})"
            out.append(f"    {s['flight_number']:<7} {s['origin']}-{s['destination']}  dep {s['departure_local']} "
                       f"local ({s['departure_utc'][11:16]} UTC)  arr {s['arrival_local']}  {s['cabin']:<8} "
                       f"{s['status']}{flight}{partner}")
        out.append("")
    out.append("Try: find the booking with its reference and any passenger's last name.")
    return "\n".join(out)
