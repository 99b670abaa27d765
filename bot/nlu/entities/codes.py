"""Booking references and flight numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.nlu.base import Entity

# airline designators we recognise on their own in any case ("kl1234")
SAFE_CARRIERS = frozenset(
    "KL AF DL HV KQ VS AZ UX LH LX OS SN IB VY TP SK DY AY U2 FR EW TK EK QR EY SQ CX JL NH UA AA AC WS B6 "
    "LO A3 BA QF VN JU BT EN TO WF MU CZ KE OZ LY ET SA MS RJ AI 4U W6 HV PC".split()
)
# designators that are also short words in some language: only upper case, or after a flight cue
AMBIGUOUS_CARRIERS = frozenset("TO EN AI OS LA AS ET MS SA CA OK".split())
NOT_CARRIERS = frozenset(
    "EU EC EG CE UE CO NO ID TV PM AM UK US NR OR AN AT IN IS IT OF ON BY MY DE LE EL EN HR KG KM MM".split()
)

FLIGHT_CUES = (
    r"flight|flights|flt|flight\s*(?:no|nr|number|num)\.?|vlucht|vluchtnummer|vol|numero\s+de\s+vol|flug|flugnummer|"
    r"vuelo|numero\s+de\s+vuelo|volo|numero\s+(?:di|del)\s+volo|voo|numero\s+do\s+voo|lot|lotu|numer\s+lotu|rejs|"
    r"flyg|flyget|flygnummer|flyet|fly|flynummer|afgang|avgang"
)
BOOKING_CUES = (
    r"booking|bookings|reference|ref|code|pnr|confirmation|locator|record\s+locator|reservation|dossier|"
    r"boeking|boekingscode|boekingsnummer|boekingsreferentie|reservering|reserveringsnummer|referentie|"
    r"reference|reservation|numero\s+de\s+reservation|code\s+de\s+reservation|"
    r"buchung|buchungsnummer|buchungscode|buchungsreferenz|reservierung|reservierungsnummer|buchungsbestatigung|"
    r"reserva|localizador|codigo|referencia|numero\s+de\s+reserva|"
    r"prenotazione|codice|riferimento|codice\s+di\s+prenotazione|pnr|"
    r"referencia|codigo\s+da\s+reserva|"
    r"rezerwacja|rezerwacji|rezerwacje|numer\s+rezerwacji|kod|kod\s+rezerwacji|"
    r"bokning|bokningen|bokningsnummer|bokningskod|bokningsreferens|referens|"
    r"bestilling|bestillingen|bestillingsnummer|bookingnummer|bookingkode|reservationsnummer|kode"
)
_FILLER = (r"(?:\s*(?:[:#=\-]|is|was|est|ist|es|e|is:|er|ar|to|jest|nummer|number|no\.?|nr\.?|n[or]?\.?|"
           r"de|da|do|di)\s*){0,3}")

_FLIGHT_RE = re.compile(
    r"(?<![\w/])(?P<car>[A-Za-z]{2}|[A-Za-z]\d|\d[A-Za-z])\s?-?\s?(?P<num>\d{1,4})(?![\w/:.,]\d|\w)"
)
_CUE_FLIGHT_RE = re.compile(
    r"(?<!\w)(?:" + FLIGHT_CUES + r")\s*(?:#|nr\.?|no\.?|n[°o]\.?|number|nummer|numero|numer)?\s*"
    r"(?P<num>\d{1,4})(?!\w|[:.,]\d)",
    re.IGNORECASE,
)
_BOOKING_CUE_RE = re.compile(r"(?<!\w)(?:" + BOOKING_CUES + r")(?!\w)" + _FILLER + r"\s*$", re.IGNORECASE)
_FLIGHT_CUE_BEFORE_RE = re.compile(r"(?<!\w)(?:" + FLIGHT_CUES + r")(?!\w)" + _FILLER + r"\s*$", re.IGNORECASE)
# candidate booking references: six letters/digits, or 3+3 with one space or hyphen
_REF_RE = re.compile(r"(?<![\w@#/.])(?=(?P<ref>[A-Za-z0-9]{6}|[A-Za-z0-9]{3}[ \-][A-Za-z0-9]{3}|"
                     r"[A-Za-z0-9]{2}[ \-][A-Za-z0-9]{4}|[A-Za-z0-9]{4}[ \-][A-Za-z0-9]{2})(?![\w/@]|\.\w))")
# Airbus types that read like Aegean (A3) flights: A300, A310, A318-A321, A330, A340, A350, A380
# what a flight number of six characters looks like ("KL1234", "U21234", "4U1234"): any other code with letters
# after "my flight" is the booking reference people call their flight ("mijn vlucht X7K2PQ", "il mio volo PBLGQM")
_FLIGHT_SHAPE_RE = re.compile(r"[A-Z0-9]{2}\d{4}|[A-Z]{2}\d{1,3}[A-Z]?")
_AIRCRAFT_RE = re.compile(r"[Aa]3(?:00|10|1[89]|2[01]|30|40|50|80)")
# "kl 17" is a clock time (klokken/klockan) here, even in capitals, unless the message says "flight"
CLOCK_KL_LANGUAGES = frozenset({"sv", "da", "no", "nb", "nn"})
# pronounceable (vowel every other letter or so): "asesor", "agente", "sofort" rather than "xkqpzt"
_WORDLIKE_RE = re.compile(r"(?=(?:[^aeiouy]*[aeiouy]){2})(?!.*[^aeiouy]{3})[a-z]+")
_UNIT_RE = re.compile(
    r"^\d+(?:h|hr|hrs|hour|hours|uur|heure|heures|std|min|mins|am|pm|th|st|nd|rd|kg|km|x|er|eme|ste|de|ans|jahre|"
    r"euro|euros|usd|eur|dkk|sek|pln|gbp|ore|kr|bags|days|dias|tage|dagen|jours|dni|dagar|dage|giorni)$",
    re.IGNORECASE,
)


def _fold(s: str) -> str:
    from bot.nlu.text import fold

    return fold(s)


def find_flight_numbers(text: str, default_carrier: str = "KL", language: str | None = None) -> list[Entity]:
    out: list[Entity] = []
    folded = _fold(text)
    for m in _FLIGHT_RE.finditer(text):
        car_raw, num = m.group("car"), m.group("num")
        car = car_raw.upper()
        if car in NOT_CARRIERS:
            continue
        if car == "KL" and len(num) <= 2 and int(num) <= 24 and (
            not car_raw.isupper() or (language in CLOCK_KL_LANGUAGES
                                      and not _FLIGHT_CUE_BEFORE_RE.search(folded[: m.start()][-40:]))
        ):
            continue  # "kl 7", "KL 17": klokken/klockan (o'clock) in Danish, Swedish, Norwegian
        if car == "A3" and _AIRCRAFT_RE.fullmatch(car_raw + num) and not _FLIGHT_CUE_BEFORE_RE.search(
            folded[: m.start()][-40:]
        ):
            continue  # "the A350", "an A320": an aircraft type, not Aegean (A3) flight 50
        if not car_raw.isupper() or not any(c.isalpha() for c in car_raw):
            # lower or mixed case, or a digit-letter designator: only known carriers that are no common word
            before = folded[: m.start()]
            cue = _FLIGHT_CUE_BEFORE_RE.search(before[-40:]) is not None
            # lower case: only airlines whose code is no everyday word ("na 5 grudnia", "to 1", "op 3")
            if car not in SAFE_CARRIERS or (car in AMBIGUOUS_CARRIERS and not cue):
                continue
        elif car not in SAFE_CARRIERS:
            before = folded[: m.start()]
            cue = _FLIGHT_CUE_BEFORE_RE.search(before[-40:]) is not None
            if not cue and len(num) < 3:
                continue
        out.append(Entity("flight_number", f"{car}{num}", m.start(), m.end(), m.group(0)))
    taken = [(e.start, e.end) for e in out]
    for m in _CUE_FLIGHT_RE.finditer(folded):
        s, e = m.start("num"), m.end("num")
        if any(a <= s < b for a, b in taken):
            continue
        # "flight 2" in "the flight 2 hours late" is no flight number: need 3+ digits unless directly "flight #12"
        num = text[s:e]
        if len(num) < 3:
            continue
        after = folded[e : e + 8]
        if re.match(r"\s*(?:h|hr|hrs|hour|hours|uur|heure|std|min|mins|minutes|people|pax|bags|kg)\b", after):
            continue
        out.append(Entity("flight_number", f"{default_carrier}{num}", s, e, text[s:e]))
    return out


def find_booking_references(text: str, *, expecting: bool = False, known_words: Iterable[str] = (),
                            flight_spans: list[tuple[int, int]] | None = None) -> list[Entity]:
    out: list[Entity] = []
    folded = _fold(text)
    known = known_words if isinstance(known_words, set | frozenset) else set(known_words)
    letters_total = sum(1 for c in text if c.isalpha())
    upper_total = sum(1 for c in text if c.isupper())
    shouting = letters_total >= 12 and upper_total > 0.6 * letters_total
    n_tokens = len(text.split())
    all_caps = letters_total > 0 and upper_total == letters_total and n_tokens >= 2
    flight_spans = flight_spans or []
    last_end = -1
    weak: set[int] = set()  # indexes in ``out`` of a capitalised word taken only because a code was asked for
    for m in _REF_RE.finditer(text):
        if m.start() < last_end:
            continue
        raw = m.group("ref")
        compact = re.sub(r"[ \-]", "", raw)
        if (" " in raw or "-" in raw) and raw[3] not in " -":
            # "QW 7R2T": an uneven split only when announced as a booking code
            if not (_BOOKING_CUE_RE.search(folded[: m.start()][-48:]) or expecting):
                continue
            a, b = re.split(r"[ \-]", raw)
            if a.isalpha() and b.isalpha():
                continue
        elif " " in raw or "-" in raw:
            # "ABC 123": both halves must look like code, not two words ("the end")
            a, b = raw[:3], raw[4:]
            if a.isalpha() and b.isalpha():
                continue
            if any(c.islower() for c in raw) and not (
                expecting or _BOOKING_CUE_RE.search(folded[: m.start()][-48:])
                or (any(c.isdigit() for c in a) and any(c.isdigit() for c in b))
            ):
                continue
        before = folded[: m.start()][-48:]
        cue = _BOOKING_CUE_RE.search(before) is not None
        flight_cue = _FLIGHT_CUE_BEFORE_RE.search(before) is not None
        has_digit = any(c.isdigit() for c in compact)
        has_alpha = any(c.isalpha() for c in compact)
        if any(s <= m.start() < e or m.start() <= s < m.start() + len(raw) for s, e in flight_spans):
            # "KL1234": a flight number unless the message says it is a booking code
            if not (cue or (expecting and not flight_cue)):
                continue
        if has_digit and has_alpha:
            if _UNIT_RE.match(compact) and not cue:
                continue
            ok = True
        elif has_alpha:
            word = _fold(compact)
            if cue:
                ok = word not in known or compact.isupper()
            elif compact.isupper() and not shouting:
                # "ABCDEF" alone is a code; "ASESOR YA", "AGENTE!" (a known word in a short all-caps message) is not
                ok = (word not in known or (n_tokens <= 2 and not all_caps and expecting)) and not (
                    all_caps and not expecting and _WORDLIKE_RE.fullmatch(word))
            elif expecting:
                ok = n_tokens <= 3 and word not in known
                if ok:
                    weak.add(len(out))
            else:
                ok = False
        else:  # six digits: a date, an amount, a phone fragment ... unless asked for or announced
            ok = cue or (expecting and n_tokens <= 3)
        if ok and flight_cue and not cue and not (
            has_alpha and not _FLIGHT_SHAPE_RE.fullmatch(compact.upper())
        ):
            ok = False
        if ok:
            end = m.start() + len(raw)
            out.append(Entity("booking_reference", compact.upper(), m.start(), end, raw))
            last_end = end
    if weak and len(weak) < len(out):
        # "X7K2PQ Jansen" to "your booking reference?": the code is X7K2PQ; Jansen is left for the name
        out = [e for i, e in enumerate(out) if i not in weak]
    return out
