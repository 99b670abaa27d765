"""Load and validate NLU training data in Rasa 3.x NLU YAML (``intents/<lang>.yml``).

Supported items under ``nlu:``::

    - intent: rebook
      examples: |
        - can I fly [tomorrow](date) instead
        - put me on the next flight to [Parijs]{"entity": "airport", "role": "destination", "value": "CDG"}
    - synonym: CDG
      examples: |
        - Parijs
    - regex: booking_reference
      examples: |
        - \\b[A-Z0-9]{6}\\b
    - lookup: airport
      examples: |
        - Schiphol

Every problem is reported as a ContentError naming the file and the line of the offending example.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import ContentError, ContentErrors
from bot.nlu.base import ENTITIES, INTENTS
from bot.yamlio import LineMap, load_yaml, loads_yaml

# Rasa's own annotation grammar: [text](entity) | [text](entity:value) | [text]{json}
ANNOTATION_RE = re.compile(
    r"\[(?P<text>[^\[\]]+?)\](?:\((?P<entity>[^():]+?)(?::(?P<value>[^()]+))?\)|\{(?P<json>[^{}]+?)\})"
)
_JSON_KEYS = {"entity", "role", "group", "value"}
SUPPORTED_VERSIONS = ("3.0", "3.1", "3.1.0", "3.0.0")


@dataclass(frozen=True, slots=True)
class AnnotatedEntity:
    entity: str
    start: int
    end: int
    text: str
    value: str | None = None  # explicit value from the annotation (None: the text itself)
    role: str | None = None
    group: str | None = None


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    entities: tuple[AnnotatedEntity, ...] = ()
    line: int | None = None


@dataclass
class TrainingData:
    language: str
    source: str = ""
    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # folded surface text -> value
    regexes: list[tuple[str, str]] = field(default_factory=list)  # (name, pattern)
    lookups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    def texts_and_labels(self) -> tuple[list[str], list[str]]:
        return [e.text for e in self.examples], [e.intent for e in self.examples]

    def merge(self, other: TrainingData) -> None:
        self.examples.extend(other.examples)
        self.synonyms.update(other.synonyms)
        self.regexes.extend(other.regexes)
        for k, v in other.lookups.items():
            self.lookups.setdefault(k, []).extend(v)


def parse_annotated(raw: str) -> tuple[str, list[AnnotatedEntity], list[str]]:
    """Strip Rasa annotations from one example. Returns (plain text, entities, problems)."""
    problems: list[str] = []
    out: list[str] = []
    entities: list[AnnotatedEntity] = []
    pos = 0
    plain_len = 0
    for m in ANNOTATION_RE.finditer(raw):
        before = raw[pos : m.start()]
        out.append(before)
        plain_len += len(before)
        text = m.group("text")
        value: str | None = None
        role = group = None
        if m.group("json") is not None:
            try:
                spec = json.loads("{" + m.group("json") + "}")
            except ValueError:
                problems.append(f"malformed entity annotation {m.group(0)!r}: invalid JSON")
                spec = None
            if isinstance(spec, dict):
                unknown = set(spec) - _JSON_KEYS
                if unknown:
                    problems.append(f"unknown key(s) {sorted(unknown)} in annotation {m.group(0)!r}")
                name = spec.get("entity")
                if not isinstance(name, str) or not name:
                    problems.append(f"annotation {m.group(0)!r} has no \"entity\"")
                    name = ""
                raw_value = spec.get("value")
                value = None if raw_value is None else str(raw_value)
                role = spec.get("role")
                group = spec.get("group")
                role = None if role is None else str(role)
                group = None if group is None else str(group)
            else:
                name = ""
        else:
            name = m.group("entity").strip()
            value = m.group("value").strip() if m.group("value") else None
        if name:
            entities.append(AnnotatedEntity(name, plain_len, plain_len + len(text), text, value, role, group))
        out.append(text)
        plain_len += len(text)
        pos = m.end()
    out.append(raw[pos:])
    plain = "".join(out)
    # anything that still looks like an annotation is a typo in one
    if re.search(r"\[[^\]]*\]\s*[({]", plain) or re.search(r"\]\(|\]\{", plain) or re.search(
        r"\[[^\]]*$|^[^\[]*\]", plain
    ):
        problems.append("malformed entity annotation (expected [text](entity) or [text]{\"entity\": ...})")
    return plain, entities, problems


def _block_lines(value: Any, item_path: tuple, lines: LineMap) -> list[tuple[str, int | None]]:
    """The '- ' lines of an ``examples`` block scalar with their file line numbers."""
    key_line = lines.line_of((*item_path, "examples"))
    out: list[tuple[str, int | None]] = []
    if isinstance(value, str):
        for i, raw in enumerate(value.split("\n")):
            line = key_line + 1 + i if key_line else None
            out.append((raw, line))
    return out


def _split_example(raw: str) -> str | None:
    s = raw.strip()
    if not s or s.startswith("#"):
        return None
    if s.startswith("- ") or s == "-":
        return s[1:].strip()
    return "\x00" + s  # marker: not a list line


def load_training_data(path: Path | str, language: str | None = None, *, display_name: str | None = None,
                       text: str | None = None) -> tuple[TrainingData, list[ContentError]]:
    """Load one Rasa NLU YAML file. Returns the data and every problem found (empty list: valid)."""
    path = Path(path)
    name = display_name or str(path)
    lang = language or path.stem
    errors: list[ContentError] = []
    td = TrainingData(language=lang, source=name)
    try:
        data, lines = loads_yaml(text, name) if text is not None else load_yaml(path, display_name=name)
    except ContentError as exc:
        return td, [exc]
    if not isinstance(data, dict):
        return td, [ContentError(name, 1, None, "expected a mapping with 'version' and 'nlu'")]
    version = data.get("version")
    if version is not None and str(version) not in SUPPORTED_VERSIONS:
        errors.append(ContentError(name, lines.line_of(("version",)), "version",
                                   f"unsupported version {version!r} (expected \"3.1\")"))
    items = data.get("nlu")
    if items is None:
        errors.append(ContentError(name, 1, "nlu", "missing 'nlu' list"))
        return td, errors
    if not isinstance(items, list):
        errors.append(ContentError(name, lines.line_of(("nlu",)), "nlu", "'nlu' must be a list"))
        return td, errors
    seen: dict[str, tuple[str, int | None]] = {}
    for i, item in enumerate(items):
        ipath = ("nlu", i)
        iline = lines.line_of(ipath)
        if not isinstance(item, dict):
            errors.append(ContentError(name, iline, f"nlu.{i}", "expected a mapping (intent/synonym/regex/lookup)"))
            continue
        kinds = [k for k in ("intent", "synonym", "regex", "lookup") if k in item]
        if len(kinds) != 1:
            errors.append(ContentError(name, iline, f"nlu.{i}",
                                       "each item needs exactly one of intent, synonym, regex, lookup"))
            continue
        kind = kinds[0]
        label = item[kind]
        if not isinstance(label, str | int | float) or not str(label).strip():
            errors.append(ContentError(name, lines.line_of((*ipath, kind)), f"nlu.{i}.{kind}", "must be a name"))
            continue
        label = str(label).strip()
        examples = item.get("examples")
        if examples is None:
            errors.append(ContentError(name, iline, f"nlu.{i}.examples", "missing 'examples'"))
            continue
        if isinstance(examples, list):
            # the list form: [{text: ...}] or plain strings
            raw_lines = []
            for j, ex in enumerate(examples):
                t = ex.get("text") if isinstance(ex, dict) else ex
                raw_lines.append(("- " + str(t) if t is not None else "", lines.line_of((*ipath, "examples", j))))
        elif isinstance(examples, str):
            raw_lines = _block_lines(examples, ipath, lines)
        else:
            errors.append(ContentError(name, lines.line_of((*ipath, "examples")), f"nlu.{i}.examples",
                                       "expected a block of '- ' lines"))
            continue
        field_name = f"nlu.{i}.examples"
        if kind == "intent":
            if label not in INTENTS:
                errors.append(ContentError(name, lines.line_of((*ipath, "intent")), f"nlu.{i}.intent",
                                           f"unknown intent {label!r} (known: {', '.join(INTENTS)})"))
                continue
        count = 0
        for raw, line in raw_lines:
            ex = _split_example(raw)
            if ex is None:
                continue
            if ex.startswith("\x00"):
                errors.append(ContentError(name, line, field_name, f"expected '- ' before {ex[1:]!r}"))
                continue
            if not ex:
                errors.append(ContentError(name, line, field_name, "empty example"))
                continue
            count += 1
            if kind == "intent":
                plain, ents, problems = parse_annotated(ex)
                for p in problems:
                    errors.append(ContentError(name, line, field_name, p))
                for e in ents:
                    if e.entity not in ENTITIES:
                        errors.append(ContentError(name, line, field_name,
                                                   f"unknown entity {e.entity!r} (known: {', '.join(ENTITIES)})"))
                    if e.role is not None and e.role not in ("origin", "destination"):
                        errors.append(ContentError(name, line, field_name,
                                                   f"unknown role {e.role!r} (known: origin, destination)"))
                    if e.value is not None and e.value.strip() != e.text.strip():
                        td.synonyms.setdefault(_key(e.text), e.value)
                if problems:
                    continue
                plain = " ".join(plain.split())
                key = _key(plain)
                if key in seen and seen[key][0] != label:
                    other_intent, other_line = seen[key]
                    errors.append(ContentError(name, line, field_name,
                                               f"example {plain!r} also listed under intent {other_intent!r}"
                                               f" (line {other_line})"))
                    continue
                if key in seen:
                    continue  # a harmless duplicate within one intent
                seen[key] = (label, line)
                td.examples.append(Example(plain, label, tuple(ents), line))
            elif kind == "synonym":
                td.synonyms[_key(ex)] = label
            elif kind == "regex":
                try:
                    re.compile(ex)
                except re.error as exc:
                    errors.append(ContentError(name, line, field_name, f"invalid regular expression: {exc}"))
                    continue
                td.regexes.append((label, ex))
            else:
                td.lookups.setdefault(label, []).append(ex)
        if count == 0:
            errors.append(ContentError(name, lines.line_of((*ipath, "examples")), field_name, "no examples"))
    return td, errors


def _key(text: str) -> str:
    from bot.nlu.text import fold

    return " ".join(fold(text).split())


def intents_dir(content_dir: Path | str) -> Path:
    return Path(content_dir) / "intents"


def training_files(content_dir: Path | str, languages: tuple[str, ...] | list[str] | None = None) -> dict[str, Path]:
    """language -> intents/<lang>.yml for every file present (limited to ``languages`` when given)."""
    d = intents_dir(content_dir)
    out: dict[str, Path] = {}
    if not d.is_dir():
        return out
    for p in sorted(d.glob("*.yml")) + sorted(d.glob("*.yaml")):
        lang = p.stem
        if languages is not None and lang not in languages:
            continue
        out.setdefault(lang, p)
    return out


def load_language(content_dir: Path | str, language: str) -> TrainingData:
    """Load intents/<language>.yml; raise ContentErrors if it is invalid or missing."""
    files = training_files(content_dir, [language])
    if language not in files:
        raise ContentErrors([ContentError(str(intents_dir(content_dir) / f"{language}.yml"), None, None,
                                          "no training data for this language")])
    td, errors = load_training_data(files[language], language)
    if errors:
        raise ContentErrors(errors)
    return td


def files_digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def validate_intents(content_dir: Path | str, languages: tuple[str, ...] | list[str] | None = None,
                     *, min_examples: int = 1) -> list[ContentError]:
    """Validate every intents/<lang>.yml: syntax, intent and entity names, annotations, coverage.

    Used by ``crisisbot validate``. Returns all problems found (empty list: valid).
    """
    from bot.settings import SUPPORTED_LANGUAGES

    langs = tuple(languages) if languages is not None else SUPPORTED_LANGUAGES
    d = intents_dir(content_dir)
    errors: list[ContentError] = []
    files = training_files(content_dir)
    for lang in langs:
        if lang not in files:
            errors.append(ContentError(str(d / f"{lang}.yml"), None, None, f"missing training data for {lang!r}"))
    for lang, path in files.items():
        name = str(path)
        if lang not in SUPPORTED_LANGUAGES:
            errors.append(ContentError(name, None, None,
                                       f"{lang!r} is not a supported language ({', '.join(SUPPORTED_LANGUAGES)})"))
            continue
        td, errs = load_training_data(path, lang)
        errors.extend(errs)
        counts: dict[str, int] = {}
        for e in td.examples:
            counts[e.intent] = counts.get(e.intent, 0) + 1
        if not errs:
            for intent in INTENTS:
                if counts.get(intent, 0) < min_examples:
                    errors.append(ContentError(name, None, "nlu",
                                               f"intent {intent!r} has {counts.get(intent, 0)} example(s),"
                                               f" needs at least {min_examples}"))
    return errors
