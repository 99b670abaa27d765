"""The ask reader and the feeling reader: what a passenger asks for, apart from how they feel.

The ask model answers four independent questions (does this message ask to be rebooked? to cancel? about a flight's
status? for a person?) with one linear one-vs-rest classifier each, over the same features as the intent model plus
cue features from ``bot.nlu.cues``. It is trained on intents/<lang>.yml with every example's intent mapped to its ask
(complaint, thanks, baggage ... ask for none of the four) and on pairs of examples joined into one message, whose
asks are the union: "3 hours on hold!!! change my flight" is a rebook however angry the first half. Several asks in
one message are all reported; the bot acts on the first in ``ASKS`` order.

Feelings (anger, urgency, distress, praise, sarcasm) come from lexicons; they never change the ask.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from bot.nlu.cues import (
    ASK_CUES,
    ASKS,
    CARE_CUES,
    COMPENSATION_CUES,
    CONTEXT_CUES,
    CONTEXTS,
    FEELING_CUES,
    FEELINGS,
    PRICE_CUES,
    REFUND_CUES,
    CuePattern,
    compile_cues,
)
from bot.nlu.lexicon import ANGRY_CJK, ANGRY_WORDS, PROFANITY, PROFANITY_CJK

# the intents whose examples ask for one of the four (every other intent asks for none of them)
ASK_OF_INTENT = {a: a for a in ASKS}
# decision-score margins above which an ask is reported, per ask (tuned on the dev part of the labelled tweets,
# bench/nlu_asks.py; a higher margin = fewer flows started from messages that ask for nothing)
ASK_MARGINS = {"rebook": 0.6, "cancel": 0.7, "flight_status": 0.5, "request_human": 0.7}
# the intent model's probability of the same ask, added to the ask model's score with this weight (two readers of
# the same message agree more often than either alone: +3 points of macro-F1 on the dev tweets)
INTENT_WEIGHT = 0.5
CONFIDENCE_SLOPE = 4.0  # confidence = sigmoid(slope * (score - margin) + logit(0.7)): 0.7 at the margin
_LOGIT_AT_MARGIN = math.log(0.7 / 0.3)
BOOKING_ARTEFACT = re.compile(r"flight booking problems", re.IGNORECASE)  # an export artefact for "booking"


class CueReader:
    """Compiled cue lexicons (built-in plus ``regex: ask_*`` / ``feeling_*`` items of the training data)."""

    def __init__(self, extra: list[tuple[str, str]] | None = None) -> None:
        extra = extra or []
        self.asks = compile_cues([ASK_CUES], ASKS, extra, prefix="ask_")
        self.feelings = compile_cues([FEELING_CUES], FEELINGS, extra, prefix="feeling_")
        self.contexts = compile_cues([CONTEXT_CUES], CONTEXTS, extra, prefix="context_")
        self.refund = CuePattern(REFUND_CUES)
        self.care = CuePattern(CARE_CUES)
        self.compensation = CuePattern(COMPENSATION_CUES)
        self.price = CuePattern(PRICE_CUES)

    def situation_flags(self, normalized: str, features: list[str] | None = None) -> list[str]:
        """Parse flags for the dialogue: "disruption" (the trip was disrupted: "my flight was cancelled"), "refund"
        (the money back is asked for), "care" (meals, a hotel, transport while waiting), "compensation" and "price"
        (what a change or a cancellation costs).
        ``features``: what ``features(normalized)`` returned, when the caller has it."""
        flags = []
        if features is not None:  # ``features()`` of the same text has matched the contexts already
            if "disruption" in features:
                flags.append("disruption")
        elif (rx := self.contexts.get("disruption")) is not None and rx.search(normalized):
            flags.append("disruption")
        if self.refund.search(normalized):
            flags.append("refund")
        if self.care.search(normalized):
            flags.append("care")
        if self.compensation.search(normalized):
            flags.append("compensation")
        if self.price.search(normalized):
            flags.append("price")
        return flags

    def ask_cues(self, normalized: str) -> list[str]:
        return [a for a, rx in self.asks.items() if rx.search(normalized)]

    def features(self, normalized: str) -> list[str]:
        """Names of the cue features that fire: the asks whose cues match, the contexts, and "disruption+plea"."""
        found = self.ask_cues(normalized)
        ctx = [c for c, rx in self.contexts.items() if rx.search(normalized)]
        found += ctx
        if len(ctx) == 2:
            found.append("disruption+plea")
        return found


CUE_FEATURES = (*ASKS, *CONTEXTS, "disruption+plea")  # one extra feature column each in the ask model
CUE_WEIGHT = 1.0  # the value of a cue column when its cue matches (the text features are L2-normalised blocks)


def ask_labels(intent: str) -> frozenset[str]:
    a = ASK_OF_INTENT.get(intent)
    return frozenset((a,)) if a else frozenset()


@dataclass(frozen=True, slots=True)
class Ask:
    name: str
    confidence: float


def asks_from_scores(classes: list[str], scores: Any, margins: dict[str, float] | None = None) -> list[Ask]:
    """Asks whose score passes their margin, in the order acted on (``ASKS``)."""
    margins = margins or ASK_MARGINS
    out = []
    by_name = {c: float(s) for c, s in zip(classes, scores, strict=True)}
    for a in ASKS:
        s = by_name.get(a)
        if s is None:
            continue
        m = margins.get(a, 0.0)
        if s > m:
            conf = 1.0 / (1.0 + math.exp(-(CONFIDENCE_SLOPE * (s - m) + _LOGIT_AT_MARGIN)))
            out.append(Ask(a, conf))
    return out


# ---------------------------------------------------------------------------------------------------- feelings
_ANGER = frozenset(w for ws in ANGRY_WORDS.values() for w in ws.split())
_ANGRY_EMOJI = ("😡", "🤬", "😠", "😤", "🖕", "👎")
_SAD_EMOJI = ("😭", "😢", "😞", "😩", "😰", "😱")
_IRONY_EMOJI = ("🙄", "🙃", "😒")
_WORD = re.compile(r"[\w*]+")


def read_feelings(text: str, folded: str, cues: CueReader) -> list[str]:
    """How the passenger feels, as a list of FEELINGS (may be empty). ``folded``: the folded, normalised text."""
    words = set(_WORD.findall(folded))
    found: list[str] = []
    letters = [c for c in text if c.isalpha()]
    shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) > 0.7 * len(letters)
    bangs = bool(re.search(r"[!?]\s*[!?]", text))
    sarcasm = bool(cues.feelings.get("sarcasm") and cues.feelings["sarcasm"].search(folded)) or any(
        e in text for e in _IRONY_EMOJI)
    cjk_anger = any(w in folded for w in ANGRY_CJK) or any(w in folded for w in PROFANITY_CJK)
    if words & PROFANITY or words & _ANGER or cjk_anger or shouting or any(e in text for e in _ANGRY_EMOJI) or (
            bangs and sarcasm):
        found.append("anger")
    if (rx := cues.feelings.get("urgency")) is not None and rx.search(folded):
        found.append("urgency")
    if ((rx := cues.feelings.get("distress")) is not None and rx.search(folded)) or any(
            e in text for e in _SAD_EMOJI):
        found.append("distress")
    if (not sarcasm and "anger" not in found and (rx := cues.feelings.get("praise")) is not None
            and rx.search(folded)):
        found.append("praise")
    if sarcasm:
        found.append("sarcasm")
    return found
