"""Crisis playbooks (crisis_playbooks/*.yml): the schema, loading and validation with file:line: field errors.

A playbook is prepared before the crisis comes: its typed parameters (which airports, until when ...), the scope that
decides which flights and bookings are affected, the policy (waived fees, refunds, care, EU261), the holding message,
one status text per stage, a cadence for updates, an FAQ and a personal notice; every text in every language the bot
speaks. ``crisis_playbooks/_topics.yml`` holds FAQ question variants shared by all playbooks (files starting with
``_`` are not playbooks).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.crisis.templates import BROADCAST_NAMES, NOTICE_NAMES, template_problems
from bot.errors import ContentError, ContentErrors
from bot.settings import SUPPORTED_LANGUAGES
from bot.yamlio import LineMap, PathKey, load_yaml, validation_errors

# every language the bot speaks, and the four being added to it: a playbook is ready for all of them
PLAYBOOK_LANGUAGES: tuple[str, ...] = tuple(dict.fromkeys((*SUPPORTED_LANGUAGES, "ru", "tr", "ja", "zh")))
STAGES: tuple[str, ...] = ("investigating", "identified", "monitoring", "resolved")
Stage = Literal["investigating", "identified", "monitoring", "resolved"]
ParamType = Literal["airports", "text", "datetime", "choice", "integer", "flights"]
PLAYBOOK_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
TOPICS_FILE = "_topics.yml"

LocalText = dict[str, str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameter(_Strict):
    type: ParamType
    required: bool = False
    default: str | int | list[str] | None = None  # datetime: an ISO time, "now" or "+6h" / "+2d" from the start
    help: str = ""
    max_length: int = Field(80, ge=1, le=500)  # text
    choices: dict[str, LocalText] | None = None  # choice: value -> its label in every language

    @model_validator(mode="after")
    def _choices(self) -> Parameter:
        if self.type == "choice" and not self.choices:
            raise ValueError("a choice parameter needs choices (value: {language: label})")
        if self.type != "choice" and self.choices:
            raise ValueError("only a choice parameter has choices")
        return self


class ScopeSpec(_Strict):
    """Which flights are affected: by airport (departing, arriving or either), time window and flight numbers.

    Values are literals or ``$parameter`` references. No airports and no flights means every flight in the window.
    """

    airports: str | list[str] | None = None
    direction: Literal["any", "departing", "arriving"] = "any"
    start: str | None = None
    end: str | None = None
    flights: str | list[str] | None = None
    horizon_hours: int = Field(72, ge=1, le=24 * 14)  # the window's end when ``end`` is not given


class Voucher(_Strict):
    offered: bool = False
    bonus_percent: int = Field(0, ge=0, le=100)


class Care(_Strict):
    meals: bool = False
    hotel: bool = False
    transport: bool = False


class Policy(_Strict):
    change_fee_waived: bool = False
    rebooking_window_days: int = Field(0, ge=0, le=365)  # a waived change must depart within this many days
    refund_allowed: bool = False  # a full refund, whatever the fare's rules
    voucher: Voucher = Voucher()
    care: Care = Care()
    eu261: Literal["compensation", "care_only", "not_applicable"] = "care_only"
    changes_unavailable: bool = False  # the reservation system is down: requests are queued, done when it is back

    @model_validator(mode="after")
    def _window(self) -> Policy:
        if self.change_fee_waived and self.rebooking_window_days == 0:
            raise ValueError("a waived change fee needs a rebooking_window_days (1-365)")
        return self


class Cadence(_Strict):
    every_minutes: int = Field(ge=10, le=24 * 60)


class FaqEntry(_Strict):
    id: str
    topic: str | None = None  # shared question variants from _topics.yml
    questions: dict[str, list[str]] = Field(default_factory=dict)  # this entry's own variants, per language
    answer: LocalText


class Playbook(_Strict):
    id: str
    title: LocalText
    severity: Literal["minor", "major", "critical"]
    description: str = ""  # for staff: when to use it
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    scope: ScopeSpec
    policy: Policy
    cadence: Cadence
    holding: LocalText
    updates: dict[Stage, LocalText]
    no_news: LocalText
    faq: list[FaqEntry] = Field(min_length=1)
    notice: LocalText

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not PLAYBOOK_ID.match(v):
            raise ValueError("an id is lower-case words joined by '-', e.g. volcanic-ash")
        return v

    @field_validator("parameters")
    @classmethod
    def _param_names(cls, v: dict[str, Parameter]) -> dict[str, Parameter]:
        for name in v:
            if not NAME.match(name) or name in NOTICE_NAMES:
                raise ValueError(f"parameter name {name!r}: lower-case letters, digits and _, not a built-in name")
        return v

    @field_validator("updates")
    @classmethod
    def _stages(cls, v: dict[str, LocalText]) -> dict[str, LocalText]:
        missing = [s for s in STAGES if s not in v]
        if missing:
            raise ValueError(f"a text for every stage is needed; missing: {', '.join(missing)}")
        return v

    # -- helpers used at run time
    def text(self, field: str, language: str) -> str:
        value: LocalText = getattr(self, field)
        return value.get(language) or value["en"]

    def update_text(self, stage: str, language: str) -> str:
        texts = self.updates[stage]  # type: ignore[index]
        return texts.get(language) or texts["en"]


class Topics(_Strict):
    topics: dict[str, dict[str, list[str]]]  # topic -> language -> question variants


@dataclass(frozen=True)
class PlaybookSet:
    playbooks: dict[str, Playbook]
    topics: dict[str, dict[str, list[str]]]
    files: dict[str, str]  # id -> file name

    def get(self, playbook_id: str) -> Playbook:
        try:
            return self.playbooks[playbook_id]
        except KeyError:
            known = ", ".join(sorted(self.playbooks)) or "(none)"
            raise KeyError(f"no playbook {playbook_id!r}; known: {known}") from None

    def questions(self, entry: FaqEntry) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        if entry.topic:
            for lang, qs in self.topics.get(entry.topic, {}).items():
                out.setdefault(lang, []).extend(qs)
        for lang, qs in entry.questions.items():
            out.setdefault(lang, []).extend(qs)
        return out


# ---------------------------------------------------------------- validation beyond the schema


class _Checker:
    def __init__(self, name: str, lines: LineMap, languages: Iterable[str]) -> None:
        self.name, self.lines, self.languages = name, lines, tuple(languages)
        self.errors: list[ContentError] = []

    def error(self, path: PathKey, message: str) -> None:
        field = ".".join(str(p) for p in path) or None
        self.errors.append(ContentError(self.name, self.lines.line_of(path), field, message))

    def local_text(self, path: PathKey, value: LocalText, allowed: frozenset[str] | set[str]) -> None:
        missing = [lang for lang in self.languages if not (value.get(lang) or "").strip()]
        if missing:
            self.error(path, f"missing language(s): {', '.join(missing)}")
        for lang, text in value.items():
            if lang not in PLAYBOOK_LANGUAGES:
                self.error((*path, lang), f"unknown language {lang!r} (known: {', '.join(PLAYBOOK_LANGUAGES)})")
            for problem in template_problems(text, allowed):
                self.error((*path, lang), problem)


def _param_ref(value: Any) -> str | None:
    return value[1:] if isinstance(value, str) and value.startswith("$") else None


def check_playbook(pb: Playbook, name: str, lines: LineMap, topics: dict[str, dict[str, list[str]]],
                   languages: Iterable[str] = PLAYBOOK_LANGUAGES) -> list[ContentError]:
    c = _Checker(name, lines, languages)
    params = set(pb.parameters)
    broadcast = BROADCAST_NAMES | params
    notice = NOTICE_NAMES | params
    c.local_text(("title",), pb.title, set())
    c.local_text(("holding",), pb.holding, broadcast)
    c.local_text(("no_news",), pb.no_news, broadcast)
    c.local_text(("notice",), pb.notice, notice)
    for stage, texts in pb.updates.items():
        c.local_text(("updates", stage), texts, broadcast)
    for pname, p in pb.parameters.items():
        for value, labels in (p.choices or {}).items():
            c.local_text(("parameters", pname, "choices", value), labels, set())
        if p.default is not None and p.type != "datetime":
            from bot.crisis.params import ParameterError, parse_value

            try:
                parse_value(pname, p, p.default)
            except ParameterError as exc:
                c.error(("parameters", pname, "default"), str(exc))
    ids: set[str] = set()
    for i, entry in enumerate(pb.faq):
        if entry.id in ids:
            c.error(("faq", i, "id"), f"duplicate FAQ id {entry.id!r}")
        ids.add(entry.id)
        if entry.topic is not None and entry.topic not in topics:
            c.error(("faq", i, "topic"), f"unknown topic {entry.topic!r} (see {TOPICS_FILE})")
        c.local_text(("faq", i, "answer"), entry.answer, broadcast)
        merged: dict[str, list[str]] = {}
        for lang, qs in (topics.get(entry.topic or "", {}) | {}).items():
            merged.setdefault(lang, []).extend(qs)
        for lang, qs in entry.questions.items():
            merged.setdefault(lang, []).extend(qs)
            if lang not in PLAYBOOK_LANGUAGES:
                c.error(("faq", i, "questions", lang), f"unknown language {lang!r}")
        lacking = [lang for lang in c.languages if not merged.get(lang)]
        if lacking:
            c.error(("faq", i), f"no question variants in: {', '.join(lacking)} (add questions or a topic)")
    scope = pb.scope
    for field in ("airports", "start", "end", "flights"):
        value = getattr(scope, field)
        ref = _param_ref(value)
        if ref is not None and ref not in params:
            c.error(("scope", field), f"${ref} is not a parameter of this playbook")
        elif isinstance(value, str) and ref is None and field in ("airports", "flights"):
            c.error(("scope", field), "a list or a $parameter reference")
    expected = {"airports": ("airports",), "flights": ("flights",), "start": ("datetime",), "end": ("datetime",)}
    for field, types in expected.items():
        ref = _param_ref(getattr(scope, field))
        if ref in pb.parameters and pb.parameters[ref].type not in types:
            c.error(("scope", field), f"${ref} is a {pb.parameters[ref].type} parameter, expected {types[0]}")
    return c.errors


def load_topics(folder: Path, root: Path) -> tuple[dict[str, dict[str, list[str]]], list[ContentError]]:
    path = folder / TOPICS_FILE
    if not path.is_file():
        return {}, []
    name = _relative(path, root)
    try:
        data, lines = load_yaml(path, display_name=name)
        topics = Topics.model_validate(data)
    except ContentError as exc:
        return {}, [exc]
    except ValidationError as exc:
        return {}, validation_errors(exc, name, lines)
    errors = []
    for topic, variants in topics.topics.items():
        for lang in variants:
            if lang not in PLAYBOOK_LANGUAGES:
                errors.append(ContentError(name, lines.line_of(("topics", topic, lang)), f"topics.{topic}.{lang}",
                                           f"unknown language {lang!r}"))
    return topics.topics, errors


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _load(content_dir: Path, languages: Iterable[str]) -> tuple[PlaybookSet, list[ContentError]]:
    folder = content_dir / "crisis_playbooks"
    playbooks: dict[str, Playbook] = {}
    files: dict[str, str] = {}
    if not folder.is_dir():
        return PlaybookSet({}, {}, {}), []
    topics, errors = load_topics(folder, content_dir)
    for path in sorted(folder.glob("*.y*ml")):
        if path.name.startswith("_"):
            continue
        name = _relative(path, content_dir)
        try:
            data, lines = load_yaml(path, display_name=name)
        except ContentError as exc:
            errors.append(exc)
            continue
        if not isinstance(data, dict):
            errors.append(ContentError(name, 1, None, "a playbook must be a mapping"))
            continue
        try:
            pb = Playbook.model_validate(data)
        except ValidationError as exc:
            errors.extend(validation_errors(exc, name, lines))
            continue
        problems = check_playbook(pb, name, lines, topics, languages)
        if pb.id != path.stem:
            problems.append(ContentError(name, lines.line_of(("id",)), "id",
                                         f"the id must match the file name ({path.stem!r})"))
        if pb.id in playbooks:
            problems.append(ContentError(name, lines.line_of(("id",)), "id",
                                         f"duplicate id (also in {files[pb.id]})"))
        errors.extend(problems)
        if not problems:
            playbooks[pb.id] = pb
            files[pb.id] = name
    return PlaybookSet(playbooks, topics, files), errors


def validate_playbooks(content_dir: Path) -> list[ContentError]:
    return _load(content_dir, PLAYBOOK_LANGUAGES)[1]


def load_playbooks(content_dir: Path) -> PlaybookSet:
    """Every valid playbook; raises ContentErrors (all of them) when any file is invalid."""
    playbooks, errors = _load(content_dir, PLAYBOOK_LANGUAGES)
    if errors:
        raise ContentErrors(errors)
    return playbooks
