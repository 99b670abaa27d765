"""Build bot/nlu/spelling_words.json: per language, the real words one edit away from a keyword of bot.nlu.spelling.

    .venv/bin/python scripts/build_spelling_words.py     (needs the dev extra: pyspellchecker)

The words come from pyspellchecker's word-frequency dictionaries (MIT licence), folded like the classifier's text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.nlu.spelling import DICTIONARY_LANGUAGES, WORDS_FILE, _deletes, folded_keywords, keyword_index
from bot.nlu.text import fold


def build() -> dict[str, list[str]]:
    from spellchecker import SpellChecker

    out: dict[str, list[str]] = {}
    for lang, keywords in folded_keywords().items():
        if lang not in DICTIONARY_LANGUAGES:
            continue
        index = keyword_index(keywords)
        near: set[str] = set()
        for word in SpellChecker(language=lang, distance=1).word_frequency.dictionary:
            w = fold(word)
            if w in keywords:
                continue
            if w in index or any(v in index for v in _deletes(w)):
                near.add(w)
        out[lang] = sorted(near)
    return out


def main() -> None:
    data = build()
    WORDS_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{WORDS_FILE}: " + ", ".join(f"{lang} {len(ws)}" for lang, ws in data.items()))


if __name__ == "__main__":
    main()
