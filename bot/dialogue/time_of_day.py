"""The part of the day a passenger wants to fly: "saturday evening", "after 6pm", "morgen nachmittag", "le matin".

``time_window(text)`` gives local departure hours ``(from, to)`` or None. Flight options on the wished day are then
listed with the flights in that window first (bot.dialogue.actions.search_alternatives).
"""

from __future__ import annotations

import re

from bot.nlu.text import fold

MORNING, AFTERNOON, EVENING = (5, 12), (12, 18), (17, 24)

# folded, per part of the day; "manana" and "morgen" alone mean "tomorrow", so only with a preposition
_PARTS: dict[tuple[int, int], list[str]] = {
    MORNING: [r"(?:tag|dag)(?:morgen|vormittag|ochtend|formiddag)\b", r"\bmorgenochtend\b",
              r"\bmornings?\b", r"\bam morgen\b", r"\bmorgens\b", r"\bvormittags?\b", r"\bochtends?\b",
              r"\b's ochtends\b", r"\bmatin(?:ee)?\b", r"\b(?:por|de|en) la manana\b", r"\bmattin[ao]\b",
              r"\bde manha\b", r"\bpela manha\b", r"\brano\b", r"\bprzed poludniem\b", r"\bpa morgonen\b",
              r"\bformiddag(?:en)?\b", r"\bom morgenen\b", r"\bутром\b", r"\bсутра\b", r"\bsabah\w*\b", "午前", "朝",
              "上午", "早上"],
    AFTERNOON: [r"(?:tag|dag)(?:nachmittag|middag|eftermiddag)\b",
                r"\bafternoon\b", r"\bnachmittags?\b", r"\bmiddags?\b", r"\b's middags\b", r"\bapres-?midi\b",
                r"\b(?:por|de|en) la tarde\b", r"\bpomeriggio\b", r"\b(?:a|de|pela) tarde\b", r"\bpo poludniu\b",
                r"\beftermiddag(?:en)?\b", r"\bднем\b", r"\bпосле обеда\b", r"\bogleden sonra\b", "午後", "下午"],
    EVENING: [r"(?:tag|dag)(?:abend|avond|aften|skvall)\b", r"\bmorgenavond\b",
              r"\bevenings?\b", r"\btonight\b", r"\bavonds?\b", r"\b's avonds\b", r"\babends?\b", r"\bsoir(?:ee)?\b",
              r"\b(?:por|de|en) la noche\b",
              r"\b(?:di|la) sera\b", r"\bstasera\b", r"\bserata\b", r"\b(?:a|de|pela) noite\b", r"\bwieczor\w*\b",
              r"\bkvall(?:en)?\b", r"\baften(?:en)?\b", r"\bвечер\w*\b", r"\bakşam\w*\b", r"\baksam\w*\b", "夕方", "夜",
              "晚上"],
}
_PART_RES = [(window, re.compile("|".join(ps))) for window, ps in _PARTS.items()]
_HOUR = r"(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|h|uur|uhr|heures?)?"
_AFTER_RE = re.compile(r"\b(?:after|from|na|nach|ab|apres|despues de las|dopo le|depois das|po|efter|от|после)\s+"
                       + _HOUR + r"(?!\d)")
_BEFORE_RE = re.compile(r"\b(?:before|by|voor|vor|avant|antes de las|prima delle|antes das|przed|fore|innan|до)\s+"
                        + _HOUR + r"(?!\d)")


def _hour(h: str, suffix: str | None) -> int | None:
    hour = int(h)
    if suffix == "pm" and hour < 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    return hour if 0 <= hour <= 24 else None


def time_window(text: str) -> tuple[int, int] | None:
    """Local departure hours (from, to) the message asks for, or None."""
    folded = fold(text[:500])
    if m := _AFTER_RE.search(folded):
        hour = _hour(m.group(1), m.group(3))
        if hour is not None:
            return hour, 24
    if m := _BEFORE_RE.search(folded):
        hour = _hour(m.group(1), m.group(3))
        if hour is not None and hour > 0:
            return 0, hour
    for window, rx in _PART_RES:
        if rx.search(folded):
            return window
    return None
