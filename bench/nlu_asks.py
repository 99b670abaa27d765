"""What passengers ask, on real airline tweets: macro-F1 over the four asks the bot acts on, and the wrong-flow rate.

    python bench/nlu_asks.py [--split dev|test|all] [--labels PATH] [--data PATH] [--show-errors N] [--use-cache]

Labels: bench/data/real_tweets_asks.jsonl, one {"line": n, "ask": "rebook"|"cancel"|"flight_status"|
"request_human"|"other", "asks": [...], "feeling": [...], "sure": bool, "split"?: "dev"|"test"} per line, labelled by
the rule "what must the bot act on first" (rebook > cancel > flight_status > request_human > nothing). ``line`` is
the 0-based line of ../shared/data/airline_tweets_2015.jsonl, read at run time and never copied into the repository.
Without a "split" field a row is held out ("test") when ``line % 5 == 0`` (about 20 %); tune on dev only.

The messages go through what ``crisisbot nlu parse`` does (language detection chained from message to message,
the embedded backend); the prediction is the top ``intent.name``, every intent outside the four asks = other.
Prints per-ask precision/recall/F1, macro-F1 over the four asks, how often a message that asks for nothing would
start a flow (a top intent among the four asks, or any flow-starting intent), the asks list's recall of second asks,
and a keyword baseline for comparison.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = next((d / "shared" / "data" / "airline_tweets_2015.jsonl" for d in (ROOT.parent, ROOT.parent.parent)
             if (d / "shared" / "data" / "airline_tweets_2015.jsonl").is_file()),
            ROOT.parent / "shared" / "data" / "airline_tweets_2015.jsonl")
LABELS = ROOT / "bench" / "data" / "real_tweets_asks.jsonl"
ASKS = ("rebook", "cancel", "flight_status", "request_human")
FLOW_INTENTS = {*ASKS, "crisis_info", "baggage", "refund_status"}

# a keyword baseline (the kind of regex a team writes in an afternoon), to know what a model must beat
BASELINE = [
    ("rebook", re.compile(r"\b(rebook|re-book|reschedul|change my flight|another flight|next flight|new flight|"
                          r"earlier flight|get me (home|on|out))", re.I)),
    ("cancel", re.compile(r"\b(cancel my|refund)", re.I)),
    ("flight_status", re.compile(r"\b(delayed\?|on time|status|cancelled\?|any update|gate)", re.I)),
    ("request_human", re.compile(r"\b(dm me|call me|speak to|talk to|agent|representative|someone)", re.I)),
]


def baseline(text: str) -> str:
    for name, rx in BASELINE:
        if rx.search(text):
            return name
    return "other"


def split_of(row: dict[str, Any]) -> str:
    s = row.get("split")
    if s in ("dev", "test"):
        return str(s)
    return "test" if int(row["line"]) % 5 == 0 else "dev"


def load(labels: Path, data: Path) -> tuple[list[dict[str, Any]], dict[int, str]]:
    rows = []
    with labels.open(encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            if raw.strip():
                try:
                    row = json.loads(raw)
                    row["line"] = int(row["line"])
                    row["ask"] = str(row["ask"])
                except (ValueError, KeyError, TypeError) as exc:
                    sys.exit(f"{labels}:{n}: bad label line ({exc})")
                rows.append(row)
    wanted = {r["line"] for r in rows}
    texts: dict[int, str] = {}
    with data.open(encoding="utf-8") as f:
        for i, raw in enumerate(f):
            if i in wanted:
                texts[i] = str(json.loads(raw)["text"])
    return rows, texts


def scores(gold: list[str], pred: list[str]) -> tuple[dict[str, tuple[float, float, float, int]], float]:
    out = {}
    for a in ASKS:
        tp = sum(g == a and p == a for g, p in zip(gold, pred, strict=True))
        fp = sum(g != a and p == a for g, p in zip(gold, pred, strict=True))
        fn = sum(g == a and p != a for g, p in zip(gold, pred, strict=True))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[a] = (prec, rec, f1, tp + fn)
    return out, sum(v[2] for v in out.values()) / len(ASKS)


def parse_all(texts: list[str], use_cache: bool) -> tuple[list[dict[str, Any]], list[float]]:
    from bot.nlu import build_language_detector
    from bot.nlu.embedded import EmbeddedBackend
    from bot.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings() if use_cache else Settings(cache_dir=Path(tmp))
        backend = EmbeddedBackend(settings)
        backend.load_or_train()
        detector = build_language_detector(settings)
        out, lat = [], []
        current = None
        for text in texts:  # as `crisisbot nlu parse` does: one message per line, language chained
            text = " ".join(text.splitlines())
            det = detector.detect(text, current)
            current = det.language if det.supported else current
            t0 = time.perf_counter()
            p = backend.parse_sync(text, det.language, context={"language_supported": det.supported})
            lat.append(time.perf_counter() - t0)
            out.append(p.to_dict())
    return out, lat


def report(name: str, gold: list[str], pred: list[str]) -> float:
    per, macro = scores(gold, pred)
    others = [i for i, g in enumerate(gold) if g == "other"]
    wrong = sum(pred[i] in ASKS for i in others)
    print(f"{name}: n={len(gold)}  macro-F1 (4 asks) {macro:.3f}  "
          + "  ".join(f"{a} {v[2]:.2f} (P {v[0]:.2f} R {v[1]:.2f} n={v[3]})" for a, v in per.items()))
    print(f"    no ask -> one of the four asks: {wrong}/{len(others)} = {wrong / max(1, len(others)):.3f}")
    return macro


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    ap.add_argument("--show-errors", type=int, default=0, metavar="N", help="print N errors (terminal only)")
    ap.add_argument("--use-cache", action="store_true", help="use the model cache under settings.cache_dir")
    ap.add_argument("--sure", action="store_true", help="only labels the annotator was sure of")
    args = ap.parse_args()
    if not args.data.is_file():
        sys.exit(f"tweet file not found: {args.data} (it lives outside the repository; pass --data)")
    if not args.labels.is_file():
        sys.exit(f"label file not found: {args.labels}")
    rows, texts = load(args.labels, args.data)
    rows = [r for r in rows if (args.split == "all" or split_of(r) == args.split) and (not args.sure or r.get("sure"))]
    if not rows:
        sys.exit("no labelled rows in that split")
    msgs = [texts[r["line"]] for r in rows]
    parses, lat = parse_all(msgs, args.use_cache)
    gold = [r["ask"] for r in rows]
    pred = [p["intent"]["name"] if p["intent"]["name"] in ASKS else "other" for p in parses]
    print(f"split {args.split}: {len(rows)} labelled tweets ({collections.Counter(gold).most_common()})\n")
    report("crisisbot nlu parse", gold, pred)
    others = [i for i, g in enumerate(gold) if g == "other"]
    flows = sum(parses[i]["intent"]["name"] in FLOW_INTENTS for i in others)
    print(f"    no ask -> any flow-starting intent ({', '.join(sorted(FLOW_INTENTS))}): {flows}/{len(others)} = "
          f"{flows / max(1, len(others)):.3f}")
    multi = [i for i, r in enumerate(rows) if len(r.get("asks") or []) > 1]
    if multi and all("asks" in p for p in parses):
        seen = sum(set(rows[i]["asks"]) <= {a["name"] for a in parses[i]["asks"]} for i in multi)
        print(f"    messages with several asks: all asks listed in {seen}/{len(multi)}")
    report("keyword baseline", gold, [baseline(t) for t in msgs])
    lat.sort()
    print(f"\nparse latency (no language detection): p50 {lat[len(lat) // 2] * 1000:.2f} ms, "
          f"p99 {lat[min(len(lat) - 1, int(len(lat) * .99))] * 1000:.2f} ms")
    conf = collections.Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    print("confusions (gold -> predicted): " + ", ".join(f"{g}->{p} {c}" for (g, p), c in conf.most_common(10)))
    if args.show_errors:
        errs = [i for i in range(len(rows)) if gold[i] != pred[i]]
        print(f"\n{min(len(errs), args.show_errors)} of {len(errs)} errors (terminal only, never commit):")
        for i in errs[: args.show_errors]:
            p = parses[i]
            print(f"  {rows[i]['line']:>5} gold {gold[i]:<13} pred {p['intent']['name']:<13} "
                  f"{p['intent']['confidence']:.2f} asks={[a['name'] for a in p.get('asks', [])]} "
                  f"{' '.join(msgs[i].split())}")


if __name__ == "__main__":
    main()
