"""Which language is a message written in? lingua (low-accuracy mode, preloaded) plus rules for short messages.

Short or uninformative messages ("ok", "ja", "KL1234", a booking code, a number, emoji) keep the conversation's
language; so do low-confidence guesses. A message in a language we do not support is answered in English and flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True, slots=True)
class Detection:
    language: str  # the language to answer in (always a supported one)
    supported: bool  # False: the message is in a language we do not support (answer in English)
    confident: bool  # False: the message was too short or unclear; language was kept from the conversation
    detected: str | None = None  # what the detector saw (ISO 639-1), if anything


class LanguageDetector:
    """Detects the language of passenger messages. Thread-safe; build once (~40 MB, preloaded models)."""

    def __init__(self, languages: tuple[str, ...] | list[str], default: str = "en", *,
                 extra: tuple[str, ...] = UNSUPPORTED_EXTRA, preload: bool = True,
                 domain_model: Any = None, domain_weight: float = DOMAIN_WEIGHT) -> None:
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
