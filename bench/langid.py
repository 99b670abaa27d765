"""Language identification on short, realistic passenger messages in all supported languages.

    python bench/langid.py [--errors] [--intents]

Reads bench/data/langid_messages.yml (written for this benchmark; no training example, no real conversation) and
runs the bot's own detector (lingua + the domain language model trained on intents/, as `crisisbot serve` builds it)
on each message as the first message of a conversation. Prints accuracy overall and per language, and how many
messages were taken for an unsupported language or left undecided (answered in the default language).

--intents also parses every message whose ask is clear with the embedded NLU (trained on intents/, or loaded from
its cache) and prints intent accuracy per language: the messages say the same things in every language, in the same
order, so the figures compare languages on one set of asks (none of these messages is in the training data).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# the intent of message i (same order in every language; None: no clear single ask, not scored)
INTENTS = [None, "rebook", "refund_status", "flight_status", "rebook", "baggage", "cancel", "request_human",
           "thanks", None, "provide_info", "complaint", "complaint", "rebook", "crisis_info", "rebook", "rebook",
           "cancel", "complaint", "rebook", "affirm", None]
INTENTS_EN = {15: "rebook", 16: "greet", 17: "flight_status", 18: "cancel", 19: "complaint"}  # en differs from 15


def intent_accuracy(data: dict[str, list[str]], settings: object) -> None:
    from bot.nlu.embedded import EmbeddedBackend

    backend = EmbeddedBackend(settings)
    t0 = time.perf_counter()
    backend.load_or_train()
    print(f"intent model ready in {time.perf_counter() - t0:.1f} s")
    total = right = 0
    wrong: list[str] = []
    for lang, messages in data.items():
        ok = n = 0
        for i, text in enumerate(messages):
            gold = INTENTS_EN.get(i, INTENTS[i]) if lang == "en" else (INTENTS[i] if i < len(INTENTS) else None)
            if gold is None:
                continue
            got = backend.parse_sync(text, lang).intent.name
            n += 1
            ok += got == gold
            if got != gold:
                wrong.append(f"  {lang} {gold} -> {got}: {text}")
        total += n
        right += ok
        print(f"  intents {lang}  {ok / n:.3f}  ({ok}/{n})")
    print(f"intent accuracy {right / total:.3f} ({right}/{total}); nlu_fallback counts as wrong")
    print("\n".join(wrong))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--errors", action="store_true", help="print every wrong detection")
    ap.add_argument("--intents", action="store_true", help="also score the intents of the messages")
    args = ap.parse_args()
    import yaml

    from bot.nlu import build_language_detector
    from bot.settings import Settings

    data = yaml.safe_load((ROOT / "bench" / "data" / "langid_messages.yml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as cache:
        settings = Settings(content_dir=ROOT, cache_dir=Path(cache) if not args.intents else Settings().cache_dir)
        t0 = time.perf_counter()
        detector = build_language_detector(settings)
        print(f"detector built in {time.perf_counter() - t0:.1f} s (languages: {', '.join(settings.languages)})")
        total = right = 0
        per: dict[str, tuple[int, int]] = {}
        errors: list[str] = []
        unsupported = 0
        short_ok, short_n, short_errors = 0, 0, []
        for lang, messages in (data.pop("short", None) or {}).items():
            for text in messages:
                d = detector.detect(text, None)
                short_n += 1
                short_ok += d.language == lang and d.supported
                if not (d.language == lang and d.supported):
                    short_errors.append(f"  short {lang} -> {d.language} ({'kept' if not d.confident else 'detected'})"
                                        f"  {text}")
        for lang, messages in data.items():
            ok = 0
            for text in messages:
                d = detector.detect(text, None)
                if d.language == lang and d.supported:
                    ok += 1
                else:
                    unsupported += not d.supported
                    seen = "" if d.supported else f" (unsupported: {d.detected})"
                    errors.append(f"  {lang} -> {d.language}{seen}  {text}")
            per[lang] = (ok, len(messages))
            total += len(messages)
            right += ok
    print(f"accuracy {right / total:.3f} ({right}/{total} messages, {len(per)} languages); "
          f"{unsupported} taken for an unsupported language")
    for lang, (ok, n) in per.items():
        print(f"  {lang}  {ok / n:.3f}  ({ok}/{n})")
    if short_n:
        print(f"very short first messages and foreign names: {short_ok / short_n:.3f} ({short_ok}/{short_n}); a wrong "
              f"or undecided one is answered in the default language and the next message decides")
        errors += short_errors
    if args.errors and errors:
        print("errors:")
        print("\n".join(errors))
    if args.intents:
        intent_accuracy(data, Settings(content_dir=ROOT))


if __name__ == "__main__":
    main()
