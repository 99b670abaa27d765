"""Which language is a message written in? lingua (low-accuracy mode, preloaded) plus rules for short messages.

Short or uninformative messages ("ok", "ja", "KL1234", a booking code, a number, emoji) keep the conversation's
language; so do low-confidence guesses. A message in a language we do not support is answered in English and flagged.

``detect`` reads one message. ``detect_in_conversation`` applies the conversation's rule on top: the language is set
by the first messages with enough text, and afterwards changes only when the passenger clearly writes a few words of
another language -- words of that language's own vocabulary (learnt from intents/<lang>.yml, entity spans left out),
so that a name ("van Dijk", "Giordano", "Kowalski"), a code, a date, a number or a short answer ("ok", "yes", "ja",
"si grazie") never changes it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.nlu.base import Detection
from bot.nlu.text import fold, sanitize, strip_noise

# ISO 639-1 -> lingua Language name
_LINGUA_NAMES = {
    "en": "ENGLISH", "nl": "DUTCH", "fr": "FRENCH", "de": "GERMAN", "es": "SPANISH", "it": "ITALIAN",
    "pt": "PORTUGUESE", "pl": "POLISH", "sv": "SWEDISH", "da": "DANISH",
    # common unsupported languages, so that they can be recognised and flagged
    "tr": "TURKISH", "ru": "RUSSIAN", "ar": "ARABIC", "zh": "CHINESE", "ja": "JAPANESE", "el": "GREEK",
    "uk": "UKRAINIAN", "ro": "ROMANIAN", "hu": "HUNGARIAN", "cs": "CZECH", "fi": "FINNISH", "ko": "KOREAN",
    "hi": "HINDI", "he": "HEBREW", "fa": "PERSIAN", "th": "THAI", "id": "INDONESIAN",
}
UNSUPPORTED_EXTRA = (
    "tr", "ru", "ar", "zh", "ja", "el", "uk", "ro", "hu", "cs", "fi", "ko", "hi", "he", "fa", "th", "id",
)

# short words that give a language away on their own (folded); ambiguous words list every language they belong to
_SHORT_WORDS: dict[str, tuple[str, ...]] = {}


def _add(langs: str, words: str) -> None:
    for w in words.split():
        w = w.replace("_", " ")
        prev = _SHORT_WORDS.get(w, ())
        _SHORT_WORDS[w] = tuple(dict.fromkeys((*prev, *langs.split(","))))


_add("en", "hi hello hey thanks thank_you thx ty yes yeah yep no nope please pls help stop cancel sure "
           "bye goodbye cheers agent human refund sorry")
_add("nl", "hoi hallo dank bedankt dankjewel dank_je dank_u ja nee alsjeblieft alstublieft graag hulp doei "
           "goedemorgen goedemiddag goedenavond oke prima annuleren klopt")
_add("fr", "bonjour salut merci oui non svp stp aide annuler bonsoir d'accord daccord ouais nan")
_add("de", "hallo danke ja nein bitte hilfe tschuss servus moin stornieren genau gerne")
_add("es", "hola gracias si no vale ayuda adios buenas cancelar claro porfa")
_add("it", "ciao grazie si no aiuto prego annullare certo va_bene buongiorno buonasera")
_add("pt", "ola obrigado obrigada sim nao ajuda tchau cancelar claro valeu")
_add("pl", "czesc dzien_dobry dziekuje dzieki tak nie prosze pomocy pomoc anuluj")
_add("sv", "hej hejsan tack ja nej tack_sa hjalp avboka")
_add("da", "hej tak ja nej hjalp tak_skal_du_have afbestil")
# Russian, Turkish, Japanese, Chinese (folded: ё -> е, й -> и, ı/ş/ğ/ü -> i/s/g/u; Traditional -> Simplified)
_add("ru", "да нет спасибо спс привет здравствуите пожалуиста помогите помощь отмена отменить ок хорошо ладно "
           "конечно верно добрыи_день до_свидания оператор")
_add("tr", "evet hayir tesekkurler tesekkur_ederim sagol sagolun merhaba selam lutfen tamam iptal yardim "
           "olur peki dogru gunaydin iyi_gunler")
_add("ja", "はい いいえ ありがとう ありがとうございます こんにちは お願いします おねがいします 大丈夫です 結構です "
           "了解 了解です 承知しました そうです 違います キャンセル")
_add("zh", "是 是的 好 好的 不 不是 不用 谢谢 谢了 你好 您好 请 对 对的 没错 取消 行 可以 嗯 人工 客服")

_NON_LATIN_RE = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f"
                           r"\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_WORDS_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)

_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
_KANA_RE = re.compile(r"[\u3040-\u30ff]")
_HAN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_HANGUL_RE = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
# a lower-case word with a letter only Turkish (and Azerbaijani) uses: "soyadım", "değiştirmek" (not a name: "Yılmaz")
_TURKISH_WORD_RE = re.compile(r"(?<![^\W\d_])[a-zçöüşâî]*[ığ][a-zçöüşığâî]*")
# kanji in their Japanese form, which neither Simplified nor Traditional Chinese writes this way ("遅延" not "延误")
_JAPANESE_KANJI_RE = re.compile("[遅変発帰払戻込続読売図両辺乗駅済転伝関歳険検様県営労桜働枠]")
# scripts that leave only some languages: (pattern, share of the letters, languages)
_SCRIPTS = ((_KANA_RE, 0.05, ("ja",)), (_JAPANESE_KANJI_RE, 0.05, ("ja",)), (_HANGUL_RE, 0.3, ("ko",)),
            (_HAN_RE, 0.5, ("zh", "ja")), (_CYRILLIC_RE, 0.5, ("ru", "uk", "bg", "sr", "mk", "be", "kk")))


def _script_hint(stripped: str, scores: dict[str, float]) -> dict[str, float]:
    """The writing system narrows the candidates that a detector may still mix up on short text with names in it:
    kana is Japanese, Cyrillic is no Portuguese ("бронь ..., фамилия Conceição"), a lower-case "soyadım" is Turkish."""
    n_letters = sum(1 for c in stripped if c.isalpha()) or 1
    allowed: tuple[str, ...] = ()
    for rx, share, langs in _SCRIPTS:
        if len(rx.findall(stripped)) >= max(1, share * n_letters):
            allowed = langs
            break
    if not allowed and len(_TURKISH_WORD_RE.findall(stripped)) >= 1 and "tr" in scores:
        allowed = ("tr",)
    if not allowed:
        return scores
    kept = {c: v for c, v in scores.items() if c in allowed and v > 0}
    if not kept:  # the detector gave none of them a chance: the script decides
        first = next((c for c in allowed if c in scores), None)
        return scores if first is None else {c: (1.0 if c == first else 0.0) for c in scores}
    total = sum(kept.values())
    return {c: (kept[c] / total if c in kept else 0.0) for c in scores}


def _known_short(stripped: str) -> bool:
    words = [fold(w) for w in _WORDS_RE.findall(stripped)]
    return bool(words) and (" ".join(words) in _SHORT_WORDS or all(w in _SHORT_WORDS for w in words))


MIN_LETTERS = 12  # below this lingua is guessing on Latin-script text
MIN_CONFIDENCE = 0.55
STICKY_MARGIN = 0.25  # keep the conversation's language if lingua rates it nearly as likely as the winner


DOMAIN_WEIGHT = 0.5


def _to_lang_text(text: str) -> str:
    """What the domain language model sees: lower case with accents (they tell languages apart), no noise."""
    return " ".join(strip_noise(text).lower().split())


class LanguageDetector:
    """Detects the language of passenger messages. Thread-safe; build once (~40 MB, preloaded models)."""

    def __init__(self, languages: tuple[str, ...] | list[str], default: str = "en", *,
                 extra: tuple[str, ...] = UNSUPPORTED_EXTRA, preload: bool = True,
                 domain_model: Any = None, domain_weight: float = DOMAIN_WEIGHT,
                 vocabularies: dict[str, frozenset[str]] | None = None) -> None:
        from lingua import Language, LanguageDetectorBuilder

        self.languages = tuple(languages)
        self.default = default if default in self.languages else (self.languages[0] if self.languages else "en")
        codes = [c for c in (*self.languages, *extra) if c in _LINGUA_NAMES]
        codes = list(dict.fromkeys(codes))
        self._to_code = {}
        lingua_langs = []
        for code in codes:
            lang = getattr(Language, _LINGUA_NAMES[code])
            lingua_langs.append(lang)
            self._to_code[lang] = code
        if len(lingua_langs) < 2:  # lingua needs two languages at least
            lingua_langs.append(Language.TURKISH if Language.TURKISH not in lingua_langs else Language.RUSSIAN)
            self._to_code.setdefault(lingua_langs[-1], "tr" if lingua_langs[-1] == Language.TURKISH else "ru")
        builder = LanguageDetectorBuilder.from_languages(*lingua_langs).with_low_accuracy_mode()
        if preload:
            builder = builder.with_preloaded_language_models()
        self._detector = builder.build()
        # a linear language-ID model trained on intents/*.yml (airline vocabulary in our languages): it knows
        # "omboeken", "ombooking", "rebooken" better than a general-purpose detector
        self.domain_model = domain_model
        self.domain_weight = domain_weight
        # language -> its own words (folded), for deciding whether a message clearly is in another language;
        # by default learnt from the project's intents/*.yml
        self._vocabularies = vocabularies
        if preload:
            self.vocabularies()

    def _fallback(self, current: str | None) -> str:
        return current if current in self.languages else self.default

    def detect(self, text: object, current: str | None = None) -> Detection:
        keep = self._fallback(current)
        clean, flags = sanitize(text)
        if "empty" in flags or "binary" in flags:
            return Detection(keep, True, False)
        stripped = strip_noise(clean)
        n_letters = sum(1 for c in stripped if c.isalpha())
        non_latin = len(_NON_LATIN_RE.findall(stripped))
        if n_letters == 0:
            return Detection(keep, True, False)
        if non_latin < 2 or non_latin < n_letters / 2:
            if n_letters < MIN_LETTERS or len(_WORDS_RE.findall(stripped)) < 2:
                return self._short(stripped, keep, current)
        elif n_letters <= 8 and _known_short(stripped):
            # "да", "はい", "好的": a few letters of another script that lingua cannot weigh; the word list can
            return self._short(stripped, keep, current)
        values = self._detector.compute_language_confidence_values(stripped[:2000])
        if not values:
            return Detection(keep, True, False)
        scores = {self._to_code[v.language]: v.value for v in values if v.language in self._to_code}
        lingua_best = max(scores, key=scores.__getitem__)
        if self.domain_model is not None and self.domain_weight > 0 and (
            lingua_best in self.languages or scores[lingua_best] < MIN_CONFIDENCE + 0.15
        ):
            w = self.domain_weight
            domain = dict(self.domain_model.predict(_to_lang_text(clean)))
            scores = {c: (1 - w) * v + w * domain.get(c, 0.0) for c, v in scores.items()}
        scores = _script_hint(stripped, scores)
        code = max(scores, key=scores.__getitem__)
        conf = scores[code]
        if code in self.languages:
            if current in self.languages and current != code:
                cur_conf = scores.get(current, 0.0)
                if conf - cur_conf < STICKY_MARGIN:
                    return Detection(current, True, False, code)
            if conf < MIN_CONFIDENCE:
                return self._short(stripped, keep, current, detected=code)
            return Detection(code, True, True, code)
        # an unsupported language: only trust it when clear (or written in its own script)
        if conf >= MIN_CONFIDENCE + 0.15 or non_latin >= 2:
            return Detection("en" if "en" in self.languages else self.default, False, True, code)
        return Detection(keep, True, False, code)

    def _short(self, stripped: str, keep: str, current: str | None, detected: str | None = None) -> Detection:
        words = [fold(w) for w in _WORDS_RE.findall(stripped)]
        if not words:
            return Detection(keep, True, False, detected)
        votes: dict[str, int] = {}
        phrase = " ".join(words)
        candidates = [phrase] if phrase in _SHORT_WORDS else words
        for w in candidates:
            for lang in _SHORT_WORDS.get(w, ()):
                if lang in self.languages:
                    votes[lang] = votes.get(lang, 0) + 1
        if not votes:
            # no telling word: the domain model may still know it ("omboeken", "annuleer"), if it is sure
            if self.domain_model is not None and sum(len(w) for w in words) >= 6:
                domain = dict(self.domain_model.predict(_to_lang_text(stripped)))
                best = max(domain, key=domain.__getitem__)
                if domain[best] >= 0.85 and best in self.languages and domain.get(current or "", 0.0) < 0.1:
                    return Detection(best, True, False, best)
            return Detection(keep, True, False, detected)
        if current in votes:
            return Detection(current, True, False, detected)
        top = max(votes.values())
        winners = [lang for lang, v in votes.items() if v == top]
        if len(winners) == 1:
            return Detection(winners[0], True, True, winners[0])
        if detected in winners:
            return Detection(detected, True, False, detected)
        return Detection(keep, True, False, detected)

    def vocabularies(self) -> dict[str, frozenset[str]]:
        """Each supported language's own words (folded); learnt from the project's intents/*.yml unless given."""
        if self._vocabularies is None:
            self._vocabularies = _default_vocabularies(self.languages)
        return self._vocabularies

    def detect_in_conversation(self, text: object, current: str | None, *, settled: bool = False) -> Detection:
        """The language to answer in, by the conversation's rule: set by the first messages with enough text, then
        changed only when the passenger clearly writes a few words of another language (never by a name, a code, a
        date, a number or a short answer). ``settled``: an earlier message settled the conversation's language;
        the result's ``settled`` says whether it is settled now."""
        return conversation_language(self, text, current, settled=settled)



# ---- the conversation's language ---------------------------------------------------------------------------------

# name particles are words of some languages too ("de", "van", "da"): never evidence of a language on their own
NAME_PARTICLES = frozenset(
    "van der den de het ter ten te von zu vom di da dos das do del della delle la le du des el al ben bin ibn abu "
    "mac mc st".split()
)
SWITCH_WORDS = 3  # own words of another language it takes to change a settled conversation's language
SETTLE_WORDS = 3  # own words of its language that settle a conversation's language
_CJK_LANGUAGES = frozenset({"ja", "zh"})
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")


_ANNOTATED_RE = re.compile(r"\[[^\]\n]*\](?:\([^)\n]*\)|\{[^}\n]*\})")
_BLOCK_RE = re.compile(r"^-\s*(intent|synonym|regex|lookup)\s*:", re.MULTILINE)


@lru_cache(maxsize=8)
def load_vocabularies(content_dir: str, languages: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Each language's own words (folded), from intents/<lang>.yml: words used in at least two examples, with the
    annotated entities (names, codes, places, dates) left out, so that they are words people write, not data.
    Read line by line (Rasa's format: ``- intent: x`` blocks with ``    - example`` lines), which is fast."""
    from bot.nlu.training_data import training_files

    out: dict[str, frozenset[str]] = {}
    for lang, path in training_files(Path(content_dir), languages).items():
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        counts: Counter[str] = Counter()
        kind = None
        for line in lines:
            block = _BLOCK_RE.match(line)
            if block:
                kind = block.group(1)
                continue
            stripped = line.strip()
            if kind != "intent" or not stripped.startswith("- "):
                continue
            text = _ANNOTATED_RE.sub(" ", stripped[2:])
            counts.update({fold(w) for w in _WORDS_RE.findall(strip_noise(text))})
        out[lang] = frozenset(w for w, c in counts.items() if c >= 2 and len(w) >= 2 and w not in NAME_PARTICLES)
    return out


def _default_vocabularies(languages: tuple[str, ...]) -> dict[str, frozenset[str]]:
    from bot.settings import default_content_dir

    try:
        return load_vocabularies(str(default_content_dir()), languages)
    except Exception:  # no content: fall back to counting words
        return {}


def _words(text: str) -> list[tuple[str, bool]]:
    """The message's words (folded) that can tell a language: (word, looks like a name). Codes, numbers, links,
    mentions are gone; a capitalised word inside a sentence may be a name."""
    stripped = strip_noise(text)
    out = []
    for m in _WORDS_RE.finditer(stripped):
        w = m.group(0)
        f = fold(w)
        if len(f) < 2 or f in NAME_PARTICLES:
            continue
        before = stripped[: m.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:;\n"
        out.append((f, w[:1].isupper() and not sentence_start))
    return out


def conversation_language(detector: LanguageDetector, text: object, current: str | None, *,
                          settled: bool = False) -> Detection:
    """See ``LanguageDetector.detect_in_conversation``."""
    vocab = detector.vocabularies()
    clean, _flags = sanitize(text)
    current = current if current in detector.languages else None
    d = detector.detect(clean, current)
    if current is not None and not settled and d.language == current and not d.confident:
        fresh = detector.detect(clean, None)  # not settled yet: no benefit of the doubt for the current language
        if fresh.confident:
            d = fresh
    words = _words(clean)
    cjk = len(_CJK_RE.findall(clean))
    latin = len(_LATIN_RE.findall(strip_noise(clean)))

    def own_words(lang: str | None, against: str | None) -> int:
        """How many of the message's words belong to ``lang`` (and not to ``against``)."""
        if cjk > latin or (cjk >= 4 and lang in _CJK_LANGUAGES):
            # no spaces between words: four characters or more are more than a name (two or three); a Latin code or
            # name in it ("訂位代號 XMXPCR 姓 de vries") does not make it a Latin-script message
            return max(0, cjk - 1)
        mine = vocab.get(lang) if lang else None
        other = vocab.get(against) if against else None
        n = 0
        for w, name_like in words:
            if other is not None and w in other:
                continue
            if mine is not None and w not in mine:
                continue
            if mine is None and name_like:
                continue  # a language we have no vocabulary for: any word that does not look like a name
            n += 1
        return n

    if current is None:
        # the first message: take its language if it has a word of it; a name or a code alone says nothing
        if not d.supported:
            if own_words(d.detected, None) >= SWITCH_WORDS:
                return d
            return Detection(detector.default, True, False, d.detected)
        if d.language != detector.default and own_words(d.language, None) == 0:
            return Detection(detector.default, True, False, d.detected)
        return replace(d, settled=own_words(d.language, None) >= SETTLE_WORDS)
    if d.supported and d.language == current:
        return replace(d, settled=settled or own_words(current, None) >= SETTLE_WORDS)
    # another language than the conversation's: only when the passenger clearly writes a few words of it
    needed = SWITCH_WORDS if settled else 1
    if d.supported:
        if own_words(d.language, current) >= needed:
            return replace(d, settled=own_words(d.language, None) >= SETTLE_WORDS)
        # the detector's pick has no words of its own here ("I want to rebook" read as Italian): the language whose
        # own words the message clearly uses, if there is exactly one
        counts = sorted(((own_words(lang, current), lang) for lang in vocab if lang != current), reverse=True)
        if counts and counts[0][0] >= max(needed, 2) and (len(counts) == 1 or counts[1][0] < counts[0][0]):
            lang = counts[0][1]
            return Detection(lang, True, True, d.detected, own_words(lang, None) >= SETTLE_WORDS)
    elif own_words(d.detected, current) >= SWITCH_WORDS:
        return replace(d, settled=settled)  # clearly a language we do not speak: English, flagged; conversation kept
    return Detection(current, True, False, d.detected, settled)
