"""The embedded NLU backend: one multilingual linear intent model trained on every intents/<lang>.yml.

Features: TF-IDF over character n-grams (char_wb 2-5) and word unigrams/bigrams of a normalised text (folded,
placeholders for mentions, URLs, numbers, times and codes, emoji as words). Classifier: LinearSVC, confidences by a
softmax with a temperature fitted on held-out data. Pooling the languages beats per-language models by ~5 points of
macro-F1 in cross-validation. Trained models are cached under ``settings.cache_dir/nlu`` keyed by a hash of the
training files and the code version; training runs in a child process. Entities come from ``bot.nlu.entities``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import math
import os
import re
import threading
import time
import uuid
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import ContentErrors, NLUError
from bot.nlu.asks import (
    ASK_MARGINS,
    BOOKING_ARTEFACT,
    CUE_FEATURES,
    CUE_WEIGHT,
    INTENT_WEIGHT,
    CueReader,
    ask_labels,
    asks_from_scores,
    read_feelings,
)
from bot.nlu.base import FALLBACK_INTENT, Entity, IntentPrediction, NLUBackend, Parse, parse_payload
from bot.nlu.cjk import CJK_CLASS
from bot.nlu.cues import ASKS
from bot.nlu.entities import EntityExtractor
from bot.nlu.lexicon import is_angry
from bot.nlu.spelling import Speller
from bot.nlu.text import WORD_RE, fold, normalize_for_classifier, sanitize
from bot.nlu.training_data import TrainingData, load_training_data, training_files

log = logging.getLogger(__name__)

MODEL_VERSION = "embedded-9-seeded"  # bump when features, classifier or normalisation change
RANKING_SIZE = 10
SVC_C = 1.0  # regularisation of the LinearSVC (chosen by cross-validation on intents/)
CLASS_WEIGHT: str | None = None
LANGUAGE_WORDS = True
# length augmentation: pairs of examples of the same intent and language joined into one longer message, so that
# length alone (real messages are long and chatty, most training examples short) does not point to one intent
AUGMENT_PAIRS = 0.25  # pairs per intent and language, as a share of its examples (0 = off)
_NO_PAIRS = frozenset({"choose_option", "provide_info", "affirm", "deny", "stop"})  # answers in a flow stay short
# intents that start a flow or a lookup: a wrong one (a rebooking started from a complaint) costs the passenger more
# than a clarifying question, so below this confidence they become nlu_fallback (the ranking keeps them, so the
# dialogue can still ask "do you want to rebook?"). On the 600 real tweets of bench/nlu_real.py, 0.65 cuts the
# wrong-flow rate by about a third for ~1.5 points of accuracy; in-domain messages are far above it. "stop" ends
# what the passenger was doing, so a guess ("det tidigaste" at 0.52, "quiero otro vuelo") must not end it either.
ACTIONABLE_INTENTS = frozenset({"rebook", "cancel", "flight_status", "request_human", "crisis_info", "baggage",
                                "refund_status", "stop"})
ACTION_THRESHOLD = 0.65
MAX_CLASSIFIER_CHARS = 2000  # the intent of a long message is in its first lines
_WS_RE = re.compile(r"\s\s+")
# words; Chinese and Japanese (no spaces) are read one character at a time, so word bigrams are character bigrams
_TOKEN_RE = re.compile(f"(?u)[{CJK_CLASS}]|[^\\W{CJK_CLASS}]+")


def _vectorizers(max_chars: int | None = None, max_words: int | None = None) -> tuple[Any, Any]:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32,
                            max_features=max_chars)
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=_TOKEN_RE.pattern,
                            dtype=np.float32, max_features=max_words)
    return chars, words


def build_pipeline() -> Any:
    """The same features and classifier as a scikit-learn Pipeline (for experiments; the backend uses train_model)."""
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    chars, words = _vectorizers()
    return Pipeline([("features", FeatureUnion([("chars", chars), ("words", words)])), ("clf", LinearSVC(C=1.0))])


@dataclass
class IntentModel:
    """A trained linear intent model with its own dependency-free featuriser (sklearn's transform costs ~1 ms)."""

    classes: list[str]
    char_vocab: dict[str, int]
    char_idf: Any  # np.ndarray[float32]
    word_vocab: dict[str, int]
    word_idf: Any
    weights: Any  # (n_char + n_word, n_classes) float32
    bias: Any
    temperature: float
    digest: str = ""
    n_examples: int = 0
    languages: tuple[str, ...] = ()
    vocabulary: frozenset[str] = field(default_factory=frozenset)
    language_words: bool = False  # word features also tagged with the message language ("tak" pl = yes, da = thanks)
    ask_model: Any = None  # IntentModel over ASKS (one-vs-rest decision scores, cue tokens in the text)
    cue_patterns: tuple[tuple[str, str], ...] = ()  # regex items of the training data (ask_*, feeling_*)
    cue_features: tuple[str, ...] = ()  # ask model: extra feature columns after the word block, one per cue

    def cue_scores(self, normalized: str, found: list[str], language: str | None = None) -> Any:
        """Decision scores of the text plus the cue columns that fire (``found``: cue feature names)."""
        raw, _ = self.scores(normalized, language)
        base = len(self.char_vocab) + len(self.word_vocab)
        for name in found:
            if name in self.cue_features:
                raw = raw + CUE_WEIGHT * self.weights[base + self.cue_features.index(name)]
        return raw

    @staticmethod
    def _char_ngrams(text: str) -> list[str]:
        out: list[str] = []
        append = out.append
        for w in text.split():
            w = " " + w + " "
            n_w = len(w)
            for n in range(2, 6):
                if n_w < n:
                    append(w)
                    break
                for i in range(n_w - n + 1):
                    append(w[i:i + n])
        return out

    @staticmethod
    def _word_ngrams(text: str) -> list[str]:
        toks = _TOKEN_RE.findall(text)
        return toks + [a + " " + b for a, b in itertools.pairwise(toks)]

    def _block(self, grams: list[str], vocab: dict[str, int], idf: Any, offset: int) -> tuple[list[int], list[float]]:
        counts: dict[int, int] = {}
        for g in grams:
            j = vocab.get(g)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return [], []
        idx = list(counts)
        vals = [(1.0 + math.log(c)) * float(idf[j]) for j, c in counts.items()]
        norm = math.sqrt(sum(v * v for v in vals)) or 1.0
        return [offset + j for j in idx], [v / norm for v in vals]

    def scores(self, normalized: str, language: str | None = None) -> tuple[Any, float]:
        """Decision scores per class, and how familiar the text is (1.0: every feature seen in training)."""
        import numpy as np

        text = _WS_RE.sub(" ", normalized.lower())
        chars = self._char_ngrams(text)
        words = self._word_ngrams(_word_input(text, language) if self.language_words and language else text)
        ci, cv = self._block(chars, self.char_vocab, self.char_idf, 0)
        wi, wv = self._block(words, self.word_vocab, self.word_idf, len(self.char_vocab))
        idx = ci + wi
        if not idx:
            return self.bias.copy(), 0.0
        familiar = 1.0
        if not wi:  # not one known word: trust the character n-grams only as far as they are known
            familiar = min(1.0, sum(1 for g in chars if g in self.char_vocab) / max(1, len(chars)) / 0.8)
        vals = np.asarray(cv + wv, dtype=np.float32)
        return vals @ self.weights[idx] + self.bias, familiar

    def predict(self, normalized: str, language: str | None = None) -> list[tuple[str, float]]:
        import numpy as np

        raw, familiar = self.scores(normalized, language)
        s = raw * (self.temperature * familiar * familiar)
        s = np.exp(s - s.max())
        p = s / s.sum()
        order = np.argsort(-p)
        return [(self.classes[i], float(p[i])) for i in order]


def language_tag(language: str, word: str) -> str:
    return f"{word}_{language}"


def _word_input(text: str, language: str) -> str:
    """What the word vectoriser sees when words are language-tagged: the text, then its words tagged again."""
    return text + " " + " ".join(language_tag(language, w) for w in _TOKEN_RE.findall(text.lower()))


def names_only(datas: list[TrainingData]) -> frozenset[str]:
    """Words (folded) that the training data only uses as annotated last names ("Schröder"): no known word, or a
    German passenger's surname would read as a noun and never as their name."""
    names: set[str] = set()
    other: set[str] = set()
    for td in datas:
        for ex in td.examples:
            chars = list(ex.text)
            for ent in ex.entities:
                if ent.entity == "last_name":
                    names.update(WORD_RE.findall(fold(ex.text[ent.start:ent.end])))
                chars[ent.start:ent.end] = " " * (ent.end - ent.start)
            other.update(WORD_RE.findall(fold("".join(chars))))
    return frozenset(names - other)


def _fit_temperature(scores: Any, y_idx: Any) -> float:
    """The softmax temperature that minimises the log-loss of held-out decision scores."""
    import numpy as np

    best_t, best_nll = 1.0, float("inf")
    for t in np.geomspace(0.5, 40, 60):
        z = scores * t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nll = -logp[np.arange(len(y_idx)), y_idx].mean()
        if nll < best_nll:
            best_t, best_nll = float(t), float(nll)
    return best_t


def train_model(datas: list[TrainingData], digest: str = "", *, calibrate: bool = True,
                normalizer: Any = normalize_for_classifier, by_language: bool = False,
                max_features: tuple[int, int] | None = None, language_words: bool | None = None,
                augment: float | None = None) -> IntentModel:
    """Train one multilingual model on the examples of every language (pooling helps each language)."""
    import numpy as np
    from sklearn.svm import LinearSVC

    if language_words is None:
        language_words = LANGUAGE_WORDS
    texts: list[str] = []
    labels: list[str] = []
    langs: list[str] = []
    share = AUGMENT_PAIRS if augment is None else augment
    for td in datas:
        t, y = td.texts_and_labels()
        texts += t
        langs += [td.language] * len(t)
        labels += [td.language] * len(t) if by_language else y
    n_examples = len(texts)
    vocab = frozenset(w for t in texts for w in WORD_RE.findall(fold(t)))
    if len(set(labels)) < 2:
        raise NLUError("training data needs at least two intents")
    if share > 0 and not by_language:
        pairs = _pairs(texts, labels, langs, share)
        texts += [p[0] for p in pairs]
        labels += [p[1] for p in pairs]
        langs += [p[2] for p in pairs]
    norm = [normalizer(t[:MAX_CLASSIFIER_CHARS]) for t in texts]
    chars, words = _vectorizers(*(max_features or (None, None)))
    from scipy.sparse import hstack

    word_docs = [_word_input(n, lang) for n, lang in zip(norm, langs, strict=True)] if language_words else norm
    x = hstack([chars.fit_transform(norm), words.fit_transform(word_docs)]).tocsr()
    # The solver releases the GIL: the fits run on the other cores while this thread builds the ask model's features
    # (all languages train in about half the wall time on two cores; the models are the same as one by one).
    with ThreadPoolExecutor(max_workers=_training_threads()) as pool:
        main_fit = pool.submit(LinearSVC(C=SVC_C, class_weight=CLASS_WEIGHT, random_state=0).fit, x, labels)
        held_fit = None
        y_arr = np.asarray(labels)
        if calibrate and len(texts) >= 60:
            from sklearn.model_selection import train_test_split

            try:
                tr, te = train_test_split(np.arange(len(labels)), test_size=0.2, random_state=7, stratify=y_arr)
            except ValueError:
                tr, te = train_test_split(np.arange(len(labels)), test_size=0.2, random_state=7)
            held_fit = pool.submit(LinearSVC(C=SVC_C, class_weight=CLASS_WEIGHT, random_state=0).fit,
                                   x[tr], y_arr[tr])
        ask_model = None
        cue_patterns = tuple(r for td in datas for r in td.regexes if r[0].startswith(("ask_", "feeling_")))
        if not by_language:
            ask_model = train_ask_model(datas, CueReader(list(cue_patterns)), normalizer, language_words, pool=pool)
        clf = main_fit.result()
        held = held_fit.result() if held_fit is not None else None
    classes = [str(c) for c in clf.classes_]
    temperature = 8.0
    if held is not None:
        if list(held.classes_) == list(clf.classes_):
            pos = {c: i for i, c in enumerate(classes)}
            held_scores = held.decision_function(x[te])
            if held_scores.ndim == 1:  # two classes: sklearn gives one column
                held_scores = np.stack([-held_scores, held_scores], axis=1)
            temperature = _fit_temperature(held_scores, np.array([pos[c] for c in y_arr[te]]))
    coef = np.asarray(clf.coef_, dtype=np.float32)
    bias = np.asarray(clf.intercept_, dtype=np.float32)
    if coef.shape[0] == 1:  # two classes: sklearn keeps one row
        coef = np.vstack([-coef, coef])
        bias = np.array([-bias[0], bias[0]], dtype=np.float32)
    return IntentModel(
        ask_model=ask_model,
        cue_patterns=cue_patterns,
        classes=classes,
        char_vocab={k: int(v) for k, v in chars.vocabulary_.items()},
        char_idf=np.asarray(chars.idf_, dtype=np.float32),
        word_vocab={k: int(v) for k, v in words.vocabulary_.items()},
        word_idf=np.asarray(words.idf_, dtype=np.float32),
        weights=np.ascontiguousarray(coef.T),
        bias=bias,
        temperature=temperature,
        digest=digest,
        n_examples=n_examples,
        languages=tuple(td.language for td in datas),
        vocabulary=vocab,
        language_words=language_words,
    )


ASK_PAIRS = 0.5  # joined pairs of any two examples of a language, per example, for the ask model
ASK_C = 0.5  # regularisation of the ask model's classifiers
ASK_TRAIN_ONLY = frozenset({"choose_option", "provide_info", "affirm", "deny", "stop"})  # not joined into pairs


def _training_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def train_ask_model(datas: list[TrainingData], cues: CueReader, normalizer: Any = normalize_for_classifier,
                    language_words: bool = True, *, pool: Executor | None = None) -> IntentModel:
    """One binary linear classifier per ask (rebook, cancel, flight_status, request_human), trained on every example
    (its intent mapped to its ask, or none) plus pairs of examples joined into one message with the union of asks."""
    import random

    import numpy as np
    from scipy.sparse import hstack
    from sklearn.svm import LinearSVC

    rnd = random.Random(13)
    texts: list[str] = []
    labels: list[frozenset[str]] = []
    langs: list[str] = []
    for td in datas:
        ex = [(e.text, ask_labels(e.intent)) for e in td.examples]
        texts += [t for t, _ in ex]
        labels += [y for _, y in ex]
        langs += [td.language] * len(ex)
        long = [(e.text, ask_labels(e.intent)) for e in td.examples if e.intent not in ASK_TRAIN_ONLY]
        if len(long) >= 4:
            for _ in range(int(len(long) * ASK_PAIRS)):
                (a, ya), (b, yb) = rnd.sample(long, 2)
                texts.append(a.rstrip() + rnd.choice([". ", " ", "! ", "... ", ", "]) + b.lstrip())
                labels.append(ya | yb)
                langs.append(td.language)
    norm = [normalizer(t[:MAX_CLASSIFIER_CHARS]) for t in texts]
    chars, words = _vectorizers()
    word_docs = [_word_input(n, lang) for n, lang in zip(norm, langs, strict=True)] if language_words else norm
    from scipy.sparse import csr_matrix

    rows, cols = [], []
    for i, n in enumerate(norm):
        for name in cues.features(n):
            rows.append(i)
            cols.append(CUE_FEATURES.index(name))
    cue_x = csr_matrix((np.full(len(rows), CUE_WEIGHT, dtype=np.float32), (rows, cols)),
                       shape=(len(norm), len(CUE_FEATURES)))
    x = hstack([chars.fit_transform(norm), words.fit_transform(word_docs), cue_x]).tocsr()
    coefs, biases = [], []
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(ThreadPoolExecutor(max_workers=_training_threads()))
        fits: list[Future[Any] | None] = []
        for a in ASKS:
            y = np.array([a in lab for lab in labels], dtype=np.int8)
            both = 0 < y.sum() < len(y)
            fits.append(pool.submit(LinearSVC(C=ASK_C, random_state=0).fit, x, y) if both else None)
        for fit in fits:
            if fit is None:  # no example (or only examples) of this ask: it is never reported
                coefs.append(np.zeros(x.shape[1], dtype=np.float32))
                biases.append(-1.0)
                continue
            clf = fit.result()
            coefs.append(np.asarray(clf.coef_[0], dtype=np.float32))
            biases.append(float(clf.intercept_[0]))
    return IntentModel(
        classes=list(ASKS),
        char_vocab={k: int(v) for k, v in chars.vocabulary_.items()},
        char_idf=np.asarray(chars.idf_, dtype=np.float32),
        word_vocab={k: int(v) for k, v in words.vocabulary_.items()},
        word_idf=np.asarray(words.idf_, dtype=np.float32),
        weights=np.ascontiguousarray(np.stack(coefs, axis=1)),
        bias=np.asarray(biases, dtype=np.float32),
        temperature=1.0,
        n_examples=len(texts),
        language_words=language_words,
        cue_features=CUE_FEATURES,
    )


def _pairs(texts: list[str], labels: list[str], langs: list[str], share: float) -> list[tuple[str, str, str]]:
    """Longer examples made of two examples of the same intent and language (seeded, so training is repeatable)."""
    import random

    rnd = random.Random(11)
    groups: dict[tuple[str, str], list[str]] = {}
    for t, y, lang in zip(texts, labels, langs, strict=True):
        if y not in _NO_PAIRS:
            groups.setdefault((lang, y), []).append(t)
    out: list[tuple[str, str, str]] = []
    for (lang, y), xs in sorted(groups.items()):
        if len(xs) < 5:
            continue
        for _ in range(max(2, int(len(xs) * share))):
            a, b = rnd.sample(xs, 2)
            out.append((a.rstrip() + ". " + b.lstrip(), y, lang))
    return out


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    h.update(MODEL_VERSION.encode())
    try:  # the version without importing scikit-learn (70 MB) when the model comes from the cache
        from importlib.metadata import version

        h.update(version("scikit-learn").encode())
    except Exception:
        pass
    for p in sorted(paths):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    for code in (Path(__file__).with_name("cues.py"), Path(__file__).with_name("asks.py")):  # features of the model
        h.update(code.read_bytes())
    return h.hexdigest()[:24]


class EmbeddedBackend(NLUBackend):
    """Trains (or loads from cache) the intent model from intents/*.yml; parses in well under a millisecond."""

    name = "embedded"

    def __init__(self, settings: Any = None, *, content_dir: Path | str | None = None,
                 cache_dir: Path | str | None = None, languages: tuple[str, ...] | list[str] | None = None,
                 use_cache: bool = True, train_in_subprocess: bool = True) -> None:
        if settings is None:
            from bot.settings import get_settings

            settings = get_settings()
        self.settings = settings
        self.content_dir = Path(content_dir or settings.content_dir)
        self.cache_dir = Path(cache_dir or settings.cache_dir) / "nlu"
        self.languages = tuple(languages or settings.languages)
        self.threshold = float(settings.nlu_threshold)
        # a setting when the lead adds one (CRISISBOT_NLU_ACTION_THRESHOLD); never below the general threshold
        self.action_threshold = max(self.threshold, float(getattr(settings, "nlu_action_threshold", ACTION_THRESHOLD)))
        self.default_language = settings.default_language
        self.use_cache = use_cache
        self.model: IntentModel | None = None
        self.extractor: EntityExtractor | None = None
        self.train_seconds = 0.0
        self.from_cache = False
        self.train_in_subprocess = train_in_subprocess
        self._lock = threading.Lock()
        self.cues = CueReader()
        self.speller = Speller()
        self.ask_margins = dict(ASK_MARGINS)

    # -- lifecycle ---------------------------------------------------------------------------------------------------
    async def initialize(self) -> None:
        if self.model is None:
            await asyncio.to_thread(self.load_or_train)

    def load_or_train(self) -> None:
        with self._lock:
            if self.model is not None:
                return
            files = training_files(self.content_dir, self.languages)
            if not files:
                raise NLUError(f"no training data under {self.content_dir / 'intents'}")
            t0 = time.perf_counter()
            datas: list[TrainingData] = []
            for lang, path in files.items():
                td, errors = load_training_data(path, lang)
                if errors:
                    raise NLUError(f"invalid training data {path}: {ContentErrors(errors)}")
                datas.append(td)
            digest = _digest(list(files.values()))
            model = self._load_cached(digest)
            self.from_cache = model is not None
            if model is None and self.use_cache and self.train_in_subprocess:
                # training needs scikit-learn and ~250 MB at its peak: do it in a child process that writes the
                # cache, so this (long-running) process only ever holds the small trained model
                if _train_in_child(self.content_dir, self.languages, self.cache_dir.parent):
                    model = self._load_cached(digest)
            if model is None:
                model = train_model(datas, digest)
                self._save_cached(model)
            synonyms: dict[str, str] = {}
            for td in datas:
                synonyms.update(td.synonyms)
            self.extractor = EntityExtractor(default_carrier=self.settings.airline_code, synonyms=synonyms,
                                             known_words=model.vocabulary - names_only(datas))
            self.cues = CueReader(list(model.cue_patterns))
            self.model = model
            self.train_seconds = time.perf_counter() - t0
            # warm up: first calls pay for lazy imports and regex compilation
            for lang in files:
                self.parse_sync("hello tomorrow KL1234 ABC123 3 december", lang)

    def _cache_path(self, digest: str) -> Path:
        return self.cache_dir / f"intents-{digest}.pickle"

    def _load_cached(self, digest: str) -> IntentModel | None:
        if not self.use_cache:
            return None
        p = self._cache_path(digest)
        if not p.is_file():
            return None
        try:
            model = _load_pickle(p)
        except Exception as exc:
            log.warning("nlu cache %s unreadable (%s), retraining", p.name, exc)
            return None
        if not isinstance(model, IntentModel) or model.digest != digest:
            return None
        return model

    def _save_cached(self, model: IntentModel) -> None:
        if not self.use_cache:
            return
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            for old in [*self.cache_dir.glob("intents-*.joblib"), *self.cache_dir.glob("intents-*.pickle")]:
                old.unlink(missing_ok=True)
            final = self._cache_path(model.digest)
            tmp = final.with_suffix(f".{uuid.uuid4().hex}.tmp")
            _dump_pickle(model, tmp)
            tmp.replace(final)
        except OSError as exc:
            log.warning("cannot write nlu cache in %s: %s", self.cache_dir, exc)

    # -- parsing -----------------------------------------------------------------------------------------------------
    async def parse(self, text: str, language: str, *, context: dict[str, Any] | None = None) -> Parse:
        if self.model is None:
            await self.initialize()
        if isinstance(text, str) and text.startswith("/") and (direct := parse_payload(text, language)) is not None:
            return direct  # a pressed button with a Rasa-style payload
        return self.parse_sync(text, language, context=context)

    def parse_sync(self, text: Any, language: str, *, context: dict[str, Any] | None = None) -> Parse:
        if self.model is None or self.extractor is None:
            raise NLUError("the embedded NLU backend is not initialised")
        ctx = context or {}
        clean, flags = sanitize(text)
        supported = language in self.languages and ctx.get("language_supported", True) is not False
        lang = language if supported else ("en" if "en" in self.languages else self.default_language)
        if not supported:
            flags.append("unsupported_language")
        if "empty" in flags or ("binary" in flags and sum(c.isalpha() for c in clean) < 2):
            if "empty" not in flags:
                flags.append("empty")
            return Parse("" if "binary" in flags else clean, lang, IntentPrediction(FALLBACK_INTENT, 1.0), (), (),
                         tuple(flags))
        try:
            entities = self.extractor.extract(clean, lang, ctx)
        except Exception:
            log.exception("entity extraction failed")
            entities = []
        normalized = normalize_for_classifier(BOOKING_ARTEFACT.sub("booking", _without_data(clean, entities)))
        normalized = self.speller.correct(normalized, lang)  # "chnage my flgiht" reads as "change my flight"
        ranking = self.model.predict(normalized, lang)
        cue_features = self.cues.features(normalized)  # the ask model's cue columns; also read below
        asks: list[Any] = []
        if self.model.ask_model is not None:
            ask_scores = self.model.ask_model.cue_scores(normalized, cue_features, lang)
            if SENTENCE_ASKS and any(e.entity == "booking_reference" for e in entities):
                # a request after a story, with the booking ("waiting for hours with two kids. change my flight
                # X7K2PQ Jansen"): the last sentence is read on its own too. Only with a booking: in tweets without
                # one, the last sentence alone sends more stories into a flow (dev tweets: wrong-flow 4.1 -> 4.5 %)
                for part in _sentences(normalized)[-1:]:
                    part_scores = self.model.ask_model.cue_scores(part, self.cues.features(part), lang)
                    ask_scores = [max(float(a), float(b)) for a, b in zip(ask_scores, part_scores, strict=True)]
            probs = dict(ranking)
            ask_scores = [float(sc) + INTENT_WEIGHT * probs.get(a, 0.0)
                          for a, sc in zip(self.model.ask_model.classes, ask_scores, strict=True)]
            asks = asks_from_scores(self.model.ask_model.classes, ask_scores, self.ask_margins)
        ranking = combine(self._adjust(clean, ranking, entities, ctx), asks, ctx)
        ask_cue = next((a for a in ("cancel", "rebook") if a in cue_features), None)
        if ranking[0][0] == "affirm" and ctx.get("expecting") != "confirmation" and ask_cue is not None:
            # "ok, just cancel it", "ja umbuchen auf freitag" with no yes/no question open: not agreement, the
            # cancellation or the new flight is the ask
            ranking = [(ask_cue, max(ranking[0][1], 0.9)), *((n, c * 0.1) for n, c in ranking if n != ask_cue)]
        colleague = _COLLEAGUE.search(normalized) if len(normalized.split()) <= 8 else None
        if (ranking[0][0] != "request_human" and colleague is not None
                and not _POSSESSIVE_BEFORE.search(normalized[:colleague.start()])):
            # the bot says "you can ask for a colleague": "I want a colleague", "ik wil een collega", "我要找同事"
            ranking = [("request_human", max(ranking[0][1], 0.9)),
                       *((n, c * 0.1) for n, c in ranking if n != "request_human")]
        top_name, top_conf = ranking[0]
        preds = tuple(IntentPrediction(n, c) for n, c in ranking[:RANKING_SIZE])
        if top_conf < self.threshold or (top_name in ACTIONABLE_INTENTS and top_conf < self.action_threshold):
            intent = IntentPrediction(FALLBACK_INTENT, self.threshold)
            preds = (intent, *preds[: RANKING_SIZE - 1])
        else:
            intent = IntentPrediction(top_name, top_conf)
        feelings = read_feelings(clean, normalized, self.cues)
        if is_angry(clean):
            flags.append("angry")
        for feeling, flag in (("urgency", "urgent"), ("distress", "distress"), ("sarcasm", "sarcasm")):
            if feeling in feelings:
                flags.append(flag)
        flags.extend(self.cues.situation_flags(normalized, cue_features))
        return Parse(clean, lang, intent, preds, tuple(entities), tuple(flags),
                     asks=tuple(IntentPrediction(a.name, a.confidence) for a in asks), feelings=tuple(feelings))

    def _adjust(self, text: str, ranking: list[tuple[str, float]], entities: list[Entity],
                ctx: dict[str, Any]) -> list[tuple[str, float]]:
        """Rules a linear model over words cannot know: a message made only of data is provide_info (or
        choose_option when options are on offer); with nothing on offer, "the first flight tomorrow" is no choice."""
        on_offer = bool(ctx.get("options")) or ctx.get("expecting") in ("option", "confirmation")
        if ranking[0][0] == "choose_option" and not on_offer:
            rest = ranking[1:]
            if rest:  # second place at half the new first's weight, then renormalised
                demoted = [*rest, ("choose_option", rest[0][1] * 0.5)]
                total = sum(c for _, c in demoted) or 1.0
                ranking = sorted(((n, c / total) for n, c in demoted), key=lambda nc: -nc[1])
        if not entities:
            return ranking
        chars = list(text)
        for e in entities:
            chars[e.start:e.end] = [" "] * (e.end - e.start)
        leftover = [w for w in WORD_RE.findall(fold("".join(chars))) if not w.isdigit()]
        filler = {"my", "is", "and", "on", "the", "please", "pls", "code", "name", "booking", "reference", "flight",
                  "date", "it", "its", "here", "ref", "mijn", "en", "op", "graag", "et", "le", "la", "und", "am",
                  "bitte", "y", "el", "e", "il", "o", "i", "och", "og", "na", "z", "w", "de", "van", "do", "da"}
        leftover = [w for w in leftover if w not in filler]
        kinds = {e.entity for e in entities}
        expecting = ctx.get("expecting")
        target = None
        if "option" in kinds and on_offer and (expecting == "option" or not leftover) and len(leftover) <= 3:
            target = "choose_option"
        elif (not leftover and kinds - {"option"}) or (
            expecting in ("last_name", "booking_reference")
            and kinds & {"last_name", "booking_reference"}
            and len(leftover) <= 2
        ):
            target = "provide_info"
        if target is None:
            return ranking
        top_name, top_conf = ranking[0]
        if top_name == target and top_conf >= 0.8:
            return ranking
        boosted = [(n, c * 0.1) for n, c in ranking if n != target]
        target_conf = 1.0 - sum(c for _, c in boosted)
        return [(target, target_conf), *boosted]


IN_FLOW_ANSWERS = frozenset({"choose_option", "provide_info", "affirm", "deny", "stop"})


_DATA_ENTITIES = frozenset({"booking_reference", "last_name"})
# the word the bot uses for a person, in every language ("ask for a colleague"); a short message with it asks for one
_COLLEAGUE = re.compile(r"\b(?:colleagues?|collega'?s?|collegh[ie]|coll[eè]gues?|kolleg\w*|compa[nñ]ero|colegas?|"
                        r"konsultant\w*|коллег\w*|meslekta[sş]\w*)\b|担当者|同事")
# "my colleague got a refund": someone's colleague, not a request for ours
_POSSESSIVE_BEFORE = re.compile(r"\b(?:my|our|his|her|their|mijn|onze|zijn|haar|mein\w*|unser\w*|sein\w*|ihr\w*|mon|ma|"
                                r"mes|notre|son|sa|mi|mis|nuestr\w*|su|sus|mio|mia|miei|mie|meu|minha|meus|min|mitt|"
                                r"mina|mine|moj\w*|mój|мо[йяеи]\w*|наш\w*)\s+$|我的$|我们的$")
SENTENCE_ASKS = True
_SENTENCE_END = re.compile(r"(?<=[.!?;\n。！？])\s+")


def _sentences(normalized: str) -> list[str]:
    """The sentences of a message of several (each with at least two words); none for a one-sentence message."""
    parts = [p for p in _SENTENCE_END.split(normalized) if len(p.split()) >= 2]
    return parts if len(parts) >= 2 else []


def _without_data(text: str, entities: list[Entity]) -> str:
    """What the classifiers read: the text without the booking reference and the name in it ("rebook ERGBJF de boer"
    is "rebook"; a random code or a surname says nothing about the ask), unless nothing else is left."""
    text = text[:MAX_CLASSIFIER_CHARS]
    spans = [(e.start, e.end) for e in entities if e.entity in _DATA_ENTITIES and e.end <= len(text)]
    if not spans:
        return text
    chars = list(text)
    for a, b in spans:
        chars[a:b] = [" "] * (b - a)
    rest = "".join(chars)
    return rest if any(c.isalpha() for c in rest) else text


def combine(ranking: list[tuple[str, float]], asks: list[Any], ctx: dict[str, Any]) -> list[tuple[str, float]]:
    """The intent ranking with the ask reader's verdict: the first ask (rebook > cancel > flight_status >
    request_human) on top; with no ask, none of the four can be the intent (they go below every other intent).
    An answer the flow expects ("yes", "the second one", a booking code) keeps the intent model's reading."""
    top_name, top_conf = ranking[0]
    if ctx.get("expecting") and top_name in IN_FLOW_ANSWERS and top_conf >= 0.5:
        return ranking
    if asks:
        first = asks[0]
        conf = max(first.confidence, dict(ranking).get(first.name, 0.0))
        rest = [(n, c) for n, c in ranking if n != first.name]
        total = sum(c for _, c in rest) or 1.0
        return [(first.name, conf), *((n, c / total * (1.0 - conf)) for n, c in rest)]
    others = [(n, c) for n, c in ranking if n not in ASKS]
    demoted = [(n, c) for n, c in ranking if n in ASKS]
    total = sum(c for _, c in others)
    if total <= 0:
        return ranking
    ask_mass = sum(c for _, c in demoted)
    keep = 1.0 - 0.5 * ask_mass  # the asks keep half their weight, below every other intent
    floor = min(c for _, c in others) / total * keep
    scale = min(1.0, 0.99 * floor / max(c for _, c in demoted)) if demoted else 1.0
    out = [(n, c / total * keep) for n, c in others] + [(n, c * scale) for n, c in demoted]
    norm = sum(c for _, c in out) or 1.0
    return [(n, c / norm) for n, c in out]


LANGID_FEATURES = (40_000, 15_000)


def _dump_pickle(obj: Any, path: Path) -> None:
    """The model cache: the C pickler (joblib's pure-Python one spent seconds on the vocabularies' strings)."""
    import pickle

    with path.open("wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def _load_pickle(path: Path) -> Any:
    import pickle

    with path.open("rb") as f:
        return pickle.load(f)  # our own cache file, written by _dump_pickle


def load_language_model(settings: Any) -> IntentModel | None:
    """The domain language-ID model for LanguageDetector: trained on intents/*.yml (labels = file language),
    cached like the intent model. None when there is no training data."""
    from bot.nlu.language import _to_lang_text

    files = training_files(Path(settings.content_dir), tuple(settings.languages))
    if len(files) < 2:
        return None
    digest = "langid-" + _digest(list(files.values()))
    path = Path(settings.cache_dir) / "nlu" / f"{digest}.pickle"
    try:
        if path.is_file():
            model = _load_pickle(path)
            if isinstance(model, IntentModel) and model.digest == digest:
                return model
    except Exception as exc:
        log.warning("language model cache unreadable (%s), retraining", exc)
    datas = []
    for lang, p in files.items():
        td, errors = load_training_data(p, lang)
        if errors:
            log.warning("language model: skipping invalid %s", p)
            continue
        datas.append(td)
    if len(datas) < 2:
        return None
    model = train_model(datas, digest, normalizer=_to_lang_text, by_language=True, max_features=LANGID_FEATURES,
                        language_words=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in [*path.parent.glob("langid-*.joblib"), *path.parent.glob("langid-*.pickle")]:
            old.unlink(missing_ok=True)
        tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        _dump_pickle(model, tmp)
        tmp.replace(path)
    except OSError as exc:
        log.warning("cannot write the language model cache: %s", exc)
    return model


def _train_in_child(content_dir: Path, languages: tuple[str, ...], cache_dir: Path) -> bool:
    """Train the intent and language models in a child process that writes them to the cache. False on failure."""
    import json
    import os
    import subprocess
    import sys

    package_root = str(Path(__file__).resolve().parent.parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    args = json.dumps({"content_dir": str(content_dir), "languages": list(languages), "cache_dir": str(cache_dir)})
    try:
        code = "import sys; from bot.nlu.embedded import _child_main; _child_main(sys.argv[1])"
        proc = subprocess.run([sys.executable, "-c", code, args], env=env, capture_output=True, text=True,
                              timeout=600, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("training in a child process failed (%s); training here", exc)
        return False
    if proc.returncode != 0:
        log.warning("training in a child process failed (%s); training here", proc.stderr.strip()[-500:])
        return False
    return True


def _child_main(arg: str) -> None:
    import json

    from bot.settings import Settings

    spec = json.loads(arg)
    settings = Settings(content_dir=spec["content_dir"], cache_dir=spec["cache_dir"],
                        languages=tuple(spec["languages"]))
    EmbeddedBackend(settings, train_in_subprocess=False).load_or_train()
    load_language_model(settings)

