"""Language identification on short, realistic passenger messages in all supported languages.

    python bench/langid.py [--errors]

Reads bench/data/langid_messages.yml (written for this benchmark; no training example, no real conversation) and
runs the bot's own detector (lingua + the domain language model trained on intents/, as `crisisbot serve` builds it)
on each message as the first message of a conversation. Prints accuracy overall and per language, and how many
messages were taken for an unsupported language or left undecided (answered in the default language).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--errors", action="store_true", help="print every wrong detection")
    args = ap.parse_args()
    import yaml

    from bot.nlu import build_language_detector
    from bot.settings import Settings

    data = yaml.safe_load((ROOT / "bench" / "data" / "langid_messages.yml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as cache:
        settings = Settings(content_dir=ROOT, cache_dir=Path(cache))
        t0 = time.perf_counter()
        detector = build_language_detector(settings)
        print(f"detector built in {time.perf_counter() - t0:.1f} s (languages: {', '.join(settings.languages)})")
        total = right = 0
        per: dict[str, tuple[int, int]] = {}
        errors: list[str] = []
        unsupported = 0
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
    if args.errors and errors:
        print("errors:")
        print("\n".join(errors))


if __name__ == "__main__":
    main()
