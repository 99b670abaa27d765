"""NLU figures: training time (all languages, on the machine's cores), parse latency p50/p99 and parses/s on one core,
peak memory.

    python bench/nlu.py [--tweets N]

The message set mixes generated passenger messages in every language with real tweets to airlines, read at run time
from ../shared/data/airline_tweets_2015.jsonl (relative to the repository root; never copied into the repository).
Set --show-tweets to print the intent distribution on the tweets and a sample of predictions (see bench/nlu_tweets.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TWEETS = ROOT.parent / "shared" / "data" / "airline_tweets_2015.jsonl"

TEMPLATES = {
    "en": ["can I fly {date} instead? booking {ref}", "is {flight} on time?", "cancel my booking {ref}",
           "my bag is lost",
           "the second one", "I want to talk to a human", "where is my refund", "my name is Jansen", "ok", "thanks!"],
    "nl": ["kan ik {date} vliegen? boekingscode {ref}", "heeft {flight} vertraging?", "annuleer mijn boeking",
           "mijn koffer is kwijt", "de tweede", "ik wil een medewerker spreken", "ja graag", "naar Parijs graag"],
    "fr": ["je voudrais changer mon vol pour vendredi prochain", "mon vol {flight} est-il à l'heure ?",
           "annulez ma réservation {ref}", "la deuxième", "je veux parler à quelqu'un", "merci beaucoup"],
    "de": ["kann ich übermorgen fliegen? Buchungsnummer {ref}", "ist {flight} pünktlich?", "bitte stornieren",
           "die zweite bitte", "mein Koffer ist weg", "ich möchte mit einem Mitarbeiter sprechen"],
    "es": ["¿puedo volar el próximo viernes?", "¿mi vuelo {flight} sale a tiempo?", "cancelen mi reserva {ref}",
           "la segunda", "quiero hablar con una persona"],
    "it": ["posso partire domani invece?", "il volo {flight} è in ritardo?", "annullate la mia prenotazione",
           "la seconda", "voglio parlare con un operatore"],
    "pt": ["posso voar amanhã em vez disso?", "o voo {flight} está atrasado?", "cancelem a minha reserva", "a segunda"],
    "pl": ["czy mogę polecieć jutro?", "czy lot {flight} jest opóźniony?", "anuluj moją rezerwację", "drugi"],
    "sv": ["kan jag flyga i morgon istället?", "är {flight} försenat?", "avboka min bokning", "den andra"],
    "da": ["kan jeg flyve i morgen i stedet?", "er {flight} forsinket?", "afbestil min booking", "den anden"],
    "ru": ["можно перенести рейс на завтра? бронь {ref}", "рейс {flight} задерживается?", "отмените мою бронь",
           "второй", "хочу поговорить с оператором", "фамилия Иванов", "спасибо!"],
    "tr": ["uçuşumu yarına alabilir misiniz? rezervasyon {ref}", "{flight} rötarlı mı?", "rezervasyonumu iptal edin",
           "ikincisi", "temsilciyle görüşmek istiyorum", "soyadım Yılmaz", "teşekkürler"],
    "ja": ["明日の便に変更できますか？予約番号{ref}", "{flight}は遅れていますか？", "予約をキャンセルしてください",
           "2番目でお願いします", "担当者と話したいです", "ありがとうございます"],
    "zh": ["能改到明天吗？预订号{ref}", "{flight}延误了吗？", "请取消我的预订", "第二个", "转人工", "我姓王", "谢谢"],
}


def messages(n_tweets: int) -> list[tuple[str, str]]:
    rnd = random.Random(7)
    out = []
    for _ in range(60):
        for lang, temps in TEMPLATES.items():
            t = rnd.choice(temps)
            out.append((lang, t.format(date=rnd.choice(["tomorrow", "3 december", "23/11", "next friday"]),
                                       ref="".join(rnd.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6)),
                                       flight=f"KL{rnd.randint(100, 1999)}")))
    if TWEETS.is_file():
        with TWEETS.open(encoding="utf-8") as f:
            tweets = [json.loads(line)["text"] for line in f]
        rnd.shuffle(tweets)
        out += [("en", t) for t in tweets[:n_tweets]]
    rnd.shuffle(out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tweets", type=int, default=3000)
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    from bot.nlu import build_language_detector
    from bot.nlu.embedded import EmbeddedBackend
    from bot.settings import Settings

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tmp = tempfile.TemporaryDirectory()
    settings = Settings(cache_dir=Path(tmp.name))
    backend = EmbeddedBackend(settings)
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    backend.load_or_train()
    train = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # training runs in a child process: its CPU time says what the wall clock hides on a shared machine
    train_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    # parsing is measured on one core (training used the machine's cores: the solver's fits run in threads)
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cached = EmbeddedBackend(settings)
    t0 = time.perf_counter()
    cached.load_or_train()
    load = time.perf_counter() - t0
    model = backend.model
    print(f"training: {train:.1f} s wall, {train_cpu:.1f} s CPU for {len(model.languages)} languages, "
          f"{model.n_examples} examples ({cores} cores; intent and language models); loading from cache: {load:.2f} s")
    t0 = time.perf_counter()
    detector = build_language_detector(settings)
    print(f"language detector build (lingua + domain language model, trained and cached): "
          f"{time.perf_counter() - t0:.2f} s")
    msgs = messages(args.tweets)
    ctx = {"now": "2026-11-23T12:00:00+00:00"}
    lat, det_lat, cpu_lat = [], [], []
    for lang, text in msgs:
        t0, c0 = time.perf_counter(), time.thread_time()
        backend.parse_sync(text, lang, context=ctx)
        lat.append(time.perf_counter() - t0)
        cpu_lat.append(time.thread_time() - c0)
        t0 = time.perf_counter()
        detector.detect(text, lang)
        det_lat.append(time.perf_counter() - t0)
    lat.sort()
    det_lat.sort()
    cpu_lat.sort()

    def pct(xs: list[float], p: float) -> float:
        return xs[min(len(xs) - 1, int(len(xs) * p))] * 1000

    total = sum(lat)
    print(f"parse (intent + entities), {len(lat)} messages: p50 {pct(lat, .5):.2f} ms, p99 {pct(lat, .99):.2f} ms, "
          f"max {lat[-1] * 1000:.1f} ms, {len(lat) / total:.0f} parses/s on one core")
    # CPU time per parse: what the wall clock shows on a machine nobody else uses (a busy one preempts the bench)
    print(f"parse CPU time: p50 {pct(cpu_lat, .5):.2f} ms, p99 {pct(cpu_lat, .99):.2f} ms")
    print(f"language detection: p50 {pct(det_lat, .5):.3f} ms, p99 {pct(det_lat, .99):.3f} ms, "
          f"mean {statistics.mean(det_lat) * 1000:.3f} ms")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS with training: {rss:.0f} MB (interpreter and imports before training: {rss0:.0f} MB)")
    print(f"peak RSS serving (model from cache + language detector + 200 parses): {serving_rss(settings):.0f} MB")
    tmp.cleanup()


def serving_rss(settings: object) -> float:
    """A fresh process that loads the cached model, builds the detector and parses: what a running bot pays."""
    import subprocess

    code = "\n".join([
        "import resource, sys",
        "sys.path.insert(0, " + repr(str(ROOT)) + ")",
        "from bot.settings import Settings",
        "from bot.nlu.embedded import EmbeddedBackend",
        "from bot.nlu import build_language_detector",
        "s = Settings(cache_dir=" + repr(str(settings.cache_dir)) + ")",
        "b = EmbeddedBackend(s); b.load_or_train(); assert b.from_cache",
        "d = build_language_detector(s); assert d.domain_model is not None",
        "for i in range(200): b.parse_sync('can I fly tomorrow %d' % i, 'en'); d.detect('kan ik morgen vliegen')",
        # ru_maxrss survives execve on Linux (it would report the parent's peak): read this process's own VmHWM
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')]",
        "print(int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)",
    ])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
