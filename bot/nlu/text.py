"""Text helpers shared by the NLU parts: length-preserving folding, cleaning, the classifier's normalisation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.nlu.cjk import simplified, space_boundaries

MAX_CHARS = 10_000

# characters NFKD does not decompose into a plain base letter
_SPECIAL = {
    "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "æ": "a", "Æ": "a", "ß": "s", "đ": "d", "Đ": "d", "ı": "i",
    "œ": "o", "Œ": "o", "þ": "t", "ð": "d", "’": "'", "‘": "'", "´": "'", "`": "'", "‐": "-", "‑": "-",
    "–": "-", "—": "-",
}


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    if c.isascii():
        return c.lower()
    if c in _SPECIAL:
        return _SPECIAL[c]
    if "\u3040" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff":
        # kana keep their voicing marks (が is not か); Traditional Chinese folds to Simplified (與 -> 与)
        return simplified(c)
    base = unicodedata.normalize("NFKD", c)
    base = "".join(ch for ch in base if not unicodedata.combining(ch))
    low = base.lower()
    return low[0] if len(low) >= 1 else c.lower()[:1] or c


@lru_cache(maxsize=256)
def fold(text: str) -> str:
    """Lower-case and strip accents, one output character per input character (offsets stay valid)."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(c) for c in text)


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff\ufffd]")


def sanitize(text: object) -> tuple[str, list[str]]:
    """Make any input safe to parse: a str without control characters, at most MAX_CHARS long.

    Returns the cleaned text and the flags it earned ("truncated", "empty", "binary").
    """
    flags: list[str] = []
    if isinstance(text, bytes | bytearray | memoryview):
        raw = bytes(text)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", errors="replace")
            flags.append("binary")
    elif not isinstance(text, str):
        text = "" if text is None else str(text)
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS]
        flags.append("truncated")
    # control characters (NUL etc.) become spaces so offsets stay stable for what remains
    if _CONTROL_RE.search(text):
        bad = len(_CONTROL_RE.findall(text))
        if bad > max(8, len(text) // 4) and "binary" not in flags:
            flags.append("binary")
        text = _CONTROL_RE.sub(" ", text)
    # lone surrogates cannot be encoded anywhere downstream
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", errors="replace").decode("utf-8")
    if not text.strip():
        flags.append("empty")
    return text, flags


URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
MENTION_RE = re.compile(r"(?<![\w@])@\w{1,30}")
HASHTAG_RE = re.compile(r"#(\w)")
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
TIME_RE = re.compile(r"\b([01]?\d|2[0-3])\s?[:.hu]\s?([0-5]\d)\b", re.IGNORECASE)
NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")
# a code-like token: 5 to 8 letters/digits with at least one digit and one letter (booking refs, flight numbers)
CODE_RE = re.compile(r"\b(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{5,8}\b")
FLIGHTISH_RE = re.compile(r"\b[A-Za-z]{2}\s?\d{2,4}\b")
REPEAT_RE = re.compile(r"(\w)\1{2,}")
WORD_RE = re.compile(r"\w+", re.UNICODE)
EMOJI_RE = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2300-\u23ff\u2b00-\u2bff\ufe0f\u200d]+"
)


def strip_noise(text: str) -> str:
    """Remove what says nothing about the language: mentions, URLs, e-mails, '#', codes, numbers, emoji."""
    text = space_boundaries(text)
    text = URL_RE.sub(" ", text)
    text = EMAIL_RE.sub(" ", text)
    text = MENTION_RE.sub(" ", text)
    text = HASHTAG_RE.sub(r"\1", text)
    text = CODE_RE.sub(" ", text)
    text = FLIGHTISH_RE.sub(" ", text)
    text = TIME_RE.sub(" ", text)
    text = NUMBER_RE.sub(" ", text)
    text = EMOJI_RE.sub(" ", text)
    return text


_EMOJI_WORDS = {
    "👍": "xthumbsup", "👌": "xthumbsup", "✅": "xthumbsup", "👎": "xthumbsdown", "❌": "xcross", "👋": "xwave",
    "😡": "xangry", "🤬": "xangry", "😠": "xangry", "💩": "xangry", "🖕": "xangry", "🙏": "xpray", "❤": "xlove",
    "😍": "xlove", "💙": "xlove", "🥰": "xlove", "😊": "xsmile", "🙂": "xsmile", "😀": "xsmile", "😃": "xsmile",
    "🙃": "xirony", "🙄": "xirony", "😒": "xirony", "👏": "xclap", "😭": "xsad", "😢": "xsad", "😞": "xsad",
    "😩": "xsad", "😤": "xangry", "✈": "xplane", "🛫": "xplane", "🛬": "xplane", "🧳": "xbag", "💼": "xbag",
    "🤔": "xthink", "❓": "xquestion", "💰": "xmoney", "💸": "xmoney", "🏨": "xhotel",
}


def _emoji_words(m: re.Match[str]) -> str:
    words = [_EMOJI_WORDS[c] for c in m.group(0) if c in _EMOJI_WORDS]
    return " " + " ".join(dict.fromkeys(words or ["xemoji"])) + " "


# a tweet's address line: "@KLM @Schiphol ..." or ".@KLM" says whom the message goes to, not what it wants
LEADING_MENTIONS_RE = re.compile(r"^\W{0,3}(?:(?:rt|mt|cc)\s*:?\s*)?(?:@\w{1,30}[\s:,.;-]*)+", re.IGNORECASE)
def normalize_for_classifier(text: str) -> str:
    """The classifier's view of a message: placeholders for data, folded letters, no elongation.

    Social-media noise is neutralised: a leading run of @mentions (the addressee) is dropped, other mentions and URLs
    become placeholders, hashtags keep their word.
    """
    text = space_boundaries(text)
    text = LEADING_MENTIONS_RE.sub(" ", text, count=1)
    text = URL_RE.sub(" xurl ", text)
    text = EMAIL_RE.sub(" xemail ", text)
    text = MENTION_RE.sub(" xmention ", text)
    text = HASHTAG_RE.sub(r"\1", text)
    text = TIME_RE.sub(" xtime ", text)
    text = FLIGHTISH_RE.sub(" xflight ", text)
    text = CODE_RE.sub(" xcode ", text)
    text = NUMBER_RE.sub(" xnum ", text)
    text = EMOJI_RE.sub(_emoji_words, text)
    text = fold(text)
    text = REPEAT_RE.sub(r"\1\1", text)
    text = re.sub(r"([!?.])\1+", r"\1", text)
    return " ".join(text.split())


def letters(text: str) -> int:
    return sum(1 for c in text if c.isalpha())
