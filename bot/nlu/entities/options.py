"""Options: "the second one", "2", "la deuxième", "option 3", and (with offered options in the context) "the 14:05"
or "KL1235" -> the 1-based index of the option."""

from __future__ import annotations

import re
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
        m = _BARE_NUM_RE.match(folded)
        if m and (expecting or len(words) <= 2):
            n = int(m.group("num"))
            if ok_index(n):
                out.append(Entity("option", n, m.start("num"), m.end("num"), m.group("num")))
    if not out and n_options and _LAST_RE.search(folded) and (expecting or short):
        m = _LAST_RE.search(folded)
        out.append(Entity("option", _index_of(options[-1], n_options - 1), m.start(), m.end(), text[m.start():m.end()]))
    return out
