"""Flows as data: ``flows/*.yml`` read into pydantic models and cross-checked.

A flow file holds one flow (``flow:`` its name) with its ``steps`` and its ``responses``, or only ``responses``
(shared texts, e.g. ``common.yml``). Step kinds (the key that names the kind comes first)::

    - id: ask_date                      # optional; needed as a jump target
      collect: travel_date              # slot to fill; skipped when already filled
      ask: ask_date                     # response key asking for it
      expecting: date                   # what the next message's parse should look for (nlu_context)
      validate: check_travel_date       # optional action returning an outcome ("ok" continues)
      invalid: {past: date_in_past}     # outcome -> response key, then ask again
      next: {none: no_options}          # outcome -> step id (or "end")
    - action: search_alternatives       # a Python action registered in bot/dialogue/actions.py
      next: {found: choose, none: no_options}
    - confirm: confirm_rebook           # ask yes/no with this response; ``on_no:`` names the step for "no"
    - say: some_response
    - branch: [{if: "verified", goto: x}, {else: y}]
    - call: identify                    # run another flow, then continue (``next`` maps its outcome)
    - switch: rebook                    # replace this flow with another one (``with`` sets its slots)
    - handoff: special_assistance       # hand the conversation to a human (``say`` overrides the reply)
    - end: rebooked                     # finish the flow, optionally saying a response

Responses are ``{key: {language: text}}`` with ``{placeholders}``.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from bot.errors import ContentError, ContentErrors
from bot.settings import SUPPORTED_LANGUAGES
from bot.yamlio import LineMap, load_yaml, validation_errors

STEP_KINDS = ("collect", "action", "confirm", "say", "branch", "call", "switch", "handoff", "end")
END = "end"  # jump target: finish the flow
EXPECTING = (
    "booking_reference",
    "last_name",
    "date",
    "option",
    "flight_number",
    "choice",
    "otp",
    "confirmation",
)
Target = str | dict[str, str] | None


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Step(_Base):
    id: str | None = None
    next: Target = None

    def targets(self) -> dict[str, str]:
        if self.next is None:
            return {}
        if isinstance(self.next, str):
            return {"*": self.next}
        return dict(self.next)


class Choice(_Base):
    value: str
    label: str  # response key of the label shown in the list
    intents: tuple[str, ...] = ()  # an intent that also picks this choice (e.g. cancel -> refund)
    entities: tuple[str, ...] = ()  # a message giving one of these also picks it ("thursday please" -> later)


class CollectStep(_Step):
    kind: Literal["collect"] = "collect"
    collect: str
    ask: str
    reask: str | None = None  # said instead of "sorry, I didn't get that" when the answer cannot be used
    expecting: str | None = None  # defaults to the slot name
    entity: str | None = None  # the parse entity filling it; defaults from ``expecting``
    accept_raw: bool = False  # a lone "Jansen" / "x7k2pq" without an entity
    validate_: str | None = Field(default=None, alias="validate")
    invalid: dict[str, str] = {}
    choices: tuple[Choice, ...] = ()
    instead: dict[str, str] = {}  # entity -> step: the passenger gave this instead (kept for the next steps)
    shortcuts: dict[str, dict[str, list[str]]] = {}  # value -> language -> phrases that mean it

    @property
    def expects(self) -> str:
        return self.expecting or self.collect


class ActionStep(_Step):
    kind: Literal["action"] = "action"
    action: str
    with_: dict[str, Any] = Field(default={}, alias="with")


class ConfirmStep(_Step):
    kind: Literal["confirm"] = "confirm"
    confirm: str
    on_no: str | None = None  # step for "no"; default: say nothing_changed and end the flow


class SayStep(_Step):
    kind: Literal["say"] = "say"
    say: str


class BranchCase(_Base):
    if_: str | None = Field(default=None, alias="if")
    goto: str | None = None
    else_: str | None = Field(default=None, alias="else")


class BranchStep(_Step):
    kind: Literal["branch"] = "branch"
    branch: tuple[BranchCase, ...]


class CallStep(_Step):
    kind: Literal["call"] = "call"
    call: str


class SwitchStep(_Step):
    kind: Literal["switch"] = "switch"
    switch: str
    with_: dict[str, Any] = Field(default={}, alias="with")
    say: str | None = None


class HandoffStep(_Step):
    kind: Literal["handoff"] = "handoff"
    handoff: str  # machine-readable reason
    say: str | None = None
    priority: int = 0


class EndStep(_Step):
    kind: Literal["end"] = "end"
    end: str | None = None  # response key to say
    outcome: str = "done"


def _step_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in value:  # the first kind key written decides ("handoff: x" + "say: y" is a handoff)
            if key in STEP_KINDS:
                return key
        return None
    return getattr(value, "kind", None)


Step = Annotated[
    Annotated[CollectStep, Tag("collect")]
    | Annotated[ActionStep, Tag("action")]
    | Annotated[ConfirmStep, Tag("confirm")]
    | Annotated[SayStep, Tag("say")]
    | Annotated[BranchStep, Tag("branch")]
    | Annotated[CallStep, Tag("call")]
    | Annotated[SwitchStep, Tag("switch")]
    | Annotated[HandoffStep, Tag("handoff")]
    | Annotated[EndStep, Tag("end")],
    Discriminator(_step_kind, custom_error_type="step_kind", custom_error_message=f"a step needs one of {STEP_KINDS}"),
]


class FlowFile(_Base):
    flow: str | None = None
    description: str = ""
    intents: tuple[str, ...] = ()  # intents that start this flow
    internal: bool = False  # only reachable through call/switch
    digression: bool = False  # may interrupt another flow and return to it
    steps: tuple[Step, ...] = ()
    responses: dict[str, dict[str, str]] = {}


class Flow(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    file: str
    description: str
    intents: tuple[str, ...]
    internal: bool
    digression: bool
    steps: list[Any]
    ids: dict[str, int]  # step id -> index
    responses: dict[str, dict[str, str]]

    def index(self, step_id: str) -> int:
        return self.ids[step_id]

    def step_id(self, index: int) -> str:
        step = self.steps[index]
        return step.id or f"#{index}"


class FlowSet:
    """All flows plus the shared responses; responses resolve in the flow first, then in the shared ones."""

    def __init__(self, flows: dict[str, Flow], shared: dict[str, dict[str, str]]) -> None:
        self.flows = flows
        self.shared = shared
        self.by_intent: dict[str, str] = {}
        for flow in flows.values():
            for intent in flow.intents:
                self.by_intent.setdefault(intent, flow.name)

    def __getitem__(self, name: str) -> Flow:
        return self.flows[name]

    def __contains__(self, name: object) -> bool:
        return name in self.flows

    def response(self, key: str, language: str, flow: str | None = None) -> str | None:
        """The text for ``key`` in ``language`` (English when that translation is missing)."""
        table = None
        if flow and flow in self.flows and key in self.flows[flow].responses:
            table = self.flows[flow].responses[key]
        elif key in self.shared:
            table = self.shared[key]
        else:
            for f in self.flows.values():
                if key in f.responses:
                    table = f.responses[key]
                    break
        if table is None:
            return None
        return table.get(language) or table.get("en") or next(iter(table.values()), None)


_STEP_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _placeholders(text: str) -> set[str]:
    try:
        return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return {"<invalid>"}


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the discriminator tag pydantic inserts after a step index (steps.3.collect.ask -> steps.3.ask)."""
    out: list[Any] = []
    i = 0
    while i < len(loc):
        out.append(loc[i])
        if (
            isinstance(loc[i], int)
            and len(out) >= 2
            and out[-2] == "steps"
            and i + 1 < len(loc)
            and loc[i + 1] in STEP_KINDS
            and i + 2 < len(loc)
        ):
            i += 2
            continue
        i += 1
    return tuple(out)


