"""The flow runtime: runs flows/*.yml over one understood message at a time.

State (``Turn.state`` in, ``TurnResult.state`` out; JSON-able, see ``new_state``)::

    {"v": 1,
     "stack": [{"flow": "rebook", "id": "<uuid>", "step": "choose", "slots": {...},
                "awaiting": true, "calling": false}, ...],      # the last frame is the one talking
     "verified": {"reference": ..., "last_name": ..., "at": iso} | null,
     "counters": {"misunderstandings": 0, "auth_failures": [iso, ...]},
     "last_intents": ["rebook", "provide_info"],
     "last_change": {"change": "rebook", "flow_id": ..., "at": iso} | null,
     "carry": {"booking_reference": ...},                       # data given before a flow asked for it
     "nlu_context": {"expecting": "option", "options": [...], "timezone": "Europe/Amsterdam"}}

A frame ``awaiting`` input is parked on a collect or confirm step; ``calling`` means it waits for the frame above it
(a ``call`` step). A frame above a parked frame that is not calling is a digression: when it finishes, the parked
frame asks its question again ("answer it and return").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import re
import unicodedata
import uuid
from typing import TYPE_CHECKING, Any

from bot.dialogue import formatting as fmt
from bot.dialogue.actions import (
    ACTIONS,
    CONDITIONS,
    ActionContext,
    BookingChanged,
    StaleAnswer,
    Unconfirmed,
    confirm_terms,
    is_verified,
    options_context,
)
from bot.dialogue.base import Button, DialogueEngine, HandoffRequest, Reply, Turn, TurnResult
from bot.dialogue.loader import (
    END,
    ActionStep,
    BranchStep,
    CallStep,
    CollectStep,
    ConfirmStep,
    EndStep,
    Flow,
    FlowSet,
    HandoffStep,
    SayStep,
    SwitchStep,
)
from bot.dialogue.time_of_day import time_window
from bot.errors import StoreError
from bot.nlu.base import FALLBACK_INTENT, Parse
from bot.nlu.cjk import has_cjk
from bot.nlu.entities.options import describe_option
from bot.privacy import remember, remember_from
from bot.reservations.base import (
    AdapterUnavailable,
    Booking,
    BookingNotFound,
    ReservationAdapter,
    ReservationError,
)
from bot.settings import SUPPORTED_LANGUAGES, Settings

if TYPE_CHECKING:
    from bot.store.throttle import VerificationThrottle

log = logging.getLogger(__name__)

STATE_VERSION = 1
# intents whose request comes before a question about care or compensation in the same message
CARE_NOT_FOR = frozenset({"rebook", "cancel", "flight_status", "request_human", "baggage", "choose_option", "affirm",
                          "deny", "stop"})
# a booking given with one of these (or no) intents is looked at first (flows/booking_given.yml)
BOOKING_GIVEN_INTENTS = ("provide_info", "flight_status", "complaint", "nlu_fallback", "out_of_scope", "crisis_info",
                         "help", "greet")
INFO_INTENTS = ("greet", "help", "thanks", "crisis_info", "baggage", "refund_status", "complaint", "out_of_scope")
# intents that never count as a raw answer ("cancel" is six letters, like a booking reference)
CONTROL_INTENTS = ("rebook", "cancel", "flight_status", "request_human", "stop", "help", "affirm", "deny", "greet",
                   "thanks", "crisis_info", "baggage", "refund_status", "complaint")
MAX_STEPS_PER_TURN = 200
# what the bot serves even when the passenger is angry (the first time): asks it can act on, and answers to its own
# questions; anger with anything else (a complaint, venting, out of scope) is handed to a person
SERVABLE_WHEN_ANGRY = frozenset({"rebook", "cancel", "flight_status", "crisis_info", "baggage", "refund_status",
                                 "affirm", "deny", "choose_option", "provide_info", "stop"})
LAST_CHANGE_TTL = dt.timedelta(hours=1)
PRIVATE_SLOTS = ("last_name", "otp_code", "otp_hash", "otp_expires", "otp_tries")

_REF = re.compile(r"[A-Z0-9]{6}")
# a word that asks about the flight ("status of my booking YYZBBB meyer", "vertraagd?", "pünktlich")
_STATUS_WORD = re.compile(
    r"(?i)\b(?:status|statut|estado|stato|статус\w*|durum\w*|delay\w*|vertraag\w*|versp[äa]t\w*|retard\w*|retras\w*|"
    r"ritard\w*|atras\w*|op[óo]źni\w*|f[öo]rsen\w*|forsink\w*|задерж\w*|gecik\w*|on time|op tijd|p[üu]nktlich|"
    r"[àa] l'heure|a tiempo|in orario|no hor[áa]rio|a horas|punktualn\w*|i tid|вовремя|zaman[ıi]nda)\b"
    r"|状況|状态|狀態|遅延|延误|延誤|定刻|准时|準時")
_NAME = re.compile(r"[^\W\d_]+(?:[ '\u2019-][^\W\d_]+){0,3}")
_FLIGHT = re.compile(r"([A-Z]{2}|[A-Z]\d|\d[A-Z])\s?(\d{1,4})")
_TIME = re.compile(r"\b([01]?\d|2[0-3])[:.h]([0-5]\d)\b")
_OTP = re.compile(r"\d{6}")


# a date right after "my flight" / "vlucht van" / "vol de" names the booked flight, not the wished one
_OWN_FLIGHT_BEFORE_DATE = re.compile(
    r"(?:^|\W)(?:flight|flights|vlucht|vluchten|vol|flug|vuelo|volo|voo|lot|flyg|flyget|flygning|flyet|afgang|"
    r"booking|boeking|reservation|buchung|reserva|prenotazione|rezerwacja|bokning|rejs)"
    r"(?:\s+(?:of|on|for|van|op|voor|de|du|d'|von|vom|am|fur|del|di|da|do|del|z|na|pa|den|le|el|il|o|a))?\s*$",
    re.IGNORECASE,
)
# ... unless a change verb comes first and the word after the flight means "to": "zmienić lot na jutro", "cambiar mi
# vuelo a mañana", "spostare il volo a venerdì" (Polish "na", Spanish and Italian "a" are both "on" and "to")
_CHANGE_FLIGHT_TO_DATE = re.compile(
    r"(?:^|\W)(?:zmieni\w*|zamieni\w*|przenie\w*|przesun\w*|przebukow\w*|cambi\w*|mover|muev\w*|pasar|adelant\w*|"
    r"atras\w*|spost\w*|anticip\w*|posticip\w*|rimand\w*|mudar|alter\w*|remarc\w*|passar)"
    r"\s+(?:\w+\s+){0,2}(?:lot|lotu|vuelo|volo|voo|rezerwacj\w*|reserva|prenotazione)\s+(?:na|a|al|para|per)\s*$",
    re.IGNORECASE,
)
# the data a passenger may give before a flow asks for it, kept in state["carry"] until a step needs it
CARRIED_ENTITIES = ("booking_reference", "last_name", "flight_number", "date")

# a short answer at a confirmation, in any of our languages, whatever else it says ("si grazie", "ok thanks", "ja
# bitte", "nee dank je"); extend per language (folded: lower case, no accents)
YES_WORDS = frozenset(
    "yes yeah yep yup sure ok okay okey alright correct confirm confirmed please fine "
    "ja jawel jazeker graag prima goed akkoord klopt "
    "oui ouais daccord parfait confirme "
    "jawohl gerne genau passt bitte richtig einverstanden "
    "si claro vale perfecto correcto confirmo dale "
    "certo perfetto bene confermo esatto "
    "sim perfeito "
    "tak jasne oczywiscie potwierdzam dobrze zgoda "
    "javisst absolut visst jo bestemt "
    "да evet tamam はい 是 是的 好 好的 对".split()
)
NO_WORDS = frozenset(
    "no nope nah not don't dont cancel stop nee neen niet niks liever non pas nein nicht nee nao não nie nej ikke inte "
    "net hayir".split()
)
NO_PROBLEM_WORDS = frozenset("problem problems worries worry probleem probleme problema problemas problemu "
                             "prob probs biggie".split())
_WORDS_ONLY = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# a doubt in a yes ("yes but wait", "oui mais attendez", "ja, aber moment"): no clear yes to a change
DOUBT_WORDS = frozenset(
    "but wait hold hang hmm hmmm actually mais attendez attends aber moment warte warten maar wacht effe pero espera "
    "espere momento aspetta aspetti pero mas ale czekaj chwila men vanta vent но подождите подожди постойте ama bekle "
    "dur".split()
)
UNSURE_PHRASES = (
    "not sure", "dont know", "don't know", "dunno", "maybe", "perhaps", "no idea", "weet niet", "weet ik niet",
    "geen idee", "misschien", "weiss nicht", "weiß nicht", "keine ahnung", "vielleicht", "je sais pas",
    "je ne sais pas", "peut etre", "no se", "no lo se", "quizas", "tal vez", "non so", "forse", "nao sei", "talvez",
    "nie wiem", "moze", "vet inte", "kanske", "ved ikke", "maske", "не знаю", "может быть", "bilmiyorum", "belki",
)
UNSURE_CJK = ("わからない", "分からない", "不知道", "也许")
DOUBT_CJK = ("でも", "待って", "ちょっと", "但是", "等等", "等一下", "不过", "可是")

_CALLED = object()  # _run_frame pushed a frame (call or switch): run the new top frame


class HandedOff(Exception):
    pass


def new_state() -> dict[str, Any]:
    return {
        "v": STATE_VERSION,
        "stack": [],
        "verified": None,
        "counters": {"misunderstandings": 0, "auth_failures": []},
        "last_intents": [],
        "last_change": None,
        "carry": {},
        "nlu_context": {},
    }


def _norm(text: str) -> str:
    """Lower case, no accents, single spaces: for matching phrases."""
    t = unicodedata.normalize("NFKD", text.casefold())
    t = "".join(c for c in t if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w:]+", " ", t).split())


@functools.lru_cache(maxsize=2048)
def _raw_reference(run: Run, text: str) -> bool:
    """A message that is only six letters and digits may be a booking reference the NLU did not see: with a digit
    in it, or typed in capitals, and no date ("monday", "friday" are days, not references)."""
    cleaned = re.sub(r"\s", "", text).upper()
    return bool(_REF.fullmatch(cleaned)) and not run.entity("date") and (
        any(c.isdigit() for c in cleaned) or text.strip().isupper())


def _phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    """A shortcut phrase from the flows, as a whole-words pattern over normalised text (cached: flows are static)."""
    p = _norm(phrase)
    if p and has_cjk(p):  # Chinese and Japanese have no spaces between words: the phrase anywhere in the text
        return re.compile(re.escape(p))
    return re.compile(rf"(^|\s){re.escape(p)}($|\s)") if p else None


class _Vars(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Run:
    """Everything about one turn: the state being changed and the result being built."""

    def __init__(self, engine: FlowEngine, turn: Turn, state: dict[str, Any], language: str) -> None:
        self.engine = engine
        self.flows = engine.flows
        self.turn: Turn = turn
        self.parse: Parse = turn.parse
        self.state: dict[str, Any] = state
        self.language: str = language
        self.result = TurnResult()
        self.booking_cache: Booking | None = None
        self.steps_run = 0
        self.prefill = True  # the message's data may still fill steps that are about to ask
        self.used: set[str] = set()  # values steps took in this turn (not to be carried further)

    # ------------------------------------------------------------ frames
    @property
    def stack(self) -> list[dict[str, Any]]:
        return self.state["stack"]

    def top(self) -> dict[str, Any] | None:
        return self.stack[-1] if self.stack else None

    def top_slots(self) -> dict[str, Any]:
        top = self.top()
        return top["slots"] if top else {}

    def flow_of(self, frame: dict[str, Any]) -> Flow:
        return self.flows[frame["flow"]]

    def index_of(self, frame: dict[str, Any]) -> int:
        step = frame.get("step")
        flow = self.flow_of(frame)
        if isinstance(step, str) and step.startswith("#"):
            return int(step[1:])
        if isinstance(step, str) and step in flow.ids:
            return flow.ids[step]
        return len(flow.steps)

    def set_index(self, frame: dict[str, Any], index: int) -> None:
        flow = self.flow_of(frame)
        frame["step"] = flow.step_id(index) if index < len(flow.steps) else "#end"

    def step_of(self, frame: dict[str, Any]) -> Any | None:
        i = self.index_of(frame)
        steps = self.flow_of(frame).steps
        return steps[i] if 0 <= i < len(steps) else None

    # ------------------------------------------------------------ parse helpers
    def entity(self, name: str) -> Any | None:
        value = self.parse.first(name)
        return value if value not in (None, "") else None

    def wished_date(self, *, strict: bool) -> str | None:
        """The date the passenger wants to travel on: the last date of the message, leaving out (when ``strict``, i.e.
        not a direct answer to "when?") dates that name the booked flight ("my flight tomorrow was cancelled")."""
        text = self.parse.text
        dates = [e for e in self.parse.entities if e.entity == "date" and e.value not in (None, "")]
        if strict:
            dates = [e for e in dates if not _OWN_FLIGHT_BEFORE_DATE.search(text[: max(0, e.start)][-40:])
                     or _CHANGE_FLIGHT_TO_DATE.search(text[: max(0, e.start)][-60:]) or e.start <= 0]
        for e in reversed(dates):
            try:
                return dt.date.fromisoformat(str(e.value)).isoformat()
            except ValueError:
                continue
        return None

    @property
    def intent(self) -> str:
        return self.parse.intent.name

    @property
    def confident(self) -> bool:
        return self.intent != FALLBACK_INTENT and self.parse.intent.confidence >= self.engine.settings.nlu_threshold

    def raw_ok(self) -> bool:
        return not self.confident or self.intent not in CONTROL_INTENTS

    # ------------------------------------------------------------ replies
    def text(self, key: str, flow: str | None = None) -> str:
        t = self.flows.response(key, self.language, flow)
        if t is None:
            log.error("missing response %s", key)
            return key
        return t

    def say(
        self, key: str | None, frame: dict[str, Any] | None = None, *, kind: str = "text",
        buttons: tuple[Button, ...] = ()
    ) -> None:
        if not key:
            return
        frame = frame if frame is not None else self.top()
        flow = frame["flow"] if frame else None
        template = self.text(key, flow)
        try:
            text = template.format_map(self.variables(frame))
        except (ValueError, IndexError, KeyError, AttributeError):
            text = template
        self.result.replies.append(Reply(text=text.strip(), buttons=buttons, kind=kind))

    def variables(self, frame: dict[str, Any] | None) -> _Vars:
        lang = self.language
        slots = frame["slots"] if frame else {}
        s = self.engine.settings

        def t(key: str) -> str:
            return self.text(key, frame["flow"] if frame else None)

        v = _Vars(airline=s.airline_name, languages=self.text("language_list"))
        verified = self.state.get("verified") or {}
        v["reference"] = slots.get("booking_reference") or verified.get("reference") or ""
        try:
            if slots.get("current_segments"):
                v["itinerary"] = fmt.itinerary(slots["current_segments"], lang)
            if slots.get("new_segments"):
                v["new_itinerary"] = fmt.itinerary(slots["new_segments"], lang)
            if slots.get("options"):
                v["options"] = fmt.options_list(slots["options"], lang, t)
                v["option_count"] = str(len(slots["options"]))
            chosen = slots.get("chosen")
            if chosen:
                v["chosen"] = fmt.itinerary(chosen["segments"], lang)
                v["fee_note"] = fmt.fee_note(chosen, lang, t)
            if slots.get("travel_date") and slots["travel_date"] != "asap":
                v["travel_date"] = fmt.fmt_date(slots["travel_date"], lang)
            if slots.get("next_free_date"):
                v["next_free_date"] = fmt.fmt_date(slots["next_free_date"], lang)
            cur = slots.get("currency") or "EUR"
            if slots.get("fare"):
                v["fare"] = str(slots["fare"])
            travellers = slots.get("travellers") or []
            v["whole_booking"] = (t("whole_booking_note").format(count=len(travellers),
                                                                 names=fmt.name_list(travellers, lang)) + " "
                                  if len(travellers) > 1 else "")
            for name in ("refund_amount", "voucher_amount", "cancel_fee", "change_fee", "fee_charged", "total_paid"):
                if slots.get(name) is not None:
                    v[name] = fmt.fmt_money(slots[name], cur, lang)
            st = slots.get("status")
            if st:
                v["flight"] = st["flight_number"]
                v["origin"] = fmt.place(st["origin"], lang)
                v["destination"] = fmt.place(st["destination"], lang)
                v["status_day"] = fmt.fmt_day(st["scheduled_departure"], st["origin"], lang)
                v["departure"] = fmt.fmt_time(st["scheduled_departure"], st["origin"], lang)
                v["arrival"] = fmt.fmt_time(st["scheduled_arrival"], st["destination"], lang)
                v["new_departure"] = fmt.fmt_time(st["estimated_departure"] or st["scheduled_departure"],
                                                  st["origin"], lang)
                v["new_arrival"] = fmt.fmt_time(st["estimated_arrival"] or st["scheduled_arrival"],
                                                st["destination"], lang)
            q = slots.get("status_query")
            if q:
                v["flight"] = v.get("flight") or q["flight_number"]
                v["status_date"] = fmt.fmt_date(q["date"], lang)
            if "otp_tries" in slots:
                v["tries_left"] = str(max(0, 3 - int(slots.get("otp_tries") or 0)))
        except (KeyError, TypeError, ValueError) as exc:  # a broken slot must not break the reply
            log.warning("cannot format variables: %s", type(exc).__name__)
        v["group_size"] = str(s.group_handoff_size)
        return v

    def ask(self, frame: dict[str, Any], *, prefix: str | None = None) -> None:
        """Say the question of the step the frame is parked on (again)."""
        step = self.step_of(frame)
        if prefix:
            self.say(prefix, frame)
        if isinstance(step, CollectStep):
            buttons: tuple[Button, ...] = ()
            if step.expects == "option":
                buttons = tuple(Button(str(i), str(i)) for i in range(1, len(frame["slots"].get("options") or []) + 1))
            elif step.choices:
                buttons = tuple(
                    Button(self.text(c.label, frame["flow"]), str(i)) for i, c in enumerate(step.choices, start=1)
                )
            self.say(step.ask, frame, buttons=buttons)
            if step.choices:
                lines = [f"{i}. {self.text(c.label, frame['flow'])}" for i, c in enumerate(step.choices, start=1)]
                last = self.result.replies.pop()
                self.result.replies.append(Reply(last.text + "\n" + "\n".join(lines), last.buttons, last.kind))
        elif isinstance(step, ConfirmStep):
            yes, no = self.text("button_yes"), self.text("button_no")
            self.say(step.confirm, frame, buttons=(Button(yes, yes), Button(no, no)))
            # the question carries what it confirms; a yes binds to exactly this
            frame["confirming"] = confirm_terms(self.state, frame["slots"])
            frame["confirm_step"] = frame.get("step")
            # the booking as the question saw it: a yes after someone else changed it changes nothing
            if self.booking_cache is not None:
                frame["confirm_version"] = self.booking_cache.version

    async def verified_booking(self) -> Booking:
        if self.booking_cache is not None:
            return self.booking_cache
        v = self.state.get("verified") or {}
        if not is_verified(self.state, self.turn.now):
            raise BookingNotFound("no verified booking")
        self.booking_cache = await self.engine.adapter.find_booking(v["reference"], v.get("last_name", ""))
        return self.booking_cache

    def summary(self, reason: str) -> str:
        parts = [f"reason={reason}"]
        frames = [f for f in self.stack if f.get("flow") in self.flows]
        if frames:
            parts.append("flows=" + ">".join(f"{f['flow']}@{f.get('step')}" for f in frames))
        verified = self.state.get("verified") or {}
        slots: dict[str, Any] = {}
        for f in frames:
            slots.update(f.get("slots") or {})
        ref = slots.get("booking_reference") or verified.get("reference")
        if ref:
            # for the agent; the audit row that keeps the summary is redacted (bot.privacy)
            parts.append(f"booking={ref}" + ("" if verified.get("reference") == ref else " (not verified)"))
        if slots.get("travel_date"):
            parts.append(f"travel_date={slots['travel_date']}")
        if slots.get("chosen"):
            segs = slots["chosen"]["segments"]
            parts.append(
                "chosen=" + "+".join(s["flight_number"] for s in segs) + " "
                + fmt.fmt_datetime(segs[0]["departure"], segs[0]["origin"], "en")
            )
        if slots.get("cancel_mode"):
            parts.append(f"cancel_mode={slots['cancel_mode']}")
        if slots.get("flight_number"):
            parts.append(f"flight={slots['flight_number']}")
        parts.append("intents=" + ">".join(self.state.get("last_intents", [])[-5:]))
        parts.append(f"language={self.language}")
        return "; ".join(parts)


PERSONAL_ENTITIES = ("booking_reference", "last_name", "email", "phone")


class FlowEngine(DialogueEngine):
    def __init__(self, settings: Settings, adapter: ReservationAdapter, flows: FlowSet,
                 throttle: VerificationThrottle | None = None) -> None:
        self.settings = settings
        self.adapter = adapter
        self.flows = flows
        self.throttle = throttle  # None: per-conversation limit only

    # ================================================================ entry point
    async def handle(self, turn: Turn) -> TurnResult:
        # the personal data this turn knows of is masked in every log line and audit row written meanwhile (the
        # pipeline starts the turn's scope: bot.privacy.forget)
        remember_from(turn.state)
        remember(*(e.value for e in turn.parse.entities if e.entity in PERSONAL_ENTITIES),
                 *(e.text for e in turn.parse.entities if e.entity in PERSONAL_ENTITIES))
        state = self._safe_state(turn.state)
        language = turn.language if turn.language in SUPPORTED_LANGUAGES else self.settings.default_language
        if "unsupported_language" in turn.parse.flags:
            language = "en"
        run = Run(self, turn, state, language)
        try:
            await self._turn(run)
        except HandedOff:
            pass
        except StaleAnswer:
            # an answer to a question the conversation has moved past: change nothing, ask the current question
            log.info("stale answer not executed")
            run.state = self._safe_state(turn.state)
            run.result = TurnResult(events=[{"action": "stale_answer_ignored"}])
            run.booking_cache = None
            run.say("earlier_question")
            top = run.top()
            if top is not None and top.get("awaiting"):
                run.ask(top)
        except AdapterUnavailable:
            remember_from(run.state)
            log.warning("reservation system unavailable; handing off")
            self._handoff(run, "adapter_error", "adapter_error")
        except ReservationError as exc:
            log.warning("reservation error %s; handing off", type(exc).__name__)
            self._handoff(run, "adapter_error", "adapter_error")
        except StoreError:
            raise  # the bot's own database (the verification throttle) failed: the pipeline answers "retry"
        except Exception:
            remember_from(run.state)  # what this turn collected, before its traceback is written
            log.exception("dialogue failure; handing off")
            run.state = self._safe_state(turn.state)  # nothing of this turn's half-done work
            run.result = TurnResult()
            self._handoff(run, "internal_error", "handoff_generic")
        return self._finish(run)

    def _safe_state(self, raw: Any) -> dict[str, Any]:
        try:
            return self._load_state(raw)
        except Exception:  # a broken stored state starts afresh rather than failing
            log.warning("unreadable dialogue state; starting afresh")
            return new_state()

    def _load_state(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict) or raw.get("v") != STATE_VERSION:
            return new_state()
        state = json.loads(json.dumps(raw))  # a private copy (the state is JSON by contract)
        base = new_state()
        for key, value in base.items():
            if not isinstance(state.get(key), type(value)) and key not in ("verified", "last_change"):
                state[key] = value
        counters = state["counters"]
        try:
            counters["misunderstandings"] = int(counters.get("misunderstandings") or 0)
        except (TypeError, ValueError):
            counters["misunderstandings"] = 0
        if not isinstance(counters.get("auth_failures"), list):
            counters["auth_failures"] = []
        good: list[dict[str, Any]] = []
        for frame in state["stack"]:
            if (
                not isinstance(frame, dict)
                or frame.get("flow") not in self.flows
                or not isinstance(frame.get("slots"), dict)
            ):
                good = []  # a frame from content that no longer exists: start afresh
                break
            frame.setdefault("id", uuid.uuid4().hex)
            frame.setdefault("awaiting", False)
            frame.setdefault("calling", False)
            good.append(frame)
        state["stack"] = good
        return state

    def _remember(self, run: Run) -> None:
        """Keep what this message gave that no step has taken yet ("... kan ik vrijdag vliegen?" while the flow
        still asks for the name), until a step needs it."""
        if not run.stack or run.result.handoff is not None or "unsupported_language" in run.parse.flags:
            return
        taken = set(run.used)
        for frame in run.stack:
            taken.update(str(v).casefold() for v in frame["slots"].values() if isinstance(v, str))
        verified = run.state.get("verified") or {}
        taken.update(str(v).casefold() for v in verified.values() if isinstance(v, str))
        carry = run.state.setdefault("carry", {})
        for name in CARRIED_ENTITIES:
            value = run.wished_date(strict=True) if name == "date" else run.entity(name)
            if value is None:
                continue
            value = str(value).strip()
            if name in ("booking_reference", "flight_number"):
                value = re.sub(r"\s", "", value).upper()
            if value.casefold() not in taken:
                carry[name] = value
        window = time_window(run.parse.text)
        if window is not None:  # "saturday evening", "after 6pm": for the flight search (search_alternatives)
            carry["time_of_day"] = list(window)
        if carry.get("date") is None:
            self._remember_shortcut(run, carry)

    def _remember_shortcut(self, run: Run, carry: dict[str, Any]) -> None:
        """A later date question's answer said before it was asked ("I want another flight, the earliest one", then
        the booking): kept like a date, for that step's prefill."""
        for frame in run.stack:
            awaited = run.step_of(frame) if frame.get("awaiting") else None
            for step in run.flow_of(frame).steps:
                if (not isinstance(step, CollectStep) or step.expects != "date" or not step.shortcuts
                        or step is awaited or frame["slots"].get(step.collect) is not None):
                    continue
                value = self._extract_shortcut(run, step)
                if value is not None:
                    carry[step.collect] = value
                    return

    def _finish(self, run: Run) -> TurnResult:
        state = run.state
        self._remember(run)
        remember_from(state)
        state["nlu_context"] = self._nlu_context(run)
        run.result.state = state
        if not run.result.replies:
            run.say("anything_else")
        return run.result

    def _nlu_context(self, run: Run) -> dict[str, Any]:
        top = run.top()
        if not top or not top.get("awaiting"):
            return {}
        step = run.step_of(top)
        ctx: dict[str, Any] = {"flow": top["flow"]}
        if isinstance(step, ConfirmStep):
            ctx["expecting"] = "confirmation"
        elif isinstance(step, CollectStep):
            ctx["expecting"] = step.expects
            if step.expects == "option":
                options = top["slots"].get("options") or []
                ctx["options"] = options_context(options)
                if options:
                    ctx["timezone"] = str(fmt.airport_tz(options[0]["segments"][0]["origin"]))
            elif step.choices:
                ctx["expecting"] = "option"
                ctx["options"] = [{"index": i, "value": c.value} for i, c in enumerate(step.choices, start=1)]
        return ctx

    # ================================================================ one turn
    async def _turn(self, run: Run) -> None:
        state, parse = run.state, run.parse
        intents = state["last_intents"]
        intents.append(parse.intent.name)
        del intents[:-8]
        if "unsupported_language" in parse.flags:
            run.result.events.append({"action": "flag_language"})
        if "angry" in parse.flags:
            # anger sets priority, it does not hide the ask: an angry passenger who asks for something the bot can
            # do (a new flight, a cancellation, a status, an answer the flow expects) is served; anger with no
            # servable ask, or anger again later in the conversation, goes to a person
            counters = state["counters"]
            counters["angry"] = int(counters.get("angry") or 0) + 1
            servable = (run.confident and run.intent in SERVABLE_WHEN_ANGRY) or (
                # "this is a disgrace!!! my flight is cancelled ... booking 35AS8L schneider": the booking is looked
                # at (the EU261 choice, its status) before anyone is asked to wait for a person
                run.entity("booking_reference") is not None and "booking_given" in self.flows)
            if counters["angry"] >= 2 or not servable:
                self._handoff(run, "angry", "handoff_angry", priority=1)
                return
            run.result.events.append({"action": "angry_served", "intent": run.intent})
        if "empty" in parse.flags:
            # nothing readable (a stray Enter, a sticker, whitespace): no misunderstanding, so never a handoff;
            # the question that is open is asked again, or the passenger is shown what the bot can do
            top = run.top()
            if top is not None and top.get("awaiting"):
                run.ask(top)
            else:
                run.say("intent_help", buttons=self._main_choices(run))
            return
        confident = run.confident
        intent = run.intent
        if confident and intent == "request_human":
            self._handoff(run, "request_human", "handoff_request")
            return
        if confident and intent in ("stop", "deny") and self._answers_with_shortcut(run):
            confident = False  # "me da igual" to "when?" is the answer "any date", not "stop"
        if confident and intent == "stop":
            self._stop(run)
            return
        top = run.top()
        if run.turn.crisis is not None and await self._crisis_answer(run, top):
            return
        if top is not None and top.get("awaiting"):
            await self._continue(run)
            return
        if top is not None:  # a frame not parked (should not happen): resume it
            await self._run(run)
            return
        await self._idle(run)

    def _answers_with_shortcut(self, run: Run) -> bool:
        """The message is one of the phrases the parked question takes as an answer (flows' ``shortcuts``)."""
        top = run.top()
        step = run.step_of(top) if top is not None and top.get("awaiting") else None
        return isinstance(step, CollectStep) and self._extract_shortcut(run, step) is not None

    # ================================================================ crisis mode
    async def _crisis_answer(self, run: Run, top: dict[str, Any] | None) -> bool:
        """Answer a crisis question from the running playbook's FAQ (in the passenger's language)."""
        crisis = run.turn.crisis
        awaiting = top is not None and top.get("awaiting")
        if awaiting and run.intent != "crisis_info" and run.confident:
            return False  # the passenger answers the flow's question
        if run.entity("booking_reference") and not awaiting:
            # a booking given ("my flight was cancelled, booking ZPK76W name Dubois"): this passenger's own trip
            # comes first (its flows apply the crisis waiver), not the general answer
            return False
        ans = crisis.answer(run.turn.text, run.language, intent=run.intent, confident=run.confident,
                            now=run.turn.now)
        if ans is not None and ans.entry_id in ("compensation", "care") and not await self._crisis_covers(run):
            # a passenger whose own trip the crisis does not touch ("my flight to Berlin was cancelled, and the
            # compensation?"): what EU261 gives them, not the crisis's "extraordinary circumstances" answer
            return False
        if ans is not None:
            text, crisis_id, faq = ans.text, ans.crisis.id, ans.entry_id
        elif run.intent == "crisis_info" and run.confident and not awaiting:
            text, crisis_id, faq = crisis.holding(run.language, run.turn.now), crisis.crises[0].id, None
        else:
            return False
        self._understood(run)
        buttons = () if awaiting else self._main_choices(run)[:2]
        run.result.replies.append(Reply(text=text, buttons=buttons, kind="crisis_faq"))
        run.result.events.append({"action": "crisis_faq", "crisis": crisis_id, "faq": faq,
                                  "score": round(ans.score, 3) if ans else None})
        if awaiting and top is not None:
            run.ask(top, prefix="back_to_flow")
        return True

    async def _crisis_covers(self, run: Run) -> bool:
        """Whether the running crisis covers this passenger's trip; True when no booking is known (the general
        answer is for them)."""
        if not is_verified(run.state, run.turn.now):
            return True
        try:
            booking = await run.verified_booking()
        except ReservationError:
            return True
        return run.turn.crisis.affecting(booking, run.turn.now) is not None

    def _crisis_queue_change(self, run: Run, change: str) -> bool:
        """While the reservation system is down (an IT outage playbook), take the request and do it when back."""
        crisis = run.turn.crisis
        down = crisis.changes_unavailable if crisis is not None else None
        if down is None:
            return False
        text = crisis.faq_text("system_down", run.language, run.turn.now) or crisis.holding(run.language,
                                                                                             run.turn.now)
        run.state["crisis_request"] = {"crisis": down.id, "change": change, "at": run.turn.now.isoformat()}
        run.result.replies.append(Reply(text=text, kind="crisis_faq"))
        run.result.events.append({"action": "crisis_request_queued", "crisis": down.id, "change": change})
        return True

    def _understood(self, run: Run) -> None:
        run.state["counters"]["misunderstandings"] = 0

    def _misunderstood(self, run: Run) -> bool:
        """Count a miss; True when this was the second in a row (the conversation was handed off)."""
        counters = run.state["counters"]
        counters["misunderstandings"] = int(counters.get("misunderstandings") or 0) + 1
        if counters["misunderstandings"] >= 2:
            self._handoff(run, "misunderstood", "handoff_misunderstood")
            return True
        return False

    def _stop(self, run: Run) -> None:
        self._understood(run)
        run.state.pop("suspended", None)
        if run.stack:
            for frame in reversed(run.stack):
                self._finished_event(run, frame, "stopped")
            run.state["stack"] = []
            run.state["carry"] = {}
            run.say("stopped")
        else:
            run.say("stopped_idle")

    async def _idle(self, run: Run) -> None:
        """No flow is active: start one, answer, or ask what the passenger wants."""
        intent, state = run.intent, run.state
        if "unsupported_language" in run.parse.flags and not (
            run.entity("flight_number") or run.entity("booking_reference")
        ):
            # an intent read from a language we do not speak is a guess: say which languages we speak, and offer
            # the main choices (a colleague who speaks the language is flagged by the pipeline)
            run.say("unsupported_language", buttons=self._main_choices(run))
            return
        if self._care_answer(run):
            if run.entity("booking_reference") and not run.entity("flight_number") and "booking_given" in self.flows:
                # "stuck at Heathrow with no hotel, E949X2 O'Brien": the hotel answer, then the booking looked at
                await self._start(run, "booking_given")
            return
        if self._price_question(run):
            # "booking LET2YC mulder, what does it cost?": the terms of this ticket (or of the fares in general)
            self._understood(run)
            await self._start(run, "fare_terms")
            return
        data = run.entity("flight_number") or run.entity("booking_reference") or run.entity("last_name")
        if run.confident and intent in ("thanks", "greet") and data:
            # "... reserva 3x89e8 apelido Schneider, obrigada": the closing word never swallows the request
            intent = next((p.name for p in run.parse.intent_ranking[1:4]
                           if p.name in self.flows.by_intent and p.confidence >= 0.1), "provide_info")
        if not run.confident and (run.entity("flight_number") or run.entity("booking_reference")):
            intent = "provide_info"  # unsure what they want, but they gave us data we can use
        elif not run.confident:
            if "unsupported_language" in run.parse.flags:
                run.say("unsupported_language")
                return
            if not self._misunderstood(run):
                run.say("clarify", buttons=self._main_choices(run))
            return
        booking_known = bool(run.entity("booking_reference") or (state.get("carry") or {}).get("booking_reference")
                             or is_verified(state, run.turn.now))
        if (intent == "provide_info" and booking_known and run.wished_date(strict=True)
                and "rebook" in self.flows.by_intent):
            # a booking and another day to fly: "boeking X naam Y, kan ik vrijdag vliegen?", or just "the 15th
            # then" once the booking is known
            intent = "rebook"
        self._understood(run)
        flow_name = self.flows.by_intent.get(intent)
        if (intent in BOOKING_GIVEN_INTENTS and run.entity("booking_reference") and not run.entity("flight_number")
                and "booking_given" in self.flows):
            # a booking given without an ask the bot can serve ("X7K2PQ Jansen", "what happened to my flight? ...",
            # "my flight was cancelled, booking X name Y"): look at the booking, then offer what it allows
            flow_name = "booking_given"
        queued = state.get("crisis_request")
        if isinstance(queued, dict) and queued.get("change") in self.flows and not (
                run.turn.crisis is not None and run.turn.crisis.changes_unavailable):
            # the reservation system is back: the change asked for during the outage goes first
            state.pop("crisis_request", None)
            if flow_name is None or flow_name == queued["change"]:
                run.result.events.append({"action": "crisis_request_resumed", "change": queued["change"]})
                await self._start(run, queued["change"])
                return
        if flow_name in ("rebook", "cancel") and self._crisis_queue_change(run, flow_name):
            return
        if flow_name and (not self.flows[flow_name].internal or flow_name == "booking_given"):
            before = len(run.result.replies)
            await self._start(run, flow_name)
            if ("?" in run.parse.text or "？" in run.parse.text) and run.result.handoff is None:
                # "... rebook us on the 17th. who pays for our food and will we get compensation??": the question is
                # answered too, before the change's first question (which stays the last thing said)
                flow_replies = run.result.replies[before:]
                del run.result.replies[before:]
                self._care_answer(run, asked_with=True)
                run.result.replies.extend(flow_replies)
            return
        if intent == "affirm" and self._recent_change(run):
            run.say("already_done")
            return
        if intent in INFO_INTENTS:
            choices = self._main_choices(run) if intent in ("greet", "help", "out_of_scope") else ()
            cancelled = intent == "thanks" and self._recent_change(run) and run.state["last_change"].get(
                "change") == "cancel"
            run.say("intent_thanks_short" if cancelled else f"intent_{intent}", buttons=choices)  # no "good trip"
            return
        if intent in ("provide_info", "choose_option", "affirm", "deny"):
            if run.entity("flight_number") and "flight_status" in self.flows:
                await self._start(run, "flight_status")
                return
            carry = {k: run.entity(k) for k in ("booking_reference", "last_name") if run.entity(k)}
            if carry:
                state["carry"] = {**state.get("carry", {}), **carry}
                run.say("what_to_do_with_booking")
                return
            if intent == "deny":
                run.say("stopped_idle")
                return
        run.say("intent_help", buttons=self._main_choices(run))

    def _care_answer(self, run: Run, *, asked_with: bool = False) -> bool:
        """A question about care while waiting (meals, a hotel) or compensation, with no change asked for: what EU261
        gives, rather than the generic text of the intent it was read as. ``asked_with``: asked in the message that
        started a change (answered after the change's first step)."""
        keys = [f"intent_{f}" for f in ("care", "compensation") if f in run.parse.flags]
        if not keys or "unsupported_language" in run.parse.flags or (
                not asked_with and run.confident and run.intent in CARE_NOT_FOR):
            return False
        self._understood(run)
        for key in keys:
            run.say(key)
        return True

    def answers_while_queued(self, parse: Parse, language: str) -> list[Reply]:
        if "unsupported_language" in parse.flags:
            return []
        keys = [f"intent_{f}" for f in ("care", "compensation") if f in parse.flags]
        if "price" in parse.flags and not keys and "fare_terms" in self.flows:
            keys.append("fare_terms_general")  # "what does a change cost?" while waiting: the fares in general
        return [Reply(text=t) for k in keys if (t := self.flows.response(k, language))]

    def _price_question(self, run: Run) -> bool:
        """What a change or a cancellation costs ("is there a fee?", "wat kost dat?"), with no change asked for and no
        question about care or compensation (which those answers cover)."""
        flags = run.parse.flags
        return ("price" in flags and "care" not in flags and "compensation" not in flags
                and "unsupported_language" not in flags and "fare_terms" in self.flows
                and not (run.confident and run.intent in CARE_NOT_FOR))

    async def _price_digression(self, run: Run) -> None:
        """The price question answered in the middle of a flow; the parked question is asked again after it."""
        self._understood(run)
        run.stack.append(self._new_frame(run, "fare_terms"))
        await self._run(run)

    def _main_choices(self, run: Run) -> tuple[Button, ...]:
        """Quick replies for what the bot can do; their Rasa-style payloads name the intent directly."""
        return tuple(
            Button(run.text(key, None), payload)
            for key, payload in (("button_rebook", "/rebook"), ("button_cancel", "/cancel"),
                                 ("button_status", "/flight_status"), ("button_human", "/request_human"))
        )

    def _recent_change(self, run: Run) -> bool:
        last = run.state.get("last_change")
        if not isinstance(last, dict):
            return False
        try:
            return run.turn.now - dt.datetime.fromisoformat(last["at"]) < LAST_CHANGE_TTL
        except (KeyError, TypeError, ValueError):
            return False

    # ================================================================ flows
    def _new_frame(self, run: Run, flow_name: str, slots: dict[str, Any] | None = None) -> dict[str, Any]:
        frame = {
            "flow": flow_name,
            "id": uuid.uuid4().hex,
            "step": "#0",
            "slots": dict(slots or {}),
            "awaiting": False,
            "calling": False,
        }
        run.result.events.append({"action": "flow_started", "flow": flow_name, "flow_id": frame["id"]})
        return frame

    def _finished_event(self, run: Run, frame: dict[str, Any], outcome: str) -> None:
        run.result.events.append(
            {"action": "flow_finished", "flow": frame["flow"], "flow_id": frame["id"], "outcome": outcome}
        )

    async def _start(self, run: Run, flow_name: str, *, replace: bool = False) -> None:
        if not replace:
            run.state.pop("suspended", None)
        if replace:
            top = run.stack[-1] if run.stack else None
            # a change of mind while a question was open ("actually, just cancel it" at the flight options): kept
            # aside, so that a "no" to the new flow's confirmation brings the passenger back to that question
            run.state["suspended"] = ([dict(f) for f in run.stack]
                                      if top is not None and top.get("awaiting") and top["flow"] != flow_name
                                      else None)
            for frame in run.stack:
                for k, val in frame["slots"].items():
                    if k in ("booking_reference", "last_name", "flight_number"):
                        run.state["carry"][k] = val
                self._finished_event(run, frame, "abandoned")
            run.state["stack"] = []
        # the money back asked for in the message that starts a cancellation: after a cancellation by the airline
        # the refund is confirmed straight away instead of offering a new flight first (flows/cancel.yml)
        slots = {"refund_asked": True} if flow_name == "cancel" and "refund" in run.parse.flags else None
        if flow_name == "booking_given":
            # asked about the flight, or told of a disruption: the flight's status rather than the choices
            slots = {"status_asked": run.intent == "flight_status" or "disruption" in run.parse.flags
                     or "?" in run.parse.text or "？" in run.parse.text
                     or _STATUS_WORD.search(run.parse.text) is not None}
        run.stack.append(self._new_frame(run, flow_name, slots))
        await self._run(run)

    def _goto(self, run: Run, frame: dict[str, Any], target: str | None, current: int) -> bool:
        """Move the frame; False when the target ends the flow. Going back clears the slots collected on the way."""
        if target is None:
            run.set_index(frame, current + 1)
            return True
        if target == END:
            return False
        flow = run.flow_of(frame)
        index = flow.ids[target]
        if index <= current:  # going back: ask again rather than reuse what this message said
            run.prefill = False
            for step in flow.steps[index : current + 1]:
                if isinstance(step, CollectStep):
                    frame["slots"].pop(step.collect, None)
        run.set_index(frame, index)
        return True

    async def _run(self, run: Run, ended: str | None = None) -> None:
        """Run the top frame until it waits for the passenger, and pop finished frames.

        ``ended``: the top frame has just finished with this outcome.
        """
        while run.stack:
            if ended is None:
                outcome = await self._run_frame(run, run.stack[-1])
                if outcome is _CALLED:
                    continue
                if outcome is None:  # parked, waiting for the passenger
                    return
            else:
                outcome, ended = ended, None
            while True:  # the frame finished: pop it and let its caller go on
                finished = run.stack.pop()
                self._finished_event(run, finished, outcome)
                if not run.stack:
                    self._understood(run)
                    run.state["carry"] = {}
                    suspended = run.state.pop("suspended", None)
                    if outcome == "declined" and suspended:
                        # "no" to the flow the passenger switched to: back to the question they left
                        run.state["stack"] = suspended
                        run.result.events.append({"action": "flow_resumed", "flow": suspended[-1]["flow"]})
                        run.ask(suspended[-1], prefix="back_to_flow")
                    return
                parent = run.stack[-1]
                if parent.get("calling"):
                    parent["calling"] = False
                    step = run.step_of(parent)
                    targets = step.targets() if step is not None else {}
                    target = targets.get(outcome, targets.get("*"))
                    if self._goto(run, parent, target, run.index_of(parent)):
                        break  # the caller continues
                    continue  # the caller ends too, with the same outcome
                if parent.get("awaiting"):  # a digression finished: ask the parked question again
                    run.ask(parent, prefix="back_to_flow")
                    return
                break

    async def _run_frame(self, run: Run, frame: dict[str, Any]) -> Any:
        """Execute steps of one frame: its outcome when it ended, None when parked, _CALLED when it pushed a frame."""
        flow = run.flow_of(frame)
        frame["awaiting"] = False
        while True:
            run.steps_run += 1
            if run.steps_run > MAX_STEPS_PER_TURN:
                raise RuntimeError(f"flow {flow.name} loops")
            i = run.index_of(frame)
            if i >= len(flow.steps):
                return "done"
            step = flow.steps[i]
            if isinstance(step, CollectStep):
                slots = frame["slots"]
                if slots.get(step.collect) is None:
                    value = self._prefill(run, step)
                    if value is None:
                        run.ask(frame)
                        frame["awaiting"] = True
                        return None
                    run.used.add(str(value).casefold())
                    slots[step.collect] = value
                outcome = "ok"
                if step.validate_:
                    outcome = await self._action(run, frame, step.validate_, {})
                if outcome in step.invalid:
                    slots.pop(step.collect, None)
                    run.say(step.invalid[outcome], frame)
                    run.ask(frame)
                    frame["awaiting"] = True
                    return None
                targets = step.targets()
                if outcome in targets:
                    if not self._goto(run, frame, targets[outcome], i):
                        return outcome
                elif "*" in targets:
                    if not self._goto(run, frame, targets["*"], i):
                        return "done"
                else:
                    run.set_index(frame, i + 1)
            elif isinstance(step, ActionStep):
                try:
                    outcome = await self._action(run, frame, step.action, step.with_)
                except Unconfirmed as exc:
                    # a change not (or no longer) confirmed: back to the confirmation before it, ask it
                    back = self._confirm_before(flow, i, frame.get("confirm_step"))
                    if back is None:
                        raise
                    log.warning("change not confirmed; asking again")
                    run.set_index(frame, back)
                    changed = isinstance(exc, BookingChanged)
                    if changed:
                        run.result.events.append({"action": "booking_changed_meanwhile"})
                    run.ask(frame, prefix="booking_changed_meanwhile" if changed else None)
                    frame["awaiting"] = True
                    return None
                targets = step.targets()
                target = targets.get(outcome, targets.get("*"))
                if not self._goto(run, frame, target, i):
                    return outcome
            elif isinstance(step, ConfirmStep):
                if run.booking_cache is None and is_verified(run.state, run.turn.now):
                    # the question records the booking's version: a yes binds to the booking as asked about
                    with contextlib.suppress(BookingNotFound, AdapterUnavailable):
                        await run.verified_booking()
                run.ask(frame)
                frame["awaiting"] = True
                return None
            elif isinstance(step, SayStep):
                run.say(step.say, frame)
                if not self._goto(run, frame, step.targets().get("*"), i):
                    return "done"
            elif isinstance(step, BranchStep):
                target = None
                for case in step.branch:
                    if case.if_ is None:
                        target = case.else_
                        break
                    if self._condition(run, frame, case.if_):
                        target = case.goto
                        break
                if not self._goto(run, frame, target, i):
                    return "done"
            elif isinstance(step, CallStep):
                frame["calling"] = True
                run.stack.append(self._new_frame(run, step.call))
                return _CALLED
            elif isinstance(step, SwitchStep):
                run.say(step.say, frame)
                run.stack.pop()
                self._finished_event(run, frame, f"switch:{step.switch}")
                run.stack.append(self._new_frame(run, step.switch, step.with_))
                return _CALLED
            elif isinstance(step, HandoffStep):
                self._handoff(run, step.handoff, step.say or "handoff_generic", priority=step.priority, frame=frame)
                raise HandedOff
            elif isinstance(step, EndStep):
                run.say(step.end, frame)
                for other in frame["slots"].get("other_statuses") or ():
                    # the other flights of a connection, each in its own status line
                    run.say(f"status_{other['outcome']}", {**frame, "slots": {**frame["slots"], "status": other}})
                if frame["slots"].get("crisis_note"):
                    run.result.replies.append(Reply(text=str(frame["slots"]["crisis_note"]), kind="crisis_faq"))
                return step.outcome

    @staticmethod
    def _confirm_before(flow: Flow, index: int, asked: Any = None) -> int | None:
        """The confirmation to ask again: the one last asked in this frame, else the nearest before ``index``."""
        if isinstance(asked, str) and asked in flow.ids and isinstance(flow.steps[flow.ids[asked]], ConfirmStep):
            return flow.ids[asked]
        for j in range(index - 1, -1, -1):
            if isinstance(flow.steps[j], ConfirmStep):
                return j
        return None

    async def _action(self, run: Run, frame: dict[str, Any], name: str, args: dict[str, Any]) -> str:
        spec = ACTIONS[name]
        return await spec.fn(ActionContext(run=run, frame=frame, args=args))

    def _condition(self, run: Run, frame: dict[str, Any], expr: str) -> bool:
        expr = expr.strip()
        negate = expr.startswith("not ")
        if negate:
            expr = expr[4:].strip()
        m = re.match(r"^([\w.]+)\s*(==|!=)\s*['\"]?([\w.-]*)['\"]?$", expr)
        if m:
            name, op, literal = m.groups()
            value = self._name_value(run, frame, name)
            result = (str(value) == literal) if op == "==" else (str(value) != literal)
        else:
            result = bool(self._name_value(run, frame, expr))
        return not result if negate else result

    def _name_value(self, run: Run, frame: dict[str, Any], name: str) -> Any:
        if name in CONDITIONS:
            return CONDITIONS[name](run)
        if name.startswith("given."):
            key = name[6:]
            return run.entity(key) is not None or run.state.get("carry", {}).get(key) is not None
        if name.startswith("settings."):
            return getattr(self.settings, name[9:], None)
        return frame["slots"].get(name)

    # ================================================================ answers to a parked step
    def _prefill(self, run: Run, step: CollectStep) -> Any | None:
        """A value the passenger already gave (in this message or earlier) for a step about to ask."""
        if step.expects in ("option", "choice", "otp", "confirmation") or not run.prefill:
            return None
        carry = run.state.get("carry") or {}
        value = self._extract(run, step, run.stack[-1], strict=True)
        for key in dict.fromkeys((step.collect, step.entity or step.expects)):
            if value is None and carry.get(key) is not None:
                value = carry[key]
            carry.pop(key, None)  # used (or superseded by what this message says)
        return value

    @staticmethod
    def _extract_shortcut(run: Run, step: CollectStep) -> str | None:
        """The value one of the step's ``shortcuts`` phrases in this message means ("egal, hauptsache schnell" ->
        asap)."""
        if not step.shortcuts:
            return None
        normalized = _norm(run.parse.text.strip()[:500])
        for shortcut, per_language in step.shortcuts.items():
            for phrases in per_language.values():
                for phrase in phrases:
                    pattern = _phrase_pattern(phrase)
                    if pattern is not None and pattern.search(normalized):
                        return str(shortcut)
        return None

    def _extract(self, run: Run, step: CollectStep, frame: dict[str, Any], *, strict: bool) -> Any | None:
        """The value this message gives for ``step``; ``strict`` ignores bare text (for prefill and corrections)."""
        parse = run.parse
        text = parse.text.strip()
        shortcut = self._extract_shortcut(run, step)
        if shortcut is not None:
            return shortcut
        exp = step.expects
        entity = step.entity or exp
        if exp == "booking_reference":
            value = run.entity(entity)
            if value:
                return re.sub(r"\s", "", str(value)).upper()
            cleaned = re.sub(r"\s", "", text).upper()
            if not strict and step.accept_raw and run.raw_ok() and _raw_reference(run, text):
                return cleaned
            return None
        if exp == "last_name":
            value = run.entity(entity)
            if value:
                return str(value).strip()
            if (
                not strict
                and step.accept_raw
                and run.raw_ok()
                and _NAME.fullmatch(text)
                and not run.entity("booking_reference")
            ):
                return text
            return None
        if exp == "date":
            if entity != "date":
                value = run.entity(entity)
                try:
                    return dt.date.fromisoformat(str(value)).isoformat() if value else None
                except ValueError:
                    return None
            return run.wished_date(strict=strict)
        if exp == "flight_number":
            value = run.entity(entity)
            if value:
                return re.sub(r"\s", "", str(value)).upper()
            if strict:
                return None
            m = _FLIGHT.fullmatch(text.upper())
            if m:
                return m.group(1) + m.group(2)
            if re.fullmatch(r"\d{3,4}", text):  # "1233": the airline's own flight (not "2", an option)
                return self.settings.airline_code + text
            return None
        if exp == "option":
            return self._extract_option(run, frame, strict=strict)
        if exp == "choice":
            n = run.entity("option")
            if n is None and not strict and re.fullmatch(r"\d", text):
                n = int(text)
            if n is not None:
                try:
                    n = int(n)
                except (TypeError, ValueError):
                    n = 0
                if 1 <= n <= len(step.choices):
                    return step.choices[n - 1].value
                return None
            said = _norm(text[:300])
            for c in step.choices:  # the choice's own words ("a new flight as soon as possible", a pressed button)
                label = _norm(run.text(c.label, frame["flow"]))
                if label and (said == label or (len(said) >= 12 and said in label) or label in said):
                    return c.value
            if run.confident:
                for c in step.choices:
                    if run.intent in c.intents:
                        return c.value
            for c in step.choices:  # "ok then I'd rather go on thursday" at the EU261 choice: a new flight later
                if any((run.wished_date(strict=True) if e == "date" else run.entity(e)) is not None
                       for e in c.entities):
                    return c.value
            return None
        if exp == "otp":
            digits = re.sub(r"[\s-]", "", text)
            return digits if _OTP.fullmatch(digits) else None
        return None

    def _extract_option(self, run: Run, frame: dict[str, Any], *, strict: bool) -> int | None:
        options = frame["slots"].get("options") or []
        wished = run.wished_date(strict=True)
        if wished is not None and options and wished not in {o["date_local"] for o in options_context(options)}:
            return None  # "den 12. nachmittags bitte", "no I meant wednesday 16th": another day, not one of these
        # a description first: "friday the 7:55 one" is Friday's 07:55 even if Thursday's leaves at 07:55 too
        described = describe_option(run.parse.text[:300], self._nlu_language(run), options_context(options),
                                    [str(d) for d in run.parse.entity_values("date")])
        if described is not None:
            return described
        value = run.entity("option")
        if value is not None:
            try:
                return int(value)
            except (TypeError, ValueError):
                pass
        ctx = options_context(options)
        flights = [str(f).upper().replace(" ", "") for f in run.parse.entity_values("flight_number")]
        if not flights:
            flights = [m.group(1) + m.group(2) for m in _FLIGHT.finditer(run.parse.text.upper())]
        for f in flights:
            for o in ctx:
                if f in o["flight_numbers"]:
                    return o["index"]
        for m in _TIME.finditer(run.parse.text):
            hhmm = f"{int(m.group(1)):02d}:{m.group(2)}"
            for o in ctx:
                if o["departure_local"] == hhmm:
                    return o["index"]
        if not strict:
            bare = re.fullmatch(r"\s*#?(\d{1,2})\s*[.)]?\s*", run.parse.text)
            if bare:
                return int(bare.group(1))
            if len(options) == 1 and self._confirm_answer(run) == "affirm":
                return 1  # "yes please" to the one flight on offer
        return None

    @staticmethod
    def _nlu_language(run: Run) -> str:
        return run.parse.language or run.language

    async def _continue(self, run: Run) -> None:
        """The top frame waits for an answer: take it, or handle what the passenger said instead."""
        frame = run.stack[-1]
        step = run.step_of(frame)
        if step is None:
            frame["awaiting"] = False
            await self._run(run)
            return
        unsupported = "unsupported_language" in run.parse.flags
        on_stack = {f["flow"] for f in run.stack}
        # 1. another flow: change of mind ("just cancel it") or a question to answer first ("is KL1233 on time?")
        flow_name = self.flows.by_intent.get(run.intent) if run.confident and not unsupported else None
        picks_choice = isinstance(step, CollectStep) and any(run.intent in c.intents for c in step.choices)
        if flow_name and flow_name not in on_stack and not self.flows[flow_name].internal and not picks_choice:
            self._understood(run)
            if self.flows[flow_name].digression:
                run.stack.append(self._new_frame(run, flow_name))
                await self._run(run)
            else:
                run.say("change_of_mind")
                await self._start(run, flow_name, replace=True)
            return
        # 1b. at the cancellation's yes/no: "no, move it to friday instead" wants a new flight, not a cancellation
        if (isinstance(step, ConfirmStep) and frame["flow"] == "cancel" and "rebook" in self.flows
                and "rebook" not in on_stack and not unsupported and run.wished_date(strict=True)
                and self._confirm_answer(run) != "affirm"):
            self._understood(run)
            run.say("change_of_mind")
            await self._start(run, "rebook", replace=True)
            return
        # 1c. a question about care or compensation ("who pays for the hotel tonight?"): answered, not read as an
        # answer to the parked question
        if ("?" in run.parse.text or "？" in run.parse.text) and self._care_answer(run):
            run.ask(frame, prefix="back_to_flow")
            return
        if (("?" in run.parse.text or "？" in run.parse.text) and not isinstance(step, ConfirmStep)
                and "fare_terms" not in on_stack and self._price_question(run)):
            await self._price_digression(run)
            return
        # 2. a correction of something given earlier ("no, it's KL1235", "tomorrow instead")
        if not unsupported and await self._correction(run, frame):
            return
        # 3. the answer to the question
        if isinstance(step, CollectStep):
            value = self._extract(run, step, frame, strict=False)
            if value is not None:
                self._understood(run)
                for key in (step.collect, step.entity or step.expects):
                    run.state.get("carry", {}).pop(key, None)  # answered now: what was said before is superseded
                run.used.add(str(value).casefold())
                frame["slots"][step.collect] = value
                frame["awaiting"] = False
                await self._run(run)
                return
            for entity, target in step.instead.items():
                other = run.entity(entity)
                if other is None and entity == "booking_reference" and run.raw_ok():
                    cleaned = re.sub(r"\s", "", run.parse.text).upper()
                    other = cleaned if _raw_reference(run, run.parse.text) else None
                if other is not None:
                    self._understood(run)
                    run.state["carry"][entity] = str(other).upper() if entity == "booking_reference" else other
                    frame["awaiting"] = False
                    self._goto(run, frame, target, run.index_of(frame))
                    await self._run(run)
                    return
        elif (isinstance(step, ConfirmStep) and "price" in run.parse.flags
              and self._confirm_answer(run) not in ("affirm", "deny")):
            # "is there a fee?", "wat kost dat?" at the yes/no: the question again, with the amount it confirms
            self._understood(run)
            run.ask(frame, prefix="not_changed_yet")
            return
        elif isinstance(step, ConfirmStep) and self._unsure(run):
            # "hmm weiß nicht", "not sure": no answer yet; nothing is done and the question is asked again
            self._understood(run)
            run.ask(frame, prefix="not_changed_yet")
            return
        elif isinstance(step, ConfirmStep) and self._confirm_answer(run) == "affirm" and self._doubtful(run):
            # "yes but wait, is there a fee?": no clear yes, so nothing is done; the question (with its terms) again
            self._understood(run)
            run.ask(frame, prefix="not_changed_yet")
            return
        elif isinstance(step, ConfirmStep) and (answer := self._confirm_answer(run)) is not None:
            self._understood(run)
            frame["awaiting"] = False
            i = run.index_of(frame)
            if answer == "affirm":
                terms = confirm_terms(run.state, frame["slots"])
                if frame.get("confirming") != terms:
                    # what the question said is not what would now be done (or it was asked before questions
                    # carried their terms): ask again rather than take the yes for something else
                    run.ask(frame)
                    frame["awaiting"] = True
                    return
                frame.pop("confirming", None)
                frame["confirmed"] = terms
                if not self._goto(run, frame, step.targets().get("*"), i):
                    await self._run(run, ended="done")
                    return
            elif step.on_no is None or not self._goto(run, frame, step.on_no, i):
                run.say("nothing_changed", frame)
                await self._run(run, ended="declined")
                return
            await self._run(run)
            return
        # 4. something else instead
        if unsupported:
            run.say("unsupported_language")
            run.ask(frame)
            return
        if self._care_answer(run):
            run.ask(frame, prefix="back_to_flow")
            return
        if "fare_terms" not in on_stack and not isinstance(step, ConfirmStep) and self._price_question(run):
            await self._price_digression(run)
            return
        intent = run.intent
        if run.confident:
            if flow_name and flow_name in on_stack:  # "I want to rebook" while rebooking: ask again
                self._understood(run)
                run.ask(frame)
                return
            if intent in INFO_INTENTS:
                self._understood(run)
                run.say(f"intent_{intent}" if intent not in ("greet", "thanks") else f"intent_{intent}_short")
                run.ask(frame)
                return
        if (isinstance(step, CollectStep) and (step.expects == "option" or step.choices)
                and self._confirm_answer(run) == "affirm"):
            # "yes please" to a list of flights or choices: agreeable, but which one? The list again (it asks for
            # the number), and no misunderstanding counted
            run.ask(frame)
            return
        # a digression that cannot use the answer: maybe the flow below it can
        if len(run.stack) > 1 and not run.stack[-2].get("calling") and run.stack[-2].get("awaiting"):
            run.stack.pop()
            self._finished_event(run, frame, "abandoned")
            await self._continue(run)
            return
        if self._misunderstood(run):
            return
        if isinstance(step, CollectStep) and step.reask:
            run.say(step.reask, frame)
            if step.expects == "option" or step.choices:
                run.ask(frame)
        else:
            run.ask(frame, prefix="not_understood")

    @staticmethod
    def _unsure(run: Run) -> bool:
        """"not sure", "weiß nicht", "misschien": neither a yes nor a no."""
        said = f" {_norm(run.parse.text[:200])} "
        return any(f" {p} " in said for p in UNSURE_PHRASES) or any(p in run.parse.text for p in UNSURE_CJK)

    @staticmethod
    def _doubtful(run: Run) -> bool:
        """A question or a doubt in the message: "yes but wait", "ok?", "ja, aber moment"."""
        text = run.parse.text[:500]
        if "?" in text or "？" in text or any(w in text for w in DOUBT_CJK):
            return True
        return any(_norm(w) in DOUBT_WORDS for w in _WORDS_ONLY.findall(text))

    def _confirm_answer(self, run: Run) -> str | None:
        """"affirm", "deny" or None: the NLU's reading, or a short answer with a yes or a no in it ("si grazie",
        "ok thanks", "ja bitte"), whatever the intent model made of the politeness around it."""
        if run.confident and run.intent in ("affirm", "deny"):
            return run.intent
        words = [_norm(w) for w in _WORDS_ONLY.findall(run.parse.text[:200])]
        # "no problem", "kein Problem", "no worries": no no
        words = [w for i, w in enumerate(words) if not (w in NO_PROBLEM_WORDS or (
            w in NO_WORDS and any(x in NO_PROBLEM_WORDS for x in words[i + 1:i + 3])))]
        if words and words[0] in NO_WORDS and words[0] not in ("cancel", "not", "pas"):
            return "deny"  # "no, go back to the flights", "nee, toch niet annuleren"
        if not words or len(words) > 5:
            return None
        yes = any(w in YES_WORDS for w in words) or "👍" in run.parse.text
        no = any(w in NO_WORDS for w in words)
        if yes and not no:
            return "affirm"
        if no and not yes:
            return "deny"
        return None

    async def _correction(self, run: Run, frame: dict[str, Any]) -> bool:
        flow = run.flow_of(frame)
        current = run.index_of(frame)
        # a different booking reference: start this flow again for that booking
        ref = run.entity("booking_reference")
        verified = run.state.get("verified") or {}
        uses_identify = any(isinstance(s, CallStep) and s.call == "identify" for s in flow.steps)
        if ref and uses_identify and verified.get("reference") and str(ref).upper() != verified["reference"]:
            run.state["verified"] = None
            run.booking_cache = None
            run.state["carry"] = {"booking_reference": str(ref).upper()}
            if run.entity("last_name"):
                run.state["carry"]["last_name"] = run.entity("last_name")
            self._understood(run)
            run.say("correction_ack", frame)
            for f in reversed(run.stack):
                self._finished_event(run, f, "restarted")
            name = run.stack[0]["flow"]
            run.state["stack"] = []
            run.stack.append(self._new_frame(run, name))
            await self._run(run)
            return True
        here = flow.steps[current] if 0 <= current < len(flow.steps) else None
        picks_here = (isinstance(here, CollectStep) and here.expects == "option"
                      and self._extract_option(run, frame, strict=False) is not None)
        for index, step in enumerate(flow.steps[:current]):
            if not isinstance(step, CollectStep) or frame["slots"].get(step.collect) is None:
                continue
            if picks_here and not run.entity(step.entity or step.expects):
                # "the first one", "il primo", "第一个" picks an offered option; that the date question took the same
                # words as "as soon as possible" makes it no new date
                continue
            value = self._extract(run, step, frame, strict=True)
            if value is None or value == frame["slots"].get(step.collect):
                continue
            for later in flow.steps[index:]:
                if isinstance(later, CollectStep):
                    frame["slots"].pop(later.collect, None)
            run.used.add(str(value).casefold())
            frame["slots"][step.collect] = value
            run.set_index(frame, index)
            frame["awaiting"] = False
            self._understood(run)
            run.say("correction_ack", frame)
            await self._run(run)
            return True
        return False

    # ================================================================ handoff
    def _handoff(
        self, run: Run, reason: str, say: str, *, priority: int = 0, frame: dict[str, Any] | None = None
    ) -> None:
        if run.result.handoff is not None:
            return
        summary = run.summary(reason)
        context = self._handoff_context(run, reason)
        run.say(say, frame if frame is not None else run.top(), kind="handoff")
        run.result.handoff = HandoffRequest(reason=reason, summary=summary, priority=priority, context=context)
        run.result.events.append({"action": "handoff", "reason": reason})
        for f in reversed(run.stack):
            self._finished_event(run, f, "handoff")
        run.state["stack"] = []
        run.state["carry"] = {}
        run.state["counters"]["misunderstandings"] = 0


    def _handoff_context(self, run: Run, reason: str) -> dict[str, Any]:
        """What the agent needs to take over without asking again: the booking, what was offered, where it stopped."""
        frames = [f for f in run.stack if f.get("flow") in run.flows]
        slots: dict[str, Any] = {}
        for f in frames:
            slots.update(f.get("slots") or {})

        def segments(segs: Any) -> list[dict[str, Any]]:
            keep = ("flight_number", "origin", "destination", "departure", "arrival")
            return [{k: s.get(k) for k in keep} for s in segs or [] if isinstance(s, dict)]

        ctx: dict[str, Any] = {
            "stopped_because": reason,
            "flows": [f"{f['flow']}@{f.get('step')}" for f in frames],
            "last_intents": list(run.state.get("last_intents", [])[-5:]),
        }
        verified = run.state.get("verified")
        if isinstance(verified, dict) and is_verified(run.state, run.turn.now):
            ctx["booking"] = dict(verified)
        elif slots.get("booking_reference"):
            ctx["unverified_reference"] = slots["booking_reference"]
        try:
            if slots.get("current_segments"):
                ctx["itinerary"] = segments(slots["current_segments"])
                upcoming = [s["departure"] for s in ctx["itinerary"]
                            if s.get("departure") and dt.datetime.fromisoformat(s["departure"]) > run.turn.now]
                if upcoming:
                    ctx["departure"] = min(upcoming)
            if slots.get("options"):
                ctx["offered"] = [
                    {"option": i, "segments": segments(o.get("segments")), "change_fee": o.get("change_fee"),
                     "fare_difference": o.get("fare_difference"), "currency": o.get("currency")}
                    for i, o in enumerate(slots["options"], start=1)
                ]
            if isinstance(slots.get("chosen"), dict):
                ctx["chosen"] = segments(slots["chosen"].get("segments"))
        except (TypeError, ValueError, AttributeError):
            log.warning("cannot describe the handoff's booking context")
        for key in ("travel_date", "cancel_mode", "flight_number", "disrupted"):
            if slots.get(key) is not None:
                ctx[key] = slots[key]
        ctx["misunderstandings"] = int(run.state.get("counters", {}).get("misunderstandings") or 0)
        return ctx
