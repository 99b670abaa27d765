"""What does the embedded NLU make of ~14k real tweets to airlines? Intent distribution, flags, and a sample.

    python bench/nlu_tweets.py [--sample 40] [--intent cancel]

Reads ../shared/data/airline_tweets_2015.jsonl (relative to the repository root) at run time; the texts are never
copied into the repository (licence: CC BY-NC-SA). Use it to find weaknesses and improve intents/*.yml.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TWEETS = ROOT.parent / "shared" / "data" / "airline_tweets_2015.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=40)
    ap.add_argument("--intent", help="only show the sample for this predicted intent")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not TWEETS.is_file():
        sys.exit(f"{TWEETS} not found")
    from bot.nlu import build_language_detector
    from bot.nlu.embedded import EmbeddedBackend
    from bot.settings import get_settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = get_settings().model_copy(update={"cache_dir": Path(tmp)})
        backend = EmbeddedBackend(settings)
        backend.load_or_train()
        detector = build_language_detector(settings)
    rows = [json.loads(line) for line in TWEETS.open(encoding="utf-8")]
    intents: collections.Counter[str] = collections.Counter()
    flags: collections.Counter[str] = collections.Counter()
    langs: collections.Counter[str] = collections.Counter()
    by_reason: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    preds = []
    for row in rows:
        det = detector.detect(row["text"], "en")
        langs[det.language if det.supported else "unsupported"] += 1
        p = backend.parse_sync(row["text"], "en", context={"language_supported": det.supported})
        intents[p.intent.name] += 1
        flags.update(p.flags)
        if row.get("negative_reason"):
            by_reason[row["negative_reason"]][p.intent.name] += 1
        preds.append((p, row))
    n = len(rows)
    print(f"{n} tweets; predicted intents:")
    for name, c in intents.most_common():
        print(f"  {name:<16}{c:>6}  {c / n:6.1%}")
    print("flags:", dict(flags.most_common()))
    print("detected languages (with 'en' as the conversation language):", dict(langs.most_common(6)))
    print("\npredicted intent by the data set's own complaint reason (top 4 each):")
    for reason, cnt in sorted(by_reason.items(), key=lambda kv: -sum(kv[1].values())):
        total = sum(cnt.values())
        print(f"  {reason:<28}{total:>5}: " + ", ".join(f"{k} {v / total:.0%}" for k, v in cnt.most_common(4)))
    rnd = random.Random(args.seed)
    pool = [pr for pr in preds if not args.intent or pr[0].intent.name == args.intent]
    print(f"\nsample of {min(args.sample, len(pool))} predictions:")
    for p, row in rnd.sample(pool, min(args.sample, len(pool))):
        ents = ", ".join(f"{e.entity}={e.value}" for e in p.entities)
        print(f"  [{p.intent.name} {p.intent.confidence:.2f}{' ' + ','.join(p.flags) if p.flags else ''}] "
              f"{row['text'][:140]!r}{'  {' + ents + '}' if ents else ''}")


if __name__ == "__main__":
    main()
