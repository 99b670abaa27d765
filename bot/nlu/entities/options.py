"""Options: "the second one", "2", "la deuxième", "option 3", and (with offered options in the context) "the 14:05"
or "KL1235" -> the 1-based index of the option."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

from bot.nlu.base import Entity
from bot.nlu.text import TIME_RE, fold

ORDINALS: dict[str, int] = {}
_ORD_WORDS = {
    1: "first 1st eerste 1e 1ste premier premiere 1er 1ere erste ersten erster erstes primero primera primer 1o 1a "
       "1º 1ª primo prima primeiro primeira pierwszy pierwsza pierwsze pierwsza pierwszej pierwszego forsta "
       "forste 1:a",
    2: "second 2nd tweede 2e 2de deuxieme seconde second 2eme zweite zweiten zweiter zweites segundo segunda 2o 2a "
       "2º 2ª secondo seconda drugi druga drugie druga drugiej drugiego andra 2:a anden andet",
    3: "third 3rd derde 3e troisieme 3eme dritte dritten dritter drittes tercero tercera tercer 3o 3a 3º 3ª terzo "
       "terza terceiro terceira trzeci trzecia trzecie trzeciej trzeciego tredje 3:e",
    4: "fourth 4th vierde 4e quatrieme 4eme vierte vierten vierter cuarto cuarta 4o 4a quarto quarta czwarty "
       "czwarta czwarte czwartej fjarde fjerde 4:e",
    5: "fifth 5th vijfde 5e cinquieme 5eme funfte funften quinto quinta piaty piata piate femte 5:e",
}
for _n, _ws in _ORD_WORDS.items():
    for _w in _ws.split():
        ORDINALS.setdefault(_w, _n)
LAST_WORDS = "last laatste dernier derniere letzte letzten ultimo ultima ostatni ostatnia sista sidste"
_ORDINAL_ALT = "|".join(sorted((re.escape(k) for k in ORDINALS), key=len, reverse=True))
# ordinals that are ordinary words too need an article or "one/option" around them
_WEAK = {"second", "prima", "primo", "andra", "anden", "andet", "segunda", "quarta", "quinta", "quarto", "quinto",
         "premier", "first", "erste", "ersten", "forste", "1e", "2e", "3e", "4e", "5e", "1a", "2a", "3a", "4a", "5a",
         "1o", "2o", "3o", "4o", "5o"}
ARTICLES = r"the|de|het|la|le|l'|die|der|das|den|el|lo|il|a|o|ta|ten|det|to|this|that|die|deze|dat"
AFTER = (r"one|option|flight|choice|optie|vlucht|keuze|choix|vol|proposition|option|variante|flug|moglichkeit|"
         r"opcion|vuelo|opzione|volo|opcao|voo|opcja|lot|alternativ|alternativet|flyg|flyget|mulighed|muligheden|fly|"
         r"flyet|please|pls|svp|bitte|por\s+favor|per\s+favore|prosze|tack|tak|graag|alsjeblieft|s'il\s+vous\s+plait")
CUES = (r"option|optie|opties|keuze|nummer|number|nr|no|num|choix|numero|variante|moglichkeit|opcion|opzione|opcao|"
        r"opcja|alternativ|alternativet|mulighed|#")
_FLIGHT_WORDS = {"flight", "vlucht", "vol", "flug", "vuelo", "volo", "voo", "lot", "flyg", "flyget", "fly", "flyet"}
_ORD_RE = re.compile(
    r"(?<![\w])(?:(?P<art>" + ARTICLES + r")\s+)?(?P<ord>" + _ORDINAL_ALT + r")"
    r"(?:\s+(?P<after>" + AFTER + r"))?(?![\w])"
)
_CUE_NUM_RE = re.compile(r"(?<![\w])(?:" + CUES + r")\.?\s*(?P<num>[1-9])(?![\w:.,]\d|\w)")
_LAST_RE = re.compile(r"(?<![\w])(?:the\s+|de\s+|la\s+|le\s+|die\s+|el\s+|il\s+|a\s+|o\s+|den\s+|det\s+)?(?:"
                      + "|".join(LAST_WORDS.split()) + r")(?:\s+(?:" + AFTER + r"))?(?![\w])")
MIDDLE_WORDS = ("middle middelste mittlere mittleren mittleres milieu medio mezzo meio srodkowy srodkowa srodkowe "
                "mellersta mellemste midterste")
_MIDDLE_RE = re.compile(r"(?<![\w])(?:(?:" + ARTICLES + r"|du|del|di|do|in the|in het)\s+)?(?:"
                        + "|".join(MIDDLE_WORDS.split()) + r")(?:\s+(?:" + AFTER + r"))?(?![\w])(?!\s+of\b)")
_BARE_NUM_RE = re.compile(r"^\W*(?:(?:" + ARTICLES + r"|nr|no|number|nummer|numero|numer|#)\.?\s*)?(?P<num>[1-9])"
                          r"\W*(?:(?:" + AFTER + r")\W*)*$")
# a word right after the ordinal that it qualifies ("second bag"), other than please/thanks and the like
_NOUN_AFTER_RE = re.compile(r"\s+(?!(?:" + AFTER + r"|and|or|en|of|et|ou|und|oder|y|e|o|i|och|og|lub)(?!\w))"
                            r"[^\W\d]{2,}")
_FLIGHT_IN_TEXT_RE = re.compile(r"(?<![\w])([A-Za-z]{2}|[A-Za-z]\d|\d[A-Za-z])\s?(\d{1,4})(?![\w])")


def _options(context: dict[str, Any] | None) -> list[dict[str, Any]]:
    opts = (context or {}).get("options") or []
    return [o for o in opts if isinstance(o, dict)]


def _index_of(option: dict[str, Any], position: int) -> int:
    idx = option.get("index")
    return int(idx) if isinstance(idx, int | float | str) and str(idx).isdigit() else position + 1


def find_options(text: str, language: str = "en", context: dict[str, Any] | None = None) -> list[Entity]:
    ctx = context or {}
    expecting = ctx.get("expecting") == "option"
    options = _options(ctx)
    n_options = len(options)
    folded = fold(text)
    words = folded.split()
    short = len(words) <= 4
    out: list[Entity] = []

    def ok_index(n: int) -> bool:
        return n >= 1 and (n_options == 0 or n <= n_options)

    # times and flight numbers resolved against what was offered
    if options:
        # a description that picks one option: "friday the 7:55 one", "the later one", "the direct one"
        described = describe_option(text, language, options)
        if described is not None and expecting:
            return [Entity("option", described, 0, len(text), text)]
        for m in TIME_RE.finditer(text):
            hhmm = f"{int(m.group(1)):02d}:{m.group(2)}"
            for pos, o in enumerate(options):
                dep = str(o.get("departure_local") or o.get("departure") or "")
                if hhmm in dep[-8:] or dep.endswith(hhmm) or dep[11:16] == hhmm:
                    out.append(Entity("option", _index_of(o, pos), m.start(), m.end(), m.group(0)))
                    break
        for m in _FLIGHT_IN_TEXT_RE.finditer(text):
            fn = (m.group(1) + m.group(2)).upper()
            for pos, o in enumerate(options):
                if fn in [str(f).upper().replace(" ", "") for f in (o.get("flight_numbers") or [])]:
                    out.append(Entity("option", _index_of(o, pos), m.start(), m.end(), m.group(0)))
                    break
        if not out:
            # choices offered by value ("refund" / "voucher"): the text names one of them
            for pos, o in enumerate(options):
                for key in ("value", "label", "title"):
                    v = o.get(key)
                    if isinstance(v, str) and len(v) >= 3:
                        fv = fold(v).replace("_", " ")
                        mm = re.search(r"(?<!\w)" + re.escape(fv) + r"(?!\w)", folded)
                        if mm:
                            out.append(Entity("option", _index_of(o, pos), mm.start(), mm.end(),
                                              text[mm.start():mm.end()]))
                            break
                if out:
                    break
        if out:
            return out
    for m in _ORD_RE.finditer(folded):
        word = m.group("ord")
        n = ORDINALS[word]
        strong = word not in _WEAK or m.group("art") or m.group("after")
        if not strong and not (expecting and short):
            continue
        after = m.group("after") or ""
        if not expecting and not short and (not after or after in _FLIGHT_WORDS):
            continue  # "the first flight tomorrow" in a longer request is a wish, not a choice
        if not expecting and not n_options and (
            after in _FLIGHT_WORDS or (not after and _NOUN_AFTER_RE.match(folded, m.end()))
        ):
            continue  # nothing on offer: "the first flight", "il primo volo", "a second bag" describe, not choose
        if ok_index(n):
            out.append(Entity("option", n, m.start("ord") if not m.group("art") else m.start(), m.end(),
                              text[m.start():m.end()]))
    for m in _CUE_NUM_RE.finditer(folded):
        n = int(m.group("num"))
        if ok_index(n) and not any(e.start <= m.start() < e.end for e in out):
            out.append(Entity("option", n, m.start(), m.end(), text[m.start():m.end()]))
    if not out:
        bare = _BARE_NUM_RE.match(folded)
        if bare and (expecting or len(words) <= 2):
            n = int(bare.group("num"))
            if ok_index(n):
                out.append(Entity("option", n, bare.start("num"), bare.end("num"), bare.group("num")))
    last = _LAST_RE.search(folded)
    if not out and n_options and last and (expecting or short):
        out.append(Entity("option", _index_of(options[-1], n_options - 1), last.start(), last.end(),
                          text[last.start():last.end()]))
    middle = _MIDDLE_RE.search(folded)
    if not out and n_options >= 3 and n_options % 2 == 1 and middle and (expecting or short):
        i = n_options // 2  # "de middelste" of three is the second
        out.append(Entity("option", _index_of(options[i], i), middle.start(), middle.end(),
                          text[middle.start():middle.end()]))
    return out


# ---- options chosen by description: "die van vrijdag middag", "the later one", "the 3pm", "the direct one",
# "den um 15 Uhr", "friday the 7:55 one" -----------------------------------------------------------------------------

# parts of the day (folded), per language; hours [from, to)
PARTS_OF_DAY: dict[str, dict[str, tuple[int, int]]] = {
    "en": {"morning": (5, 12), "afternoon": (12, 18), "evening": (18, 24), "night": (20, 24), "noon": (11, 14)},
    "nl": {"ochtend": (5, 12), "morgens": (5, 12), "voormiddag": (5, 12), "middag": (12, 18), "namiddag": (12, 18),
           "avond": (18, 24), "nacht": (20, 24), "smiddags": (12, 18), "savonds": (18, 24)},
    "fr": {"matin": (5, 12), "matinee": (5, 12), "apres-midi": (12, 18), "apres midi": (12, 18), "soir": (18, 24),
           "soiree": (18, 24), "midi": (11, 14)},
    "de": {"vormittag": (5, 12), "vormittags": (5, 12), "fruh": (5, 10), "morgens": (5, 12), "mittag": (11, 14),
           "nachmittag": (12, 18), "nachmittags": (12, 18), "abend": (18, 24), "abends": (18, 24)},
    "es": {"por la manana": (5, 12), "de la manana": (5, 12), "mediodia": (11, 14), "tarde": (12, 20),
           "noche": (19, 24)},
    "it": {"mattina": (5, 12), "mattino": (5, 12), "pomeriggio": (12, 18), "sera": (18, 24), "serata": (18, 24)},
    "pt": {"manha": (5, 12), "tarde": (12, 19), "noite": (19, 24)},
    "pl": {"rano": (5, 12), "rana": (5, 12), "przedpoludnie": (5, 12), "poludnie": (11, 14), "popoludnie": (12, 18),
           "popoludniu": (12, 18), "wieczor": (18, 24), "wieczorem": (18, 24)},
    "sv": {"morgon": (5, 12), "morgonen": (5, 12), "formiddag": (5, 12), "eftermiddag": (12, 18),
           "eftermiddagen": (12, 18), "kvall": (18, 24), "kvallen": (18, 24)},
    "da": {"morgen": (5, 12), "morgenen": (5, 12), "formiddag": (5, 12), "eftermiddag": (12, 18),
           "eftermiddagen": (12, 18), "aften": (18, 24), "aftenen": (18, 24)},
}
_LATER_RE = re.compile(r"(?<!\w)(?:later|latest|latere|plus\s+tard|spater\w*|mas\s+tarde|posterior|piu\s+tardi|"
                       r"mais\s+tarde|pozniej\w*|senare|senere)(?!\w)")
_EARLIER_RE = re.compile(r"(?<!\w)(?:earlier|earliest|eerder\w*|vroeger\w*|vroegste|plus\s+tot|fruher\w*|"
                         r"mas\s+temprano|piu\s+presto|mais\s+cedo|wczesniej\w*|tidigare|tidligere)(?!\w)")
_DIRECT_RE = re.compile(r"(?<!\w)(?:direct|direkt|directe|direkte|direkten|directo|directa|diretto|diretta|direto|"
                        r"direta|non-?stop|nonstop|rechtstreeks\w*|zonder\s+overstap|sans\s+escale|ohne\s+umsteigen|"
                        r"sin\s+escalas?|senza\s+scal[oi]|sem\s+escalas?|bezposredni\w*|bez\s+przesiadki|"
                        r"direktflyg\w*|uden\s+mellemlanding|utan\s+byte)(?!\w)")
_AMPM_RE = re.compile(r"(?<![\d:.])(?P<h>1[0-2]|0?[1-9])(?:[:.](?P<m>[0-5]\d))?\s*(?P<ap>a\.?m\.?|p\.?m\.?)(?!\w)")
_HHMM_RE = re.compile(r"(?<![\d:.])(?P<h>[01]?\d|2[0-3])\s?(?:[:.]|h|u)\s?(?P<m>[0-5]\d)(?!\d)")
_HOUR_UNIT_RE = re.compile(r"(?<![\d:.])(?P<h>[01]?\d|2[0-3])\s*(?:h|uhr|uur|heures?|hrs?|horas?|ore|godz\.?|"
                           r"godzinie|o'?clock)(?!\w)")
_AT_HOUR_RE = re.compile(r"(?<!\w)(?:um|om|at|as|alle|ore|kl\.?|klockan|klokken|rond|around|vers|gegen|hacia|"
                         r"verso|a\s+las|o\s+godzinie)\s+(?P<h>[01]?\d|2[0-3])(?![\d:.,]|\s*(?:st|nd|rd|th|e|"
                         r"de|er|o|a)\b)")


@lru_cache(maxsize=1)
def weekday_names() -> dict[str, int]:
    """Folded weekday names in every language babel knows of ours -> Python weekday (0 = Monday)."""
    from babel.dates import get_day_names

    out: dict[str, int] = {}
    for lang in ("en", "nl", "fr", "de", "es", "it", "pt", "pl", "sv", "da", "ru", "tr"):
        try:
            for width in ("wide", "abbreviated"):
                for day, name in get_day_names(width, locale=lang).items():
                    f = fold(name).rstrip(".")
                    if width == "wide" or (lang == "en" and len(f) == 3):
                        out.setdefault(f, day)
        except Exception:  # a locale babel does not have
            continue
    out.update({"terca": 1, "sexta": 4, "sabado": 5, "domingo": 6, "zat": 5, "zon": 6})
    return out


def _wanted_hour(folded: str) -> tuple[int, int | None] | None:
    m = _AMPM_RE.search(folded)
    if m:
        h = int(m.group("h")) % 12 + (12 if m.group("ap").startswith("p") else 0)
        return h, int(m.group("m")) if m.group("m") else None
    m = _HHMM_RE.search(folded)
    if m:
        return int(m.group("h")), int(m.group("m"))
    m = _HOUR_UNIT_RE.search(folded) or _AT_HOUR_RE.search(folded)
    if m:
        return int(m.group("h")), None
    return None


def _hour_minute(o: dict[str, Any]) -> tuple[int, int]:
    dep = str(o.get("departure_local") or "")
    m = re.search(r"T(\d{2}):(\d{2})", dep) or re.search(r"(\d{1,2}):(\d{2})", dep)
    return (int(m.group(1)), int(m.group(2))) if m else (-1, -1)


def _local_day(o: dict[str, Any]) -> str:
    day = str(o.get("date_local") or "")
    return day or str(o.get("departure_local") or "")[:10]


def describe_option(text: str, language: str, options: list[dict[str, Any]],
                    dates: list[str] | tuple[str, ...] = ()) -> int | None:
    """The offered option a description picks, or None. ``options``: ``options_context`` dicts (index,
    departure_local "HH:MM", date_local ISO date, stops); ``dates``: ISO dates the message names."""
    opts = [o for o in options if isinstance(o, dict) and o.get("departure_local")]
    if not opts:
        return None
    folded = fold(text)
    cands = sorted(opts, key=lambda o: (_local_day(o), _hour_minute(o)))
    described = False
    days = {d for w, d in weekday_names().items() if re.search(r"(?<!\w)" + re.escape(w) + r"(?!\w)", folded)}
    wanted_dates = {str(d) for d in dates}
    if days or wanted_dates:
        def on_day(o: dict[str, Any]) -> bool:
            try:
                day = dt.date.fromisoformat(_local_day(o))
            except ValueError:
                return False
            return day.weekday() in days or day.isoformat() in wanted_dates

        cands = [o for o in cands if on_day(o)]
        described = True
    hour = _wanted_hour(folded)
    if hour is not None:
        h, m = hour

        def at(o: dict[str, Any]) -> bool:
            oh, om = _hour_minute(o)
            return oh == h and (m is None or om == m)

        cands = [o for o in cands if at(o)]
        described = True
    parts = PARTS_OF_DAY.get(language, {})
    for word, (lo, hi) in parts.items():
        if re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", folded):
            cands = [o for o in cands if lo <= _hour_minute(o)[0] < hi]
            described = True
            break
    if _DIRECT_RE.search(folded):
        cands = [o for o in cands if not o.get("stops")]
        described = True
    later, earlier = bool(_LATER_RE.search(folded)), bool(_EARLIER_RE.search(folded))
    if not cands or not (described or later or earlier):
        return None
    if later != earlier:
        chosen = cands[-1] if later else cands[0]
    elif len(cands) == 1:
        chosen = cands[0]
    else:
        return None
    return _index_of(chosen, opts.index(chosen))
