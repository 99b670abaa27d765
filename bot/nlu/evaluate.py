"""Cross-validation of the embedded NLU on intents/: intent precision/recall/F1, macro-F1, a confusion matrix and
entity F1 (the rule-based extractors against the annotations)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.nlu.entities import EntityExtractor
from bot.nlu.entities.airports import AirportExtractor
from bot.nlu.text import fold
from bot.nlu.training_data import TrainingData, load_training_data, training_files

# a fixed "now" so relative dates in the data resolve the same way every run
EVAL_CONTEXT = {"now": "2026-11-23T12:00:00+00:00"}


@dataclass
class IntentScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class LanguageReport:
    language: str
    n_examples: int
    folds: int
    per_intent: dict[str, IntentScores]
    macro_f1: float
    accuracy: float
    confusion: dict[str, dict[str, int]]
    entity_scores: dict[str, IntentScores]
    entity_f1: float
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # text, gold, predicted

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language, "examples": self.n_examples, "folds": self.folds,
            "macro_f1": round(self.macro_f1, 4), "accuracy": round(self.accuracy, 4),
            "entity_f1": round(self.entity_f1, 4),
            "intents": {k: vars(v) for k, v in self.per_intent.items()},
            "entities": {k: vars(v) for k, v in self.entity_scores.items()},
        }


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


CVResult = dict[str, tuple[list[str], list[str], list[str]]]


def cross_validate_intents(datas: list[TrainingData], folds: int = 5, seed: int = 13,
                           extractor: EntityExtractor | None = None) -> CVResult:
    """Stratified k-fold cross-validation of the real inference path (one multilingual model, parse rules).

    Folds are stratified by language and intent over the pooled data, as the backend trains on every language.
    Returns language -> (texts, gold, predicted).
    """
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    from bot.nlu.embedded import EmbeddedBackend, train_model

    items = [(td.language, ex) for td in datas for ex in td.examples]
    strata = [f"{lang}/{ex.intent}" for lang, ex in items]
    counts: dict[str, int] = {}
    for st in strata:
        counts[st] = counts.get(st, 0) + 1
    k = max(2, min(folds, min(counts.values())))
    # strata smaller than k would break stratification: fold them into their intent
    pred: list[str] = [""] * len(items)
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    backend = _bare_backend(EmbeddedBackend, extractor)
    for train_idx, test_idx in skf.split(np.zeros(len(items)), strata):
        fold_data: dict[str, TrainingData] = {}
        for i in train_idx:
            lang, ex = items[i]
            fold_data.setdefault(lang, TrainingData(language=lang)).examples.append(ex)
        backend.model = train_model(list(fold_data.values()), calibrate=False)
        for i in test_idx:
            lang, ex = items[i]
            parse = backend.parse_sync(ex.text, lang, context=_context_for(ex))
            names = [p.name for p in parse.intent_ranking if p.name != "nlu_fallback"]
            pred[i] = names[0] if names else "nlu_fallback"
    out: dict[str, tuple[list[str], list[str], list[str]]] = {}
    for (lang, ex), p in zip(items, pred, strict=True):
        t, g, pr = out.setdefault(lang, ([], [], []))
        t.append(ex.text)
        g.append(ex.intent)
        pr.append(p)
    return out


def _bare_backend(cls: Any, extractor: EntityExtractor | None) -> Any:
    from bot.settings import Settings

    backend = cls(Settings(), use_cache=False)
    backend.extractor = extractor or EntityExtractor()
    return backend


def _context_for(ex: Any) -> dict[str, Any]:
    """The context the dialogue would give: what the bot was asking for when this kind of answer comes."""
    ctx = dict(EVAL_CONTEXT)
    kinds = {e.entity for e in ex.entities}
    if ex.intent == "choose_option":
        ctx["expecting"] = "option"
    elif ex.intent == "provide_info" and "last_name" in kinds and len(ex.text.split()) <= 3:
        ctx["expecting"] = "last_name"
    return ctx


def _gold_value(entity: str, text: str, value: str | None, airports: AirportExtractor, default_carrier: str) -> Any:
    if value is not None:
        if entity == "option":
            try:
                return int(value)
            except ValueError:
                return value
        return value
    t = text.strip()
    if entity == "booking_reference":
        return re.sub(r"[\s\-]", "", t).upper()
    if entity == "flight_number":
        compact = re.sub(r"[\s\-]", "", t).upper()
        return compact if compact[:1].isalpha() or not compact.isdigit() else f"{default_carrier}{compact}"
    if entity == "airport":
        if re.fullmatch(r"[A-Z]{3}", t):
            return t
        return airports.names.get(fold(t), t)
    if entity == "option":
        m = re.search(r"\d", t)
        return int(m.group(0)) if m else None
    if entity == "last_name":
        return " ".join(t.split())
    return None  # dates: compared by span


def evaluate_entities(td: TrainingData, extractor: EntityExtractor, default_carrier: str = "KL",
                      context: dict[str, Any] | None = None) -> tuple[dict[str, IntentScores], float, list[str]]:
    ctx = dict(EVAL_CONTEXT if context is None else context)
    tp: dict[str, int] = {}
    fp: dict[str, int] = {}
    fn: dict[str, int] = {}
    misses: list[str] = []
    for ex in td.examples:
        ectx = {**ctx, **{k: v for k, v in _context_for(ex).items() if k == "expecting"}}
        predicted = extractor.extract(ex.text, td.language, ectx)
        used: set[int] = set()
        for g in ex.entities:
            gv = _gold_value(g.entity, g.text, g.value, extractor.airports, default_carrier)
            hit = None
            for j, p in enumerate(predicted):
                if j in used or p.entity != g.entity:
                    continue
                overlap = p.start < g.end and g.start < p.end
                if g.entity == "date":
                    ok = overlap
                elif g.entity == "last_name":
                    ok = overlap and fold(str(p.value)) == fold(str(gv))
                else:
                    ok = str(p.value) == str(gv) and (overlap or g.entity == "option")
                if ok and (g.role is None or g.entity != "airport" or p.role == g.role):
                    hit = j
                    break
            if hit is None:
                fn[g.entity] = fn.get(g.entity, 0) + 1
                misses.append(f"MISS {g.entity}={gv!r} role={g.role} in {ex.text!r} -> "
                              f"{[(p.entity, p.value, p.role) for p in predicted]}")
            else:
                used.add(hit)
                tp[g.entity] = tp.get(g.entity, 0) + 1
        for j, p in enumerate(predicted):
            if j not in used:
                fp[p.entity] = fp.get(p.entity, 0) + 1
                misses.append(f"EXTRA {p.entity}={p.value!r} ({p.text!r}) in {ex.text!r}")
    scores: dict[str, IntentScores] = {}
    for ent in sorted(set(tp) | set(fp) | set(fn)):
        precision, recall, f1 = _prf(tp.get(ent, 0), fp.get(ent, 0), fn.get(ent, 0))
        scores[ent] = IntentScores(precision, recall, f1, tp.get(ent, 0) + fn.get(ent, 0))
    _, _, micro = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return scores, micro, misses


def _report(td: TrainingData, texts: list[str], gold: list[str], pred: list[str], k: int,
            extractor: EntityExtractor, default_carrier: str) -> tuple[LanguageReport, list[str]]:
    labels = sorted(set(gold) | set(pred))
    per: dict[str, IntentScores] = {}
    confusion: dict[str, dict[str, int]] = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, pred, strict=True):
        confusion[g][p] += 1
    for lab in labels:
        tp = confusion[lab][lab]
        fp = sum(confusion[g][lab] for g in labels) - tp
        fn = sum(confusion[lab].values()) - tp
        precision, recall, f1 = _prf(tp, fp, fn)
        per[lab] = IntentScores(precision, recall, f1, tp + fn)
    gold_labels = sorted(set(gold))
    macro = sum(per[lab].f1 for lab in gold_labels) / len(gold_labels)
    acc = sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / len(gold)
    ent_scores, ent_f1, misses = evaluate_entities(td, extractor, default_carrier)
    errors = [(t, g, p) for t, g, p in zip(texts, gold, pred, strict=True) if g != p]
    return LanguageReport(td.language, len(texts), k, per, macro, acc, confusion, ent_scores, ent_f1, errors), misses


def _vocab(td: TrainingData) -> frozenset[str]:
    return frozenset(w for e in td.examples for w in re.findall(r"\w+", fold(e.text)))


def evaluate_dir(content_dir: Path | str, languages: list[str] | tuple[str, ...] | None = None, folds: int = 5,
                 default_carrier: str = "KL") -> list[tuple[LanguageReport, list[str]]]:
    """Cross-validate on every language's data (training always pools all languages, as the backend does);
    report the languages asked for."""
    files = training_files(content_dir)
    datas = {}
    for lang, path in files.items():
        td, errors = load_training_data(path, lang)
        if errors:
            from bot.errors import ContentErrors

            raise ContentErrors(errors)
        datas[lang] = td
    synonyms: dict[str, str] = {}
    vocab: set[str] = set()
    for td in datas.values():
        synonyms.update(td.synonyms)
        vocab |= _vocab(td)
    extractor = EntityExtractor(default_carrier=default_carrier, synonyms=synonyms, known_words=vocab)
    cv = cross_validate_intents(list(datas.values()), folds, extractor=extractor)
    out = []
    for lang, td in datas.items():
        if languages and lang not in languages:
            continue
        texts, gold, pred = cv[lang]
        out.append(_report(td, texts, gold, pred, folds, extractor, default_carrier))
    return out


def format_report(report: LanguageReport, *, confusion: bool = True, max_errors: int = 15) -> str:
    lines = [f"== {report.language}: {report.n_examples} examples, {report.folds}-fold CV: "
             f"macro-F1 {report.macro_f1:.3f}, accuracy {report.accuracy:.3f}, entity F1 {report.entity_f1:.3f}"]
    lines.append(f"{'intent':<16}{'prec':>7}{'rec':>7}{'f1':>7}{'n':>6}")
    for name, s in sorted(report.per_intent.items()):
        lines.append(f"{name:<16}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}{s.support:>6}")
    lines.append(f"{'entity':<18}{'prec':>7}{'rec':>7}{'f1':>7}{'n':>6}")
    for name, s in sorted(report.entity_scores.items()):
        lines.append(f"{name:<18}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}{s.support:>6}")
    if confusion:
        labels = sorted(report.confusion)
        abbrev = [lab[:5] for lab in labels]
        lines.append("confusion (rows gold, columns predicted)")
        lines.append(" " * 16 + "".join(f"{a:>6}" for a in abbrev))
        for g in labels:
            lines.append(f"{g:<16}" + "".join(f"{report.confusion[g][p] or '.':>6}" for p in labels))
    if max_errors and report.errors:
        lines.append(f"some misclassified examples ({len(report.errors)} in all):")
        for t, g, p in report.errors[:max_errors]:
            lines.append(f"  {g} -> {p}: {t}")
    return "\n".join(lines)

