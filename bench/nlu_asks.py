"""What does the passenger ask? The NLU on hand-labelled real airline tweets, judged as `crisisbot nlu parse` is.

    python bench/nlu_asks.py [--show-errors N] [--errors-split dev|heldout] [--enriched] [--fresh] [--per-message]
    python bench/nlu_asks.py --rasa-python PYTHON --rasa-model MODEL.tar.gz   # Rasa DIET on the same tweets

Labels (line numbers and labels only; the tweets are read at run time from ../shared/data/airline_tweets_2015.jsonl
and never copied into the repository, licence CC BY-NC-SA):

- bench/data/real_tweets_asks.jsonl: the random sample ``random.Random(11).sample(range(14024), 3600)``, every line
  labelled in that order by the rule in ../shared/data/WHAT-TO-ACT-ON.md ("which action should the bot take first?").
  One JSON object per line: ``{"line", "ask", "asks", "feeling", "sure"}``; ``ask`` is one of rebook, cancel,
  flight_status, request_human, other (= nothing to act on) and is the first of ``asks`` (all asks in the message, in
  the rule's order rebook > cancel > flight_status > request_human); ``feeling`` lists anger, urgency, distress,
  praise, sarcasm or neutral; ``sure`` is false where a careful annotator could defensibly choose otherwise.
- bench/data/real_tweets_asks_enriched.jsonl: 600 more lines, NOT in the random sample and with no text equal to a
  sampled one, picked by keywords that suggest an ask (refund/cancel-my-..., rebook/reschedule/change-my-flight/
  standby/get-me-home, status/delayed?/any update, DM/follow/call me/speak to/agent); same fields. They over-represent
  the asks on purpose: use them for training and tuning, never for the headline figure.

Fixed split of the random sample (do not tune on held-out):
    held-out = lines whose index in the random sample is a multiple of 3  (1,200 tweets)
    dev      = every other sampled line                                   (2,400 tweets)

The scorer: the top ``intent.name`` of each parse is mapped to rebook / cancel / flight_status / request_human, and
anything else (nlu_fallback, complaint, crisis_info, baggage, ...) to other. Printed per split: macro-F1 over the four
asks (the headline), per-ask precision / recall / F1 / support, the same on "sure" labels, how often the right ask is
found in angry messages, and the wrong-flow rate: how often a message that asks for nothing would start a flow (top
intent in rebook, cancel, flight_status, request_human, crisis_info, baggage, refund_status with confidence >= the
action threshold). A keyword-regex baseline is scored on the same split.

By default the texts go, in sample order, through ONE `crisisbot nlu parse` subprocess (language detected per message
as the command does), so the figures are those of the command as it is. --per-message starts from a clean language
state for every message instead (in process). --fresh trains the model in a temporary cache. --show-errors prints
misclassified tweets to the terminal only (dev split unless --errors-split heldout); never write them to a file.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TWEETS = Path("shared") / "data" / "airline_tweets_2015.jsonl"
# ../shared/data next to the repository (a git worktree may sit one level deeper)
DATA = next((p / TWEETS for p in ROOT.parents if (p / TWEETS).is_file()), ROOT.parent / TWEETS)
LABELS = ROOT / "bench" / "data" / "real_tweets_asks.jsonl"
ENRICHED = ROOT / "bench" / "data" / "real_tweets_asks_enriched.jsonl"
SAMPLE_SEED, SAMPLE_SIZE = 11, 3600
ASKS = ("rebook", "cancel", "flight_status", "request_human")
OTHER = "other"
# intents whose flow or lookup starts when they win with enough confidence
FLOW_INTENTS = {"rebook", "cancel", "flight_status", "request_human", "crisis_info", "baggage", "refund_status"}
# the export replaced "booking" by "Flight Booking Problems" ("reFlight Booking Problems" = "rebooking")
BOOKING_ARTEFACT = "Flight Booking Problems"

# A keyword baseline that follows the rule's order: the first ask whose pattern matches wins.
BASELINE = (
    ("rebook", re.compile(
        r"\b(re-?book|re-?schedul|re-?rout)|\bchange (my|our|the|a|his|her) (flight|reservation|ticket|trip|booking)"
        r"|\b(earlier|later|next|another|other) flight|\bget (me|us|him|her|them) (home|out|on)|\bstand-?by\b"
        r"|\bneed to (get|be) (to|in|home|back)\b", re.I)),
    ("cancel", re.compile(
        r"\b(cancel|cxl)\w* (my|our|the|a|this) (flight|reservation|ticket|trip|booking|itinerary)|\brefund"
        r"|\bmoney back\b", re.I)),
    ("flight_status", re.compile(
        r"\b(delayed|cancell?ed|on time)\s*\?|\bstatus\b|\bany (update|news|info)|\bupdate on\b|\bETA\b"
        r"|\bwhat gate\b|\bwhat'?s (going on|up) with\b", re.I)),
    ("request_human", re.compile(
        r"\bDM\b|\bdirect message|\bcall me\b|\bcall (us )?back\b|\b(speak|talk) (to|with)\b|\bfollow (me|us|back)\b"
        r"|\bsupervisor\b|\breal person\b|\bhuman\b|\bagent\b", re.I)),
)


def baseline(text: str) -> str:
    for ask, pattern in BASELINE:
        if pattern.search(text):
            return ask
    return OTHER


def load_labels(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
                ask = str(row["ask"])
                if ask not in (*ASKS, OTHER):
                    raise ValueError(f"unknown ask {ask!r}")
                rows.append({"line": int(row["line"]), "ask": ask, "asks": list(row.get("asks", [])),
                             "feeling": list(row.get("feeling", [])), "sure": bool(row.get("sure", True))})
            except (ValueError, KeyError, TypeError) as exc:
                sys.exit(f"{path}:{n}: bad label line ({exc})")
    return rows


def load_texts(path: Path, wanted: set[int]) -> tuple[dict[int, str], int]:
    texts: dict[int, str] = {}
    n_lines = 0
    with path.open(encoding="utf-8") as f:
        for i, raw in enumerate(f):
            n_lines += 1
            if i in wanted:
                try:
                    text = str(json.loads(raw)["text"])
                except (ValueError, KeyError, TypeError) as exc:
                    sys.exit(f"{path}:{i + 1}: not a tweet record ({exc})")
                # one message per line for `nlu parse`
                texts[i] = " ".join(text.replace(BOOKING_ARTEFACT, "booking").splitlines())
    return texts, n_lines


def split_of(labels: list[dict[str, Any]], n_lines: int) -> list[str]:
    """'heldout' or 'dev' for each label of the random sample, from its index in the seeded sample."""
    index = {line: k for k, line in enumerate(random.Random(SAMPLE_SEED).sample(range(n_lines), SAMPLE_SIZE))}
    out = []
    for r in labels:
        k = index.get(r["line"])
        if k is None:
            sys.exit(f"line {r['line']} is not in the seeded random sample: wrong label file for this tweet file?")
        out.append("heldout" if k % 3 == 0 else "dev")
    return out


def to_ask(intent: str) -> str:
    return intent if intent in ASKS else OTHER


def per_ask(gold: list[str], pred: list[str]) -> dict[str, tuple[float, float, float, int, int]]:
    """For each ask: precision, recall, F1, support (gold), predicted count."""
    out = {}
    for ask in ASKS:
        tp = sum(g == ask and p == ask for g, p in zip(gold, pred, strict=True))
        n_pred = sum(p == ask for p in pred)
        n_gold = sum(g == ask for g in gold)
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold if n_gold else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[ask] = (prec, rec, f1, n_gold, n_pred)
    return out


def macro_f1(gold: list[str], pred: list[str]) -> float:
    return sum(v[2] for v in per_ask(gold, pred).values()) / len(ASKS)


def parse_subprocess(texts: list[str], env: dict[str, str]) -> list[dict[str, Any]]:
    cmd = [sys.executable, "-c", "from bot.cli import main; main()", "nlu", "parse"]
    proc = subprocess.run(cmd, input="".join(t.replace("\n", " ") + "\n" for t in texts), capture_output=True,
                          text=True, cwd=ROOT, env=env, check=False)
    if proc.returncode != 0:
        sys.exit(f"`crisisbot nlu parse` failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    parses = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    if len(parses) != len(texts):
        sys.exit(f"`crisisbot nlu parse` returned {len(parses)} parses for {len(texts)} messages")
    return parses


def parse_with_rasa(texts: list[str], python: str, model: str) -> list[dict[str, Any]]:
    """The same texts through a trained Rasa model (bench/rasa_parse.py under a Python that has Rasa 3.x)."""
    proc = subprocess.run([python, str(ROOT / "bench" / "rasa_parse.py"), model],
                          input="".join(t + "\n" for t in texts), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"Rasa parse failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    parses = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if len(parses) != len(texts):
        sys.exit(f"Rasa returned {len(parses)} parses for {len(texts)} messages")
    return parses


def parse_in_process(texts: list[str]) -> list[dict[str, Any]]:
    from bot.nlu import build_language_detector, build_nlu
    from bot.settings import get_settings

    settings = get_settings()

    async def run() -> list[dict[str, Any]]:
        backend = build_nlu(settings)
        detector = build_language_detector(settings)
        await backend.initialize()
        try:
            out = []
            for text in texts:
                det = detector.detect(text, None)
                p = await backend.parse(text, det.language, context={"language_supported": det.supported})
                out.append(p.to_dict())
            return out
        finally:
            await backend.shutdown()

    return asyncio.run(run())


def top_ranked(parse: dict[str, Any]) -> str:
    """The best intent other than the fallback (what the model thought before any threshold)."""
    ranked = [r for r in parse.get("intent_ranking", []) if r.get("name") != "nlu_fallback"]
    return str(ranked[0]["name"]) if ranked else str(parse["intent"]["name"])


def report(name: str, labels: list[dict[str, Any]], pred: list[str], flow: list[bool], base: list[str],
           raw: list[str]) -> None:
    gold = [r["ask"] for r in labels]
    n = len(gold)
    print(f"\n== {name}: {n} tweets ({sum(g != OTHER for g in gold)} with an ask)")
    print(f"macro-F1 over the four asks: {macro_f1(gold, pred):.3f}    keyword baseline: {macro_f1(gold, base):.3f}")
    sure = [i for i, r in enumerate(labels) if r["sure"]]
    print(f"  on 'sure' labels only (n={len(sure)}): {macro_f1([gold[i] for i in sure], [pred[i] for i in sure]):.3f}"
          f"    baseline {macro_f1([gold[i] for i in sure], [base[i] for i in sure]):.3f}")
    print(f"  {'ask':<14} {'prec':>6} {'recall':>6} {'F1':>6} {'support':>7} {'predicted':>9}   baseline P/R/F1")
    bl = per_ask(gold, base)
    for ask, (p, r, f, s, k) in per_ask(gold, pred).items():
        bp, br, bf = bl[ask][:3]
        print(f"  {ask:<14} {p:6.3f} {r:6.3f} {f:6.3f} {s:7d} {k:9d}   {bp:.3f}/{br:.3f}/{bf:.3f}")
    others = [i for i, g in enumerate(gold) if g == OTHER]
    wrong = sum(flow[i] for i in others)
    print(f"wrong-flow rate (asks for nothing, would start a flow): {wrong}/{len(others)} = "
          f"{wrong / max(1, len(others)):.3f}")
    four = sum(pred[i] in ASKS for i in others)
    print(f"  of which one of the four asks (rebook/cancel/flight_status/request_human): {four}/{len(others)} = "
          f"{four / max(1, len(others)):.3f}")
    angry = [i for i, r in enumerate(labels) if r["ask"] != OTHER and "anger" in r["feeling"]]
    calm = [i for i, r in enumerate(labels) if r["ask"] != OTHER and "anger" not in r["feeling"]]
    for label, idx in (("angry", angry), ("not angry", calm)):
        if idx:
            hit = sum(pred[i] == gold[i] for i in idx)
            print(f"asks found in {label} messages: {hit}/{len(idx)} = {hit / len(idx):.3f}")
    held_back = sum(g != OTHER and p == OTHER and to_ask(t) == g for g, p, t in zip(gold, pred, raw, strict=True))
    print(f"asks whose right intent ranked first but fell under a threshold (fallback): {held_back}")
    multi = [i for i, r in enumerate(labels) if len(r["asks"]) > 1]
    if multi:
        any_hit = sum(pred[i] in labels[i]["asks"] for i in multi)
        print(f"messages with several asks: {len(multi)}; prediction is one of them: {any_hit}")
    pairs = collections.Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    print("top confusions (gold -> predicted ask): "
          + ", ".join(f"{g}->{p} {c}" for (g, p), c in pairs.most_common(6)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA, help="the tweet file (jsonl with a 'text' field)")
    ap.add_argument("--labels", type=Path, default=LABELS, help="labels of the random sample")
    ap.add_argument("--enriched", action="store_true", help="also score the keyword-enriched labels (not headline)")
    ap.add_argument("--show-errors", type=int, default=0, metavar="N", help="print N misclassified tweets (terminal)")
    ap.add_argument("--errors-split", choices=["dev", "heldout", "enriched"], default="dev")
    ap.add_argument("--fresh", action="store_true", help="train the model in a temporary cache directory")
    ap.add_argument("--per-message", action="store_true",
                    help="in process, language detected for each message on its own (no state across messages)")
    ap.add_argument("--rasa-model", metavar="PATH",
                    help="score a trained Rasa 3.x model instead (see bench/rasa_parse.py)")
    ap.add_argument("--rasa-python", metavar="PYTHON", default="python3.10", help="a Python with Rasa installed")
    args = ap.parse_args()

    if not args.data.is_file():
        sys.exit(f"tweet file not found: {args.data}\n(it lives outside the repository, in ../shared/data/; "
                 "pass its path with --data)")
    labels = load_labels(args.labels)
    enriched = load_labels(ENRICHED) if args.enriched else []
    texts_by_line, n_lines = load_texts(args.data, {r["line"] for r in labels + enriched})
    missing = [r["line"] for r in labels + enriched if r["line"] not in texts_by_line]
    if missing:
        sys.exit(f"{len(missing)} labelled line(s) not in {args.data} (e.g. {missing[:5]}): wrong file?")
    splits = split_of(labels, n_lines)
    rows = labels + enriched
    splits += ["enriched"] * len(enriched)
    texts = [texts_by_line[r["line"]] for r in rows]

    from bot.settings import get_settings

    action_threshold = float(get_settings().nlu_action_threshold)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        if args.fresh:
            env["CRISISBOT_CACHE_DIR"] = tmp
        if args.rasa_model:
            parses = parse_with_rasa(texts, args.rasa_python, args.rasa_model)
        elif args.per_message:
            if args.fresh:
                os.environ["CRISISBOT_CACHE_DIR"] = tmp
            parses = parse_in_process(texts)
        else:
            parses = parse_subprocess(texts, env)

    intents = [p["intent"]["name"] for p in parses]
    confs = [float(p["intent"]["confidence"]) for p in parses]
    pred = [to_ask(i) for i in intents]
    flow = [i in FLOW_INTENTS and c >= action_threshold for i, c in zip(intents, confs, strict=True)]
    base = [baseline(t) for t in texts]
    raw = [top_ranked(p) for p in parses]
    langs = collections.Counter(p.get("language", "?") for p in parses)

    mode = ("Rasa model " + Path(args.rasa_model).name if args.rasa_model
            else "in process, per message" if args.per_message else "one `crisisbot nlu parse` over stdin")
    print(f"{len(rows)} labelled tweets ({mode}); action threshold {action_threshold:.2f}; "
          f"languages detected: {dict(langs.most_common(5))}")
    print(f"split: held-out = sample index % 3 == 0; dev = the rest (seed {SAMPLE_SEED}, {SAMPLE_SIZE} sampled)")
    for name in ("heldout", "dev", "enriched"):
        idx = [i for i, s in enumerate(splits) if s == name]
        if not idx:
            continue
        title = {"heldout": "HELD-OUT (headline)", "dev": "DEV", "enriched": "ENRICHED (keyword-picked, not headline)"}
        report(title[name], [rows[i] for i in idx], [pred[i] for i in idx], [flow[i] for i in idx],
               [base[i] for i in idx], [raw[i] for i in idx])
    predicted = collections.Counter(intents[i] for i, s in enumerate(splits) if s != "enriched")
    print("\npredicted intents on the random sample: "
          + ", ".join(f"{k} {v}" for k, v in predicted.most_common()))

    if args.show_errors:
        idx = [i for i, s in enumerate(splits) if s == args.errors_split and pred[i] != rows[i]["ask"]]
        print(f"\n{min(args.show_errors, len(idx))} of {len(idx)} errors on {args.errors_split} "
              "(terminal only, never commit):")
        for i in idx[: args.show_errors]:
            r = rows[i]
            print(f"  line {r['line']:>5} gold {'/'.join(r['asks']) or OTHER:<28} pred {intents[i]:<14} "
                  f"{confs[i]:.2f} [{'sure' if r['sure'] else 'unsure'}] {texts[i]}")


if __name__ == "__main__":
    main()
