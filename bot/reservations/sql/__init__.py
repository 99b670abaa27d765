"""The demo airline: a reservation system on its own SQL tables (``res_*``), seeded with deterministic data."""

from bot.reservations.sql.adapter import SqlReservationAdapter
from bot.reservations.sql.demo import demo_bookings, format_bookings_text
from bot.reservations.sql.seed import build_demo, demo_is_seeded, reset_demo, seed_demo

__all__ = ["SqlReservationAdapter", "build_demo", "demo_bookings", "demo_is_seeded", "format_bookings_text",
           "reset_demo", "seed_demo"]
