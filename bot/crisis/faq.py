"""Matching a passenger's question to a playbook's FAQ, across languages and paraphrases.

Every question variant (the entry's own and its shared topic's, in every language) is a document; a message is
compared with all of them by cosine similarity over character n-grams (robust to inflection, typos and word order,
and language-neutral, so Japanese and Chinese work without a tokenizer). Variants in the passenger's language count
fully, others a little less. The best entry wins when it is similar enough and clearly ahead of the next one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.crisis.playbook import FaqEntry, Playbook, PlaybookSet

OTHER_LANGUAGE = 0.85  # a variant in another language than the passenger's counts this much
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).casefold()
    t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
    return " ".join(_PUNCT.sub(" ", t).split())


@dataclass(frozen=True)
class FaqMatch:
    entry: FaqEntry
    score: float
    margin: float  # how far ahead of the best other entry
    question: str  # the variant that matched best


class FaqIndex:
    def __init__(self, playbooks: PlaybookSet, playbook: Playbook) -> None:
        self.playbook = playbook
        docs: list[str] = []
        self._meta: list[tuple[int, str, str]] = []  # entry index, language, original question
        for i, entry in enumerate(playbook.faq):
            for lang, questions in playbooks.questions(entry).items():
                for q in questions:
                    docs.append(normalise(q))
                    self._meta.append((i, lang, q))
        self._vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
        self._matrix = self._vec.fit_transform(docs)
        self._langs = np.array([m[1] for m in self._meta])
        self._entries = np.array([m[0] for m in self._meta])

    def match(self, text: str, language: str) -> FaqMatch | None:
        q = normalise(text)
        if not q:
            return None
        sims = (self._matrix @ self._vec.transform([q]).T).toarray().ravel()
        sims = np.where(self._langs == language, sims, sims * OTHER_LANGUAGE)
        best: dict[int, tuple[float, int]] = {}
        for idx in np.argsort(-sims)[:50]:
            e = int(self._entries[idx])
            if e not in best:
                best[e] = (float(sims[idx]), int(idx))
        if not best:
            return None
        ranked = sorted(best.items(), key=lambda kv: -kv[1][0])
        (entry_i, (score, doc)), rest = ranked[0], ranked[1:]
        margin = score - (rest[0][1][0] if rest else 0.0)
        return FaqMatch(self.playbook.faq[entry_i], score, margin, self._meta[doc][2])
