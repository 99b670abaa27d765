"""Dates, times and money for the passenger: the airport's local time, the passenger's locale (babel)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_skeleton
from babel.lists import format_list
from babel.numbers import format_currency

if TYPE_CHECKING:
    from airportsdata import Airport

# babel's plain "en" is US English; an airline in Europe writes British dates ("Tue 24 Nov")
_LOCALES = {"en": "en_GB", "pt": "pt_PT"}

Text = Callable[[str], str]  # response key -> text in the passenger's language


def locale_for(language: str) -> str:
    return _LOCALES.get(language, language)


@lru_cache(maxsize=1)
def _airports() -> dict[str, Airport]:
    import airportsdata

    return airportsdata.load("IATA")


def airport_tz(iata: str | None) -> ZoneInfo:
    info = _airports().get((iata or "").upper())
    try:
        return ZoneInfo(info["tz"]) if info and info.get("tz") else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def airport_city(iata: str, language: str | None = None) -> str:
    if language:  # the city's name in that language ("阿姆斯特丹", "Londen", "Mailand")
        from bot.dialogue.city_names import european_city_name
        from bot.nlu.entities.intl import city_name

        native = city_name(iata, language) or european_city_name(iata, language)
        if native:
            return native
    info = _airports().get((iata or "").upper())
    return (info.get("city") if info else None) or iata


def local(value: dt.datetime | str, iata: str | None) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(airport_tz(iata))


def local_today(iata: str | None, now: dt.datetime) -> dt.date:
    return local(now, iata).date()


def fmt_time(value: dt.datetime | str, iata: str | None, language: str) -> str:
    return format_skeleton("Hm", local(value, iata), locale=locale_for(language))


def fmt_day(value: dt.datetime | str, iata: str | None, language: str) -> str:
    return format_skeleton("MMMEd", local(value, iata), locale=locale_for(language))


def fmt_datetime(value: dt.datetime | str, iata: str | None, language: str) -> str:
    return f"{fmt_day(value, iata, language)} {fmt_time(value, iata, language)}"


def fmt_date(value: dt.date | str, language: str) -> str:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return format_date(value, format="long", locale=locale_for(language))


def name_list(names: list[str], language: str) -> str:
    """"Anna and Piet", "Anna et Piet", "Анна и Пит" (the language's own way of listing)."""
    return format_list([str(n) for n in names], locale=locale_for(language))


def to_decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal("0")


def fmt_money(amount: Any, currency: str, language: str) -> str:
    return format_currency(to_decimal(amount), currency or "EUR", locale=locale_for(language))


def place(iata: str, language: str | None = None) -> str:
    city = airport_city(iata, language)
    return f"{city} ({iata})" if city != iata else iata


def segment_line(seg: dict[str, Any], language: str) -> str:
    """"KL1234 Amsterdam (AMS) Tue 24 Nov 14:05 → London (LHR) 14:25"."""
    dep = fmt_datetime(seg["departure"], seg["origin"], language)
    arr_day = local(seg["arrival"], seg["destination"]).date()
    dep_day = local(seg["departure"], seg["origin"]).date()
    arr = (
        fmt_time(seg["arrival"], seg["destination"], language)
        if arr_day == dep_day
        else fmt_datetime(seg["arrival"], seg["destination"], language)
    )
    return (f"{seg['flight_number']} {place(seg['origin'], language)} {dep} → "
            f"{place(seg['destination'], language)} {arr}")


def itinerary(segments: list[dict[str, Any]], language: str) -> str:
    return "\n".join(f"• {segment_line(s, language)}" for s in segments)


def option_line(index: int, option: dict[str, Any], language: str, text: Text) -> str:
    segs = option["segments"]
    first, last = segs[0], segs[-1]
    flights = " + ".join(s["flight_number"] for s in segs)
    dep = fmt_datetime(first["departure"], first["origin"], language)
    dep_day = local(first["departure"], first["origin"]).date()
    arr_same_day = local(last["arrival"], last["destination"]).date() == dep_day
    arr = (
        fmt_time(last["arrival"], last["destination"], language)
        if arr_same_day
        else fmt_datetime(last["arrival"], last["destination"], language)
    )
    if len(segs) == 1:
        via = text("fmt_direct")
    else:
        via = text("fmt_via").format(via=", ".join(airport_city(s["destination"], language) for s in segs[:-1]))
    return f"{index}. {dep} → {arr} · {flights} ({via})"


def options_list(options: list[dict[str, Any]], language: str, text: Text) -> str:
    return "\n".join(option_line(i, o, language, text) for i, o in enumerate(options, start=1))


def fee_note(option: dict[str, Any], language: str, text: Text) -> str:
    fee = to_decimal(option.get("change_fee", 0)) + to_decimal(option.get("fare_difference", 0))
    if fee <= 0:
        return text("fee_none")
    return text("fee_amount").format(fee=fmt_money(fee, option.get("currency", "EUR"), language))
