"""Dates in ten languages -> ISO "YYYY-MM-DD", relative to now in the conversation's time zone.

Our own rules find candidate spans (relative days, next/this + weekday, numeric dates, day + month name) and resolve
them; dateparser is only called on a candidate span our rules could not resolve, never over the whole text.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.nlu.base import Entity
from bot.nlu.text import fold

DEFAULT_TZ = "Europe/Amsterdam"

# --- word tables (folded: lower case, no accents) ------------------------------------------------------------------
MONTHS: dict[str, int] = {}
_MONTH_WORDS = {
    1: "january jan januari janvier januar janner janv enero ene gennaio gen janeiro styczen stycznia sty",
    2: "february feb februari fevrier fev fevr februar febrero febbraio fevereiro fev luty lutego lut",
    3: "march mar maart mrt mars marz maerz marzo marco marzec marca",
    4: "april apr avril abril aprile abr kwiecien kwietnia kwi",
    5: "may mei mai mayo maggio mag maio maj maja",
    6: "june jun juni juin junio giugno giu junho czerwiec czerwca cze",
    7: "july jul juli juillet juil julio luglio lug julho lipiec lipca lip",
    8: "august aug augustus aout agosto sierpien sierpnia augusti",
    9: "september sep sept septembre septiembre setiembre settembre set setembro wrzesien wrzesnia wrz",
    10: "october oct oktober okt octobre octubre ottobre ott outubro pazdziernik pazdziernika paz",
    11: "november nov novembre noviembre novembro listopad listopada lis",
    12: "december dec dez dezember decembre diciembre dic dicembre dezembro grudzien grudnia gru",
}
for _n, _ws in _MONTH_WORDS.items():
    for _w in _ws.split():
        MONTHS.setdefault(_w, _n)
# short forms that are also ordinary words: only accepted with a day number right next to them
_WEAK_MONTHS = {"mar", "may", "jun", "jul", "set", "out", "lis", "sie", "lip", "gen", "mag", "ago", "ott", "dic", "sty",
                "lut", "wrz", "paz", "gru", "kwi", "cze", "giu", "lug", "ene", "abr", "dez", "fev", "juil"}

WEEKDAYS: dict[str, int] = {}
_WEEKDAY_WORDS = {
    0: "monday mon maandag lundi montag lunes lunedi segunda-feira segunda poniedzialek poniedzialku mandag mandagen "
       "mandags mandag poniedzialkiem",
    1: "tuesday tue tues dinsdag mardi dienstag martes martedi terca-feira terca wtorek wtorku wtorkiem tisdag "
       "tirsdag",
    2: "wednesday wed woensdag mercredi mittwoch miercoles mercoledi quarta-feira quarta sroda srode srody onsdag",
    3: "thursday thu thur thurs donderdag jeudi donnerstag jueves giovedi quinta-feira quinta czwartek czwartku "
       "czwartkiem torsdag",
    4: "friday fri vrijdag vendredi freitag viernes venerdi sexta-feira sexta piatek piatku piatkiem fredag",
    5: "saturday sat zaterdag samedi samstag sonnabend sabado sabato sobota sobote soboty lordag",
    6: "sunday sun zondag dimanche sonntag domingo domenica niedziela niedziele niedzieli sondag",
}
for _n, _ws in _WEEKDAY_WORDS.items():
    for _w in _ws.split():
        WEEKDAYS.setdefault(_w, _n)
_WEAK_WEEKDAYS = {"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
                  "segunda", "terca", "quarta", "quinta", "sexta"}  # pt ordinals too ("a segunda")

NEXT_WORDS = (
    "next|coming|volgende|aanstaande|komende|prochain|prochaine|nachsten|nachster|nachstes|nachste|kommenden|"
    "kommender|proximo|proxima|prossimo|prossima|przyszly|przyszla|przyszlym|najblizszy|najblizsza|nastepny|"
    "nastepna|nasta|naste|kommande|kommende|que\\s+vem|que\\s+viene"
)
THIS_WORDS = ("this|deze|ce|cette|diesen|dieser|diesem|este|esta|questo|questa|nesta|neste|ten|ta|denna|denne|detta|"
              "on|op|am|le|el|il|na|no|w|we|pa|til|i")

# relative days: phrase -> day offset (folded); applied with word boundaries, longest first
_RELATIVE = {
    "en": {"today": 0, "tonight": 0, "this evening": 0, "this morning": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1,
           "tomorow": 1, "tommorow": 1, "tommorrow": 1, "2morrow": 1, "2moro": 1, "day after tomorrow": 2,
           "the day after tomorrow": 2, "yesterday": -1, "tomorrow morning": 1, "tomorrow night": 1},
    "nl": {"vandaag": 0, "vanavond": 0, "vannacht": 0, "vanmiddag": 0, "vanochtend": 0, "vanmorgen": 0,
           "morgen": 1, "morgenochtend": 1, "morgenavond": 1, "overmorgen": 2, "gisteren": -1},
    "fr": {"aujourd'hui": 0, "aujourdhui": 0, "auj": 0, "ce soir": 0, "demain": 1, "apres-demain": 2,
           "apres demain": 2, "hier": -1},
    "de": {"heute": 0, "heute abend": 0, "heute morgen": 0, "heute nacht": 0, "morgen": 1, "morgen fruh": 1,
           "ubermorgen": 2, "uebermorgen": 2, "gestern": -1},
    "es": {"hoy": 0, "esta noche": 0, "esta manana": 0, "manana": 1, "pasado manana": 2, "ayer": -1},
    "it": {"oggi": 0, "stasera": 0, "stamattina": 0, "domani": 1, "dopodomani": 2, "ieri": -1},
    "pt": {"hoje": 0, "esta noite": 0, "hoje a noite": 0, "amanha": 1, "depois de amanha": 2, "ontem": -1},
    "pl": {"dzis": 0, "dzisiaj": 0, "dzis wieczorem": 0, "jutro": 1, "pojutrze": 2, "wczoraj": -1},
    "sv": {"idag": 0, "i dag": 0, "ikvall": 0, "i kvall": 0, "imorgon": 1, "i morgon": 1, "imorn": 1, "i morn": 1,
           "overmorgon": 2, "i overmorgon": 2, "igar": -1, "i gar": -1},
    "da": {"idag": 0, "i dag": 0, "i aften": 0, "i morgen": 1, "imorgen": 1, "i overmorgen": 2, "overmorgen": 2,
           "i gar": -1, "igar": -1},
}
# words only counted in their own language (they mean something else elsewhere)
_LANG_ONLY = {"hier": "fr", "auj": "fr", "ce soir": "fr", "i dag": None, "morgen": None}

_ALL_RELATIVE: dict[str, int] = {}
for _lang, _table in _RELATIVE.items():
    for _k, _v in _table.items():
        _ALL_RELATIVE.setdefault(_k, _v)

_REL_ALT = "|".join(sorted((re.escape(k) for k in _ALL_RELATIVE), key=len, reverse=True))
_RELATIVE_RE = re.compile(r"(?<![\w'])(?:" + _REL_ALT + r")(?=$|[^\w']|'s\b)")
# "morgen"/"manana" as "morning": goede morgen, guten morgen, heute morgen (handled), por la manana, de manana
_MORNING_BEFORE_RE = re.compile(
    r"\b(?:goede|guten|goeie|god|gode|schone|schonen|la|por|en|this|op\s+de|jeden)\s*$"
)

_WD_ALT = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_WEEKDAY_RE = re.compile(
    r"(?<![\w])(?:(?P<next>" + NEXT_WORDS + r")\s+(?:week\s+|woche\s+|semaine\s+)?)?"
    r"(?:(?P<this>" + THIS_WORDS + r")\s+)?"
    r"(?P<wd>" + _WD_ALT + r")(?:-feira|\s+feira|abend|nachmittag|vormittag|mittag|morgen|nacht|avond|middag|ochtend|"
    r"nacht|morgon|kvall|eftermiddag|formiddag|aften)?"  # "Samstagabend", "zaterdagavond"
    r"(?:\s+(?P<after>" + NEXT_WORDS + r"|que\s+vem|que\s+viene|prochain|prochaine|prossimo|prossima|proximo|proxima|"
    r"next\s+week|volgende\s+week|nachste\s+woche|naechste\s+woche|la\s+semaine\s+prochaine|"
    r"de\s+la\s+semana\s+que\s+viene|della\s+prossima\s+settimana|nasta\s+vecka|naste\s+uge|w\s+przyszlym\s+tygodniu))?"
    r"(?![\w])"
)
# named days that are no upcoming weekday: "black friday", "good friday", "cyber monday"
_NAMED_DAY_BEFORE_RE = re.compile(r"\b(?:black|good|holy|cyber|blue|ash|easter|maundy|super|giving)\s+$")
# "Morgen!" / "Morgen zusammen" alone: the German/Dutch greeting (good morning), not "tomorrow"
_MORNING_GREETING_RE = re.compile(
    r"^\W*morgen(?:\s*!+|\s+(?:zusammen|allerseits|alle|allemaal|leute|team|ihr|iedereen)[\s!.,]*)\s*$"
)
_PT_DAY_BEFORE_RE = re.compile(r"\b(?:pra|para|ate|desde|de|antes\s+de|depois\s+de|a\s+partir\s+de)\s+$")
_NEXT_WEEK_RE = re.compile(
    r"(?:volgende|komende|next|nachste|nachsten|naechste)\s+(?:week|woche)\s*$"
)

_NEXT_WEEK_ONLY_RE = re.compile(
    r"(?<![\w])(?:next\s+week|volgende\s+week|komende\s+week|la\s+semaine\s+prochaine|nachste\s+woche|"
    r"naechste\s+woche|kommende\s+woche|la\s+(?:proxima\s+semana|semana\s+que\s+viene)|"
    r"(?:la\s+)?(?:settimana\s+prossima|prossima\s+settimana)|(?:a|na)\s+proxima\s+semana|"
    r"(?:w\s+)?przyszlym\s+tygodniu|(?:w\s+)?przyszly\s+tydzien|nasta\s+vecka|naste\s+uge)(?![\w])"
)
_MONTH_ALT = "|".join(sorted((re.escape(k) for k in MONTHS), key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th|er|re|eme|e|o|a|º|ª|\.)?"
# 3 december / 3. Dezember / le 3 décembre / 3 de diciembre / 1er mars / 3rd of December [2026]
_DAY_MONTH_RE = re.compile(
    r"(?<![\w/.])(?P<day>[0-3]?\d)" + _ORD + r"\s*(?:of\s+|de\s+|di\s+)?(?P<month>" + _MONTH_ALT + r")\.?"
    r"(?:\s*,?\s*(?:de\s+)?(?P<year>20\d\d))?(?![\w])"
)
# December 3 / Dec 3rd, 2026 / december the 3rd
_MONTH_DAY_RE = re.compile(
    r"(?<![\w])(?P<month>" + _MONTH_ALT + r")\.?\s+(?:the\s+)?(?P<day>[0-3]?\d)" + _ORD +
    r"(?:\s*,?\s*(?P<year>20\d\d))?(?![\w:])"
)
# 23/11, 23-11-2026, 23.11., 2026-11-23
_NUMERIC_RE = re.compile(
    r"(?<![\w/.:,-])(?:(?P<y1>20\d\d)-(?P<m1>[01]?\d)-(?P<d1>[0-3]?\d)|"
    r"(?P<d>[0-3]?\d)(?P<sep>[/.-])(?P<m>[0-3]?\d)(?:(?P=sep)(?P<y>(?:20)?\d\d))?\.?)(?![\w/:-]|[.,]\d)"
)
# the "the 3rd" / "le 3" / "am 3." / "on the 23rd" form: day of the current or next month
_DAY_ONLY_RE = re.compile(
    r"(?<![\w])(?:on\s+the|the|le|am|den|el\s+dia|el|il|o\s+dia|dia|op\s+de|de)\s+(?P<day>[0-3]?\d)"
    r"(?P<ord>st|nd|rd|th|er|e|\.|º)?(?![\w:.,]\d|\w)(?!\s+(?:one|option|choice|alternative)\b)"
)


@lru_cache(maxsize=16)
def _tz(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except Exception:
        return ZoneInfo(DEFAULT_TZ)


def today_from_context(context: dict | None) -> dt.date:
    tzname = (context or {}).get("timezone") or DEFAULT_TZ
    tz = _tz(str(tzname))
    now = (context or {}).get("now")
    if isinstance(now, str):
        try:
            now = dt.datetime.fromisoformat(now)
        except ValueError:
            now = None
    if isinstance(now, dt.datetime):
        if now.tzinfo is None:
            now = now.replace(tzinfo=tz)
        return now.astimezone(tz).date()
    if isinstance(now, dt.date):
        return now
    return dt.datetime.now(tz).date()


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _future(today: dt.date, month: int, day: int, year: int | None) -> dt.date | None:
    if year is not None:
        return _safe_date(year, month, day)
    d = _safe_date(today.year, month, day)
    if d is None:
        return _safe_date(today.year + 1, month, day)
    # a date more than two weeks in the past means next year (people talk about upcoming flights)
    if d < today - dt.timedelta(days=14):
        return _safe_date(today.year + 1, month, day)
    return d


def _dateparser(span: str, language: str, today: dt.date) -> dt.date | None:
    try:
        import dateparser
    except ImportError:  # pragma: no cover
        return None
    base = dt.datetime(today.year, today.month, today.day, 12, 0)
    try:
        res = dateparser.parse(
            span,
            languages=[language] if language else None,
            settings={"PREFER_DATES_FROM": "future", "RELATIVE_BASE": base, "DATE_ORDER": "DMY",
                      "STRICT_PARSING": False, "REQUIRE_PARTS": ["day", "month"]},
        )
    except Exception:
        return None
    return res.date() if res else None


# a day of the month right after a weekday: "friday 18", "lunes 21", "Freitag, 18.", "friday the 18th"
_WEEKDAY_DAY_RE = re.compile(r"\s*,?\s*(?:(?:the|den|der|le|el|il|de|o|a)\s+)?(?P<day>[0-3]?\d)"
                             r"(?:st|nd|rd|th|e|er|o|a|º|ª)?\.?(?![\w:]|[.,]\d)")


def _weekday_with_day(today: dt.date, weekday: int, day: int) -> dt.date | None:
    """The date with this day of the month on ``weekday``, this month or next; else None (the number is no day:
    "friday 2 tickets")."""
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(2):
        d = _safe_date(year, month, day)
        if d is not None and d >= today and d.weekday() == weekday:
            return d
        month = month % 12 + 1
        year += 1 if month == 1 else 0
    return None


def find_dates(text: str, language: str = "en", context: dict | None = None) -> list[Entity]:
    today = today_from_context(context)
    folded = fold(text)
    out: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, value: dt.date | None) -> None:
        if value is None:
            return
        if any(start < b and a < end for a, b in taken):
            return
        taken.append((start, end))
        out.append(Entity("date", value.isoformat(), start, end, text[start:end]))

    for m in _NUMERIC_RE.finditer(folded):
        if m.group("y1"):
            add(m.start(), m.end(), _safe_date(int(m.group("y1")), int(m.group("m1")), int(m.group("d1"))))
            continue
        d, mo = int(m.group("d")), int(m.group("m"))
        y = m.group("y")
        if m.group(0) in ("24/7", "24-7") or re.match(r"\s+of\b", folded[m.end():m.end() + 4]):
            continue  # "24/7 service", "1/2 of us"
        if m.group("sep") == "." and not y and not m.group(0).endswith(".") and mo > 12:
            continue
        if mo > 12 and d <= 12:  # 11/23: month first
            d, mo = mo, d
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            continue
        if m.group("sep") == "." and y is None and not m.group(0).endswith("."):
            # "14.05" is more often a time or a price than a date; need "14.05." or a month-looking context
            if mo > 12 or re.match(r"\s*(?:uhr|h|u|pm|am|eur|euro)", folded[m.end():m.end() + 5]):
                continue
        year = None
        if y:
            year = int(y) + (2000 if len(y) == 2 else 0)
        add(m.start(), m.end(), _future(today, mo, d, year))
    for rx in (_DAY_MONTH_RE, _MONTH_DAY_RE):
        for m in rx.finditer(folded):
            month_word = m.group("month")
            month = MONTHS.get(month_word)
            d = int(m.group("day"))
            year = int(m.group("year")) if m.group("year") else None
            value = _future(today, month, d, year) if month and 1 <= d <= 31 else None
            if value is None:
                value = _dateparser(text[m.start():m.end()], language, today)
            add(m.start(), m.end(), value)
    for m in _RELATIVE_RE.finditer(folded):
        phrase = m.group(0)
        only = _LANG_ONLY.get(phrase)
        if only and language != only:
            continue
        if phrase in ("morgen", "manana", "i morgen"):
            before = folded[max(0, m.start() - 12):m.start()]
            if _MORNING_BEFORE_RE.search(before):
                continue
            if phrase == "morgen" and language not in ("nl", "de", "da", "sv"):
                continue
            if phrase == "morgen" and (context or {}).get("expecting") != "date" and _MORNING_GREETING_RE.match(folded):
                continue
        add(m.start(), m.end(), today + dt.timedelta(days=_ALL_RELATIVE[phrase]))
    for m in _WEEKDAY_RE.finditer(folded):
        wd_word = m.group("wd")
        named = _NAMED_DAY_BEFORE_RE.search(folded[max(0, m.start() - 10):m.start()])
        if named and not (m.group("next") or m.group("this")):
            continue  # "black friday", "good friday": a named day, not the coming weekday
        if wd_word in _WEAK_WEEKDAYS:
            has_cue = m.group("next") or m.group("after") or m.group("this") or "feira" in m.group(0)
            if not has_cue and language == "pt" and _PT_DAY_BEFORE_RE.search(folded[max(0, m.start() - 14):m.start()]):
                has_cue = True  # "pra segunda", "até quinta", "de sexta": the day, not the ordinal
            if not has_cue:
                continue
            pt_day = wd_word in ("segunda", "terca", "quarta", "quinta", "sexta")
            if pt_day and (m.group("this") or "") in ("a", "o", "la", "el", "il", "le", "the", "") and not (
                m.group("next") or m.group("after") or "feira" in m.group(0)
                or (language == "pt" and _PT_DAY_BEFORE_RE.search(folded[max(0, m.start() - 14):m.start()]))
            ):
                continue
        wd = WEEKDAYS[wd_word]
        next_cue = bool(m.group("next") or m.group("after"))
        after = m.group("after") or ""
        week_cue = (
            "week" in (m.group(0) or "") or "woche" in m.group(0) or "semaine" in m.group(0)
            or "semana" in after or "settimana" in after or "vecka" in after or "uge" in after or "tygodniu" in after
        )
        before = folded[max(0, m.start() - 20):m.start()]
        if _NEXT_WEEK_RE.search(before):
            week_cue = True
        delta = (wd - today.weekday()) % 7
        if week_cue:
            # "volgende week vrijdag": that weekday in next calendar week
            monday_next = today + dt.timedelta(days=7 - today.weekday())
            value = monday_next + dt.timedelta(days=wd)
        elif next_cue or not m.group("this"):
            # "next friday" and a bare "friday" said on a Friday mean next week's; "this friday" means today
            value = today + dt.timedelta(days=delta or 7)
        else:
            value = today + dt.timedelta(days=delta)
        end = m.end()
        num = _WEEKDAY_DAY_RE.match(folded, m.end())
        if num and not (next_cue or week_cue):
            # "friday 18", "el lunes 21", "venerdi 18 sera": the day of the month says which Friday
            dated = _weekday_with_day(today, wd, int(num.group("day")))
            if dated is not None:
                value, end = dated, num.end()
        add(m.start(), end, value)
    for m in _NEXT_WEEK_ONLY_RE.finditer(folded):
        # "next week" (no weekday): the Monday of next week
        add(m.start(), m.end(), today + dt.timedelta(days=7 - today.weekday()))
    for m in _DAY_ONLY_RE.finditer(folded):
        if not m.group("ord") and (m.group(0).split()[0] in ("de", "el", "the", "il", "op")
                                   or (context or {}).get("expecting") == "option"):
            continue  # "the 3" alone is too weak (and when options are on offer, it is an option)
        d = int(m.group("day"))
        if not 1 <= d <= 31:
            continue
        value = _safe_date(today.year, today.month, d)
        if value is None or value < today:
            nm = today.month % 12 + 1
            value = _safe_date(today.year + (1 if nm == 1 else 0), nm, d)
        s = m.start("day")
        add(s, m.end(), value)
    out.sort(key=lambda e: e.start)
    return out