def _read_file(path: Path, name: str) -> tuple[FlowFile | None, LineMap | None, list[ContentError]]:
    from pydantic import ValidationError

    try:
        data, lines = load_yaml(path, display_name=name)
    except ContentError as exc:
        return None, None, [exc]
    if not isinstance(data, dict):
        return None, lines, [ContentError(name, 1, None, "a flow file must be a mapping (flow, steps, responses)")]
    try:
        return FlowFile.model_validate(data), lines, []
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = _clean_loc(tuple(err["loc"]))
            field = ".".join(str(p) for p in loc) or None
            errors.append(ContentError(name, lines.line_of(loc), field, err["msg"]))
        return None, lines, errors or validation_errors(exc, name, lines)


def _check(
    files: dict[str, tuple[FlowFile, LineMap]], languages: tuple[str, ...], strict_languages: bool
) -> list[ContentError]:
    from bot.dialogue.actions import ACTIONS, CONDITIONS
    from bot.nlu.base import FALLBACK_INTENT, INTENTS

    errors: list[ContentError] = []
    flows = {f.flow: (name, f, lines) for name, (f, lines) in files.items() if f.flow}
    shared_keys = {k for name, (f, _) in files.items() if not f.flow for k in f.responses}
    seen_flow: dict[str, str] = {}
    for name, (f, _lines) in files.items():
        if f.flow:
            if f.flow in seen_flow:
                line = _lines.line_of(("flow",))
                errors.append(ContentError(name, line, "flow", f"flow {f.flow!r} also in {seen_flow[f.flow]}"))
            seen_flow[f.flow] = name
    intent_owner: dict[str, str] = {}
    switched_in: dict[str, set[str]] = {}  # flow -> slots other flows set when they switch to it
    for f, _ in files.values():
        for s in f.steps:
            if isinstance(s, SwitchStep):
                switched_in.setdefault(s.switch, set()).update(s.with_)
    for name, (f, lines) in files.items():
        def err(path: tuple[Any, ...], field: str, msg: str, _n: str = name, _l: LineMap = lines) -> None:
            errors.append(ContentError(_n, _l.line_of(path), field, msg))

        # responses: every language present, same placeholders in each
        for key, table in f.responses.items():
            if not isinstance(table, dict) or "en" not in table:
                err(("responses", key), f"responses.{key}", "needs at least an English text (en)")
                continue
            for lang in table:
                if lang not in languages:
                    err(("responses", key, lang), f"responses.{key}.{lang}", f"unknown language {lang!r}")
            if strict_languages:
                for lang in languages:
                    if lang not in table or not str(table[lang]).strip():
                        err(("responses", key), f"responses.{key}.{lang}", f"missing translation ({lang})")
            en_ph = _placeholders(table["en"])
            for lang, text in table.items():
                ph = _placeholders(str(text))
                if ph != en_ph:
                    err(
                        ("responses", key, lang),
                        f"responses.{key}.{lang}",
                        f"placeholders {sorted(ph)} differ from English {sorted(en_ph)}",
                    )
        if not f.flow:
            if f.steps:
                err(("steps",), "steps", "steps need a flow name (flow:)")
            continue
        for intent in f.intents:
            if intent not in INTENTS and intent != FALLBACK_INTENT:
                err(("intents",), "intents", f"unknown intent {intent!r}")
            elif intent in intent_owner:
                err(("intents",), "intents", f"intent {intent!r} already starts flow {intent_owner[intent]!r}")
            else:
                intent_owner[intent] = f.flow
        if not f.steps:
            err(("steps",), "steps", "a flow needs at least one step")
        known_keys = set(f.responses) | shared_keys
        ids: dict[str, int] = {}
        for i, step in enumerate(f.steps):
            if step.id is not None:
                if not _STEP_ID.match(step.id) or step.id == END:
                    err(("steps", i, "id"), f"steps.{i}.id", f"invalid step id {step.id!r}")
                if step.id in ids:
                    err(("steps", i, "id"), f"steps.{i}.id", f"duplicate step id {step.id!r}")
                ids[step.id] = i
        slots_collected = {s.collect for s in f.steps if isinstance(s, CollectStep)}
        for s in f.steps:
            used = s.action if isinstance(s, ActionStep) else s.validate_ if isinstance(s, CollectStep) else None
            if used in ACTIONS:
                slots_collected |= set(ACTIONS[used].sets)
        slots_collected |= switched_in.get(f.flow, set())

        def target_ok(t: str | None) -> bool:
            return t is None or t == END or t in ids  # noqa: B023

        for i, step in enumerate(f.steps):
            here = ("steps", i)

            def resp(
                key: str | None, field: str, _here: tuple[Any, ...] = here, _i: int = i, _known: set[str] = known_keys
            ) -> None:
                if key is not None and key not in _known:
                    err((*_here, field), f"steps.{_i}.{field}", f"unknown response {key!r}")

            for outcome, t in step.targets().items():
                if not target_ok(t):
                    err((*here, "next"), f"steps.{i}.next", f"unknown step {t!r} (outcome {outcome!r})")
            outcomes: tuple[str, ...] | None = None
            if isinstance(step, CollectStep):
                resp(step.ask, "ask")
                resp(step.reask, "reask")
                for key in step.invalid.values():
                    resp(key, "invalid")
                if step.expects not in EXPECTING:
                    err((*here, "expecting"), f"steps.{i}.expecting", f"unknown expectation {step.expects!r}")
                for c in step.choices:
                    resp(c.label, "choices")
                for ent, t in step.instead.items():
                    if not target_ok(t):
                        err((*here, "instead"), f"steps.{i}.instead", f"unknown step {t!r} (entity {ent!r})")
                if step.validate_:
                    if step.validate_ not in ACTIONS:
                        err((*here, "validate"), f"steps.{i}.validate", f"unknown action {step.validate_!r}")
                    else:
                        outcomes = ACTIONS[step.validate_].outcomes
                        for o in step.invalid:
                            if outcomes and o not in outcomes:
                                err((*here, "invalid"), f"steps.{i}.invalid", f"action has no outcome {o!r}")
            elif isinstance(step, ActionStep):
                if step.action not in ACTIONS:
                    err((*here, "action"), f"steps.{i}.action", f"unknown action {step.action!r}")
                else:
                    outcomes = ACTIONS[step.action].outcomes
            elif isinstance(step, ConfirmStep):
                resp(step.confirm, "confirm")
                if not target_ok(step.on_no):
                    err((*here, "on_no"), f"steps.{i}.on_no", f"unknown step {step.on_no!r}")
            elif isinstance(step, SayStep):
                resp(step.say, "say")
            elif isinstance(step, BranchStep):
                for j, case in enumerate(step.branch):
                    dest = case.goto if case.if_ is not None else case.else_
                    if dest is None or not target_ok(dest):
                        err((*here, "branch", j), f"steps.{i}.branch.{j}", f"unknown step {dest!r}")
                    if case.if_ is not None:
                        bad = _condition_problem(case.if_, slots_collected, CONDITIONS)
                        if bad:
                            err((*here, "branch", j), f"steps.{i}.branch.{j}.if", bad)
            elif isinstance(step, CallStep | SwitchStep):
                target = step.call if isinstance(step, CallStep) else step.switch
                if target not in flows:
                    err((*here, step.kind), f"steps.{i}.{step.kind}", f"unknown flow {target!r}")
                if isinstance(step, SwitchStep):
                    resp(step.say, "say")
                    target_flow = flows.get(step.switch)
                    if target_flow is not None:
                        # a value passed in is collected by the flow, or read by one of its conditions
                        collected = {s.collect for s in target_flow[1].steps if isinstance(s, CollectStep)}
                        read = {m.group(2) for s in target_flow[1].steps if isinstance(s, BranchStep)
                                for c in s.branch if c.if_ is not None and (m := _COND.match(c.if_.strip()))}
                        for key in step.with_:
                            if key not in collected | read:
                                err((*here, "with"), f"steps.{i}.with",
                                    f"flow {step.switch!r} neither collects nor reads {key!r}")
            elif isinstance(step, HandoffStep):
                resp(step.say, "say")
            elif isinstance(step, EndStep):
                resp(step.end, "end")
            if outcomes is not None and isinstance(step.next, dict):
                for o in step.next:
                    if o not in outcomes:
                        err((*here, "next"), f"steps.{i}.next", f"action has no outcome {o!r} (has {list(outcomes)})")
    return errors


