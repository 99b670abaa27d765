"""Typos in the words that carry an ask: "chnage my flgiht" reads as "change my flight".

Passengers in a hurry type fast on a phone. The classifier's character n-grams forgive some typos, but the cue
lexicons (``bot.nlu.cues``) and word features do not. Before a message is classified, each word that is one edit
(insert, delete, substitute, swap two neighbours) away from exactly one of the few words below, and is not a real word
of the language, is read as that word. Nothing else is ever changed: a real word ("chance", "fight") stays, a name or
a code stays, a word two edits away stays. Languages without a dictionary (pl, sv, da, tr, ja, zh) are left as they
are. (The training data is no guide to real words: it holds typos on purpose.)

The real words one edit away from a keyword are listed in ``spelling_words.json``, built from the word-frequency
dictionaries of pyspellchecker (folded like the classifier's text) by ``scripts/build_spelling_words.py``; rebuild it
when ``KEYWORDS`` change (a test checks). Nothing but that small file is loaded at run time.

Only the classifier's view of the message changes; entities are extracted from the text as written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from bot.nlu.text import WORD_RE, fold

# the words that carry an ask, per language (as written; folded when loaded). At least 5 letters: shorter words are
# one edit away from too many others. No Romance past participles: "cancélalo" (cancel it) is one edit from
# "cancelado" (cancelled) and no dictionary lists such forms.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "en": ("change", "changed", "changing", "flight", "flights", "cancel", "cancelled", "canceled", "cancellation",
           "rebook", "rebooked", "rebooking", "reschedule", "rescheduled", "booking", "reservation", "ticket",
           "tickets", "refund", "status", "delayed", "tomorrow", "tonight", "connection", "connecting", "another",
           "earlier", "someone", "speak", "agent", "representative", "please", "return", "options", "available",
           "update", "voucher", "person", "human"),
    "nl": ("vlucht", "vluchten", "annuleren", "geannuleerd", "omboeken", "wijzigen", "boeking", "morgen", "vandaag",
           "terugbetaling", "vertraging", "vertraagd", "medewerker", "aansluiting", "andere"),
    "fr": ("annuler", "annulé", "changer", "modifier", "réservation", "billet", "demain", "remboursement",
           "rembourser", "retard", "retardé", "correspondance", "conseiller", "quelqu'un"),
    "de": ("umbuchen", "stornieren", "storniert", "annulliert", "buchung", "ändern", "morgen", "erstattung",
           "verspätet", "verspätung", "mitarbeiter", "anschluss", "verbindung", "ersatzflug", "flughafen"),
    "es": ("vuelo", "vuelos", "cancelar", "cambiar", "reserva", "billete", "mañana", "reembolso",
           "retraso", "retrasado", "conexión", "agente", "persona"),
    "it": ("cancellare", "cambiare", "modificare", "prenotazione", "biglietto", "domani", "rimborso",
           "ritardo", "coincidenza", "operatore"),
    "pt": ("cancelar", "alterar", "reserva", "bilhete", "amanhã", "reembolso", "atraso", "atrasado",
           "ligação", "conexão"),
    "ru": ("перенести", "отменить", "отменен", "билет", "бронирование", "завтра", "возврат", "задержка", "задержан",
           "оператор", "пересадка"),
}
MIN_LENGTH = 5  # shorter words are never corrected
DICTIONARY_LANGUAGES = ("en", "nl", "fr", "de", "es", "it", "pt", "ru")  # pyspellchecker has these of ours


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by exactly one insert, delete, substitution or swap of neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


WORDS_FILE = Path(__file__).with_name("spelling_words.json")


def keyword_index(keywords: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """One-delete variants (and the words themselves) of ``keywords`` -> the keywords."""
    index: dict[str, list[str]] = {}
    for kw in keywords:
        for variant in {kw, *_deletes(kw)}:
            index.setdefault(variant, []).append(kw)
    return {k: tuple(v) for k, v in index.items()}


def nearest(word: str, index: dict[str, tuple[str, ...]]) -> list[str]:
    """The keywords exactly one edit away from ``word``."""
    candidates: dict[str, None] = {}
    for variant in (word, *_deletes(word)):
        for kw in index.get(variant, ()):
            candidates[kw] = None
    return [kw for kw in candidates if _one_edit(word, kw)]


def folded_keywords(keywords: dict[str, tuple[str, ...]] | None = None) -> dict[str, tuple[str, ...]]:
    return {lang: tuple(dict.fromkeys(fold(w) for w in ws if len(w) >= MIN_LENGTH))
            for lang, ws in (keywords or KEYWORDS).items()}


class Speller:
    """Corrects the typos of keywords in the classifier's (folded) text; see the module's docstring."""

    def __init__(self, words_file: Path = WORDS_FILE) -> None:
        data = json.loads(words_file.read_text(encoding="utf-8")) if words_file.is_file() else {}
        keywords = folded_keywords()
        self._index = {lang: keyword_index(kws) for lang, kws in keywords.items() if lang in data}
        self._known = {lang: frozenset(words) for lang, words in data.items()}

    def correct(self, normalized: str, language: str) -> str:
        """``normalized``: the classifier's text (folded). Returns it with the typos of keywords corrected."""
        index = self._index.get(language)
        if index is None:
            return normalized
        known = self._known[language]
        out: list[str] = []
        last = 0
        for m in WORD_RE.finditer(normalized):
            word = m.group()
            if (len(word) < MIN_LENGTH or (word in index and word in index[word]) or word in known
                    or not word.isalpha() or word.startswith("x")):
                continue
            found = nearest(word, index)
            if len(found) == 1:  # two keywords one edit away: leave it
                out.append(normalized[last:m.start()])
                out.append(found[0])
                last = m.end()
        if not out:
            return normalized
        out.append(normalized[last:])
        return "".join(out)
