"""Chinese and Japanese text: scripts without spaces between words.

* ``CJK_CLASS``: a regex character class of Han ideographs and Japanese kana (and their compatibility forms).
* ``simplified(c)``: a Traditional Chinese character as its Simplified form (one character for one, so offsets stay
  valid); every other character unchanged. Passengers from Hong Kong and Taiwan write Traditional, the training data
  and the rules are Simplified: ``bot.nlu.text.fold`` maps one onto the other.
* ``blank_cjk(text)``: the text with every CJK character replaced by a space (same length), so that the rules for
  codes, numbers and Latin-script names see word boundaries in "我的预订号是X7K2PQ".
"""

from __future__ import annotations

import re
from functools import lru_cache

CJK_CLASS = r"\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
CJK_RE = re.compile(f"[{CJK_CLASS}]")
CJK_LANGUAGES = frozenset({"ja", "zh"})


@lru_cache(maxsize=1)
def _t2s() -> dict[str, str]:
    try:
        from hanziconv.charmap import simplified_charmap, traditional_charmap
    except ImportError:  # pragma: no cover - declared dependency
        return {}
    return {t: s for t, s in zip(traditional_charmap, simplified_charmap, strict=False) if t != s}


def simplified(c: str) -> str:
    return _t2s().get(c, c)


def has_cjk(text: str) -> bool:
    return CJK_RE.search(text) is not None


def blank_cjk(text: str) -> str:
    return CJK_RE.sub(" ", text) if CJK_RE.search(text) else text


_BOUNDARY_RE = re.compile(f"(?<=[{CJK_CLASS}])(?=[^\\W{CJK_CLASS}]|[@#])|(?<=[^\\W{CJK_CLASS}])(?=[{CJK_CLASS}])")


def space_boundaries(text: str) -> str:
    """A space where CJK and Latin letters or digits meet ("预订号X7K2PQ明天" -> "预订号 X7K2PQ 明天"), so that codes,
    numbers and mentions are tokens of their own. Changes the length: not for offsets."""
    return _BOUNDARY_RE.sub(" ", text) if CJK_RE.search(text) else text