_COND = re.compile(r"^(not\s+)?([a-z_][a-z0-9_.]*)(?:\s*(==|!=)\s*(['\"]?)([\w.-]*)\4)?$")


def _condition_problem(expr: str, slots: set[str], conditions: dict[str, Any]) -> str | None:
    from bot.nlu.base import ENTITIES
    from bot.settings import Settings

    m = _COND.match(expr.strip())
    if not m:
        return f"cannot read condition {expr!r} (use: name, not name, name == 'value')"
    name = m.group(2)
    if name in conditions or name in slots:
        return None
    if name.startswith("settings."):
        return None if name[9:] in Settings.model_fields else f"unknown setting {name[9:]!r}"
    if name.startswith("given."):
        return None if name[6:] in ENTITIES else f"unknown entity {name[6:]!r}"
    return f"unknown slot {name!r} (not collected or set by an action in this flow)"


def _load(content_dir: Path, *, strict_languages: bool) -> tuple[FlowSet | None, list[ContentError]]:
    flows_dir = Path(content_dir)
    errors: list[ContentError] = []
    files: dict[str, tuple[FlowFile, LineMap]] = {}
    paths = sorted(flows_dir.glob("*.yml")) + sorted(flows_dir.glob("*.yaml"))
    if not paths:
        return None, [ContentError(str(flows_dir), None, None, "no flow files (*.yml)")]
    for path in paths:
        name = f"flows/{path.name}"
        f, lines, errs = _read_file(path, name)
        errors.extend(errs)
        if f is not None and lines is not None:
            files[name] = (f, lines)
    errors.extend(_check(files, SUPPORTED_LANGUAGES, strict_languages))
    if errors:
        return None, errors
    shared: dict[str, dict[str, str]] = {}
    flows: dict[str, Flow] = {}
    for name, (f, _) in files.items():
        if not f.flow:
            shared.update(f.responses)
            continue
        flows[f.flow] = Flow(
            name=f.flow,
            file=name,
            description=f.description,
            intents=f.intents,
            internal=f.internal,
            digression=f.digression,
            steps=list(f.steps),
            ids={s.id: i for i, s in enumerate(f.steps) if s.id},
            responses=f.responses,
        )
    return FlowSet(flows, shared), []


def load_flows(content_dir: Path) -> FlowSet:
    """Read ``content_dir/flows/*.yml`` (or ``content_dir/*.yml`` when given the flows folder itself).

    Raises ContentErrors naming file, line and field; a missing translation is tolerated (English is used).
    """
    content_dir = Path(content_dir)
    if (content_dir / "flows").is_dir():
        content_dir = content_dir / "flows"
    flowset, errors = _load(content_dir, strict_languages=False)
    if errors or flowset is None:
        raise ContentErrors(errors)
    return flowset


def validate_flows(content_dir: Path) -> list[ContentError]:
    """Every problem in the flows, missing translations included (for ``crisisbot validate``).

    ``content_dir`` may be the project's content root (with a ``flows/`` folder) or the flows folder itself.
    """
    content_dir = Path(content_dir)
    if (content_dir / "flows").is_dir():
        content_dir = content_dir / "flows"
    _, errors = _load(content_dir, strict_languages=True)
    return errors
