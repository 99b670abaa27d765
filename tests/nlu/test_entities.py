from __future__ import annotations

import datetime as dt

import pytest

from bot.nlu.entities import EntityExtractor

from .conftest import NOW

CTX = {"now": NOW}
OPTIONS = {
    "now": NOW,
    "expecting": "option",
    "options": [
        {"index": 1, "flight_numbers": ["KL1234"], "departure_local": "14:05"},
        {"index": 2, "flight_numbers": ["KL1235"], "departure_local": "18:30"},
        {"index": 3, "flight_numbers": ["AF1641", "KL2001"], "departure_local": "2026-11-24T07:15"},
    ],
}


@pytest.fixture(scope="module")
def x() -> EntityExtractor:
    return EntityExtractor(known_words={"thanks", "cancel", "please", "travel", "flight"})


def values(x: EntityExtractor, text: str, lang: str = "en", ctx: dict | None = None, kind: str | None = None):
    return [(e.entity, e.value) for e in x.extract(text, lang, CTX if ctx is None else ctx)
            if kind is None or e.entity == kind]


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("en", "my booking code is abc123", "ABC123"),
    ("en", "ref QWR 8LN please", "QWR8LN"),
    ("nl", "boekingscode: XYZ12A", "XYZ12A"),
    ("fr", "ma référence est HBXTZM", "HBXTZM"),
    ("de", "Buchungsnummer ABCDEF", "ABCDEF"),
    ("es", "mi reserva es k7p2xq", "K7P2XQ"),
    ("pl", "numer rezerwacji: QWERTY", "QWERTY"),
    ("sv", "bokning HB4TZM", "HB4TZM"),
])
def test_booking_reference(x: EntityExtractor, lang: str, text: str, expected: str) -> None:
    assert values(x, text, lang, kind="booking_reference") == [("booking_reference", expected)]


@pytest.mark.parametrize("text", [
    "please cancel my flight", "I have travelled for 2hours", "my flight is KL1234", "thanks a lot",
    "I waited 4hours at the gate", "AMS-JFK", "worst airline ever",
])
def test_no_false_booking_references(x: EntityExtractor, text: str) -> None:
    assert values(x, text, kind="booking_reference") == []


def test_booking_reference_when_expected(x: EntityExtractor) -> None:
    assert values(x, "hbxtzm", ctx={"expecting": "booking_reference"}, kind="booking_reference") == [
        ("booking_reference", "HBXTZM")]
    assert values(x, "thanks", ctx={"expecting": "booking_reference"}, kind="booking_reference") == []
    # a flight-number-looking code is the booking reference when the bot asked for one
    assert values(x, "KL1234", ctx={"expecting": "booking_reference"}, kind="booking_reference") == [
        ("booking_reference", "KL1234")]


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("en", "is KL 1234 delayed?", "KL1234"),
    ("en", "kl643 status", "KL643"),
    ("en", "flight 1234 tomorrow", "KL1234"),
    ("nl", "vlucht 643 van morgen", "KL643"),
    ("fr", "mon vol 1002", "KL1002"),
    ("de", "Flug LH 992 nach München", "LH992"),
    ("es", "el vuelo AF1641", "AF1641"),
])
def test_flight_number(x: EntityExtractor, lang: str, text: str, expected: str) -> None:
    assert values(x, text, lang, kind="flight_number") == [("flight_number", expected)]


@pytest.mark.parametrize("text", ["I waited in 2 queues", "at 10 we boarded", "EU261 compensation",
                                  "the flight was 3 hours late"])
def test_no_false_flight_numbers(x: EntityExtractor, text: str) -> None:
    assert values(x, text, kind="flight_number") == []


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("en", "can I fly tomorrow", "2026-11-24"),
    ("en", "the day after tomorrow", "2026-11-25"),
    ("en", "next friday", "2026-11-27"),
    ("en", "on 23/11", "2026-11-23"),
    ("en", "Dec 3rd", "2026-12-03"),
    ("en", "3 december", "2026-12-03"),
    ("en", "on 5 january", "2027-01-05"),
    ("nl", "morgen", "2026-11-24"),
    ("nl", "overmorgen", "2026-11-25"),
    ("nl", "volgende week vrijdag", "2026-12-04"),
    ("nl", "op 3 december", "2026-12-03"),
    ("fr", "demain", "2026-11-24"),
    ("fr", "vendredi prochain", "2026-11-27"),
    ("fr", "le 3 décembre", "2026-12-03"),
    ("de", "übermorgen", "2026-11-25"),
    ("de", "nächsten Freitag", "2026-11-27"),
    ("de", "am 3. Dezember", "2026-12-03"),
    ("es", "mañana", "2026-11-24"),
    ("es", "el próximo viernes", "2026-11-27"),
    ("it", "venerdì prossimo", "2026-11-27"),
    ("it", "dopodomani", "2026-11-25"),
    ("pt", "na próxima sexta", "2026-11-27"),
    ("pt", "amanhã", "2026-11-24"),
    ("pl", "w przyszły piątek", "2026-11-27"),
    ("pl", "3 grudnia", "2026-12-03"),
    ("sv", "nästa fredag", "2026-11-27"),
    ("sv", "i morgon", "2026-11-24"),
    ("da", "næste fredag", "2026-11-27"),
    ("da", "i overmorgen", "2026-11-25"),
    # a weekday with its day of the month: which Friday it is
    ("en", "friday 4", "2026-12-04"),
    ("es", "quiero volar el lunes 30 mejor", "2026-11-30"),
    ("it", "venerdì 4 sera", "2026-12-04"),
    ("de", "Freitag, 4.", "2026-12-04"),
    ("en", "friday 2 tickets", "2026-11-27"),  # no Friday the 2nd soon: the number is no day
])
def test_dates(x: EntityExtractor, lang: str, text: str, expected: str) -> None:
    assert values(x, text, lang, kind="date") == [("date", expected)]


def test_dates_use_the_time_zone_of_the_context(x: EntityExtractor) -> None:
    # 23:30 UTC on Monday is already Tuesday in Amsterdam, still Monday in New York
    late = "2026-11-23T23:30:00+00:00"
    assert values(x, "tomorrow", ctx={"now": late}, kind="date") == [("date", "2026-11-25")]
    assert values(x, "tomorrow", ctx={"now": late, "timezone": "America/New_York"}, kind="date") == [
        ("date", "2026-11-24")]


@pytest.mark.parametrize(("lang", "text"), [("de", "Guten Morgen"), ("nl", "goede morgen"),
                                            ("es", "esta semana por la mañana no"), ("en", "14.05 euro")])
def test_no_false_dates(x: EntityExtractor, lang: str, text: str) -> None:
    assert values(x, text, lang, kind="date") == []


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("en", "from Amsterdam to London", [("AMS", "origin"), ("LHR", "destination")]),
    ("en", "AMS-JFK", [("AMS", "origin"), ("JFK", "destination")]),
    ("nl", "van Parijs naar Londen", [("CDG", "origin"), ("LHR", "destination")]),
    ("fr", "de Paris à Nice", [("CDG", "origin"), ("NCE", "destination")]),
    ("de", "von München nach Wien", [("MUC", "origin"), ("VIE", "destination")]),
    ("es", "desde Londres a Lisboa", [("LHR", "origin"), ("LIS", "destination")]),
    ("pl", "z Warszawy do Krakowa", [("WAW", "origin"), ("KRK", "destination")]),
    ("sv", "från Köpenhamn till Oslo", [("CPH", "origin"), ("OSL", "destination")]),
    ("en", "stuck in Paris, I need to get to Boston", [("CDG", "origin"), ("BOS", "destination")]),
])
def test_airports_and_roles(x: EntityExtractor, lang: str, text: str, expected: list) -> None:
    got = [(e.value, e.role) for e in x.extract(text, lang, CTX) if e.entity == "airport"]
    assert got == expected


@pytest.mark.parametrize("text", ["that was a nice flight", "Nice service today", "I'M SO MAD AT YOU",
                                  "THE WORST", "what a MAN"])
def test_no_false_airports(x: EntityExtractor, text: str) -> None:
    assert values(x, text, kind="airport") == []


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("en", "the second one", 2), ("en", "option 3", 3), ("en", "2", 2), ("fr", "la deuxième", 2),
    ("de", "die zweite bitte", 2), ("nl", "de tweede", 2), ("es", "la segunda", 2), ("it", "la seconda", 2),
    ("pt", "a segunda", 2), ("pl", "drugi", 2), ("sv", "den andra", 2), ("da", "den anden", 2),
])
def test_options(x: EntityExtractor, lang: str, text: str, expected: int) -> None:
    assert values(x, text, lang, ctx={**OPTIONS, "options": []}, kind="option") == [("option", expected)]


def test_options_resolved_against_offered_ones(x: EntityExtractor) -> None:
    assert values(x, "the 18:30 please", ctx=OPTIONS) == [("option", 2)]
    assert values(x, "KL1235", ctx=OPTIONS) == [("option", 2)]
    assert values(x, "the one at 7.15", ctx=OPTIONS) == [("option", 3)]
    assert values(x, "kl 2001", ctx=OPTIONS) == [("option", 3)]
    assert values(x, "the last one", ctx=OPTIONS) == [("option", 3)]
    assert values(x, "de middelste", "nl", ctx=OPTIONS) == [("option", 2)]
    assert values(x, "die mittlere bitte", "de", ctx=OPTIONS) == [("option", 2)]
    assert values(x, "in the middle of the night", ctx=OPTIONS) == []
    assert values(x, "option 7", ctx=OPTIONS) == []  # only three were offered


def test_a_number_in_a_sentence_is_no_option(x: EntityExtractor) -> None:
    assert values(x, "we are 2 adults and a child travelling", kind="option") == []


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("en", "my name is Jansen", "Jansen"),
    ("en", "my name is Peter de Vries", "de Vries"),
    ("nl", "naam: de Vries", "de Vries"),
    ("fr", "je m'appelle Dupont", "Dupont"),
    ("de", "Mein Name ist Müller", "Müller"),
    ("es", "me llamo García", "García"),
    ("it", "mi chiamo Rossi", "Rossi"),
    ("pl", "nazywam się Kowalski", "Kowalski"),
    ("sv", "jag heter Svensson", "Svensson"),
    ("da", "jeg hedder Hansen", "Hansen"),
    ("en", "ABC123 Jansen", "Jansen"),
    # a lower-case name right after the reference, at the end of the message
    ("en", "i need to change my flight x7k2pq jansen", "jansen"),
    ("de", "E7V4GT schröder", "schröder"),
    ("nl", "XMXPCR, de vries", "de vries"),
    ("en", "XMXPCR, de vries, thanks", "de vries"),
    # ... or at the end of its clause, when it is no ordinary word
    ("en", "whats the status of my booking YYZBBB meyer, i have a connection in amsterdam", "meyer"),
    ("en", "hi i have a light ticket, booking LET2YC mulder. what does it cost?", "mulder"),
    ("en", "Please change my flight X7K2PQ jansen to saturday.", "jansen"),
    # "'t" and "t" are name particles
    ("nl", "P4E2T5 van 't Hof", "van 't Hof"),
    ("nl", "P4E2T5 van t Hof", "van t Hof"),
])
def test_last_names(x: EntityExtractor, lang: str, text: str, expected: str) -> None:
    assert values(x, text, lang, kind="last_name") == [("last_name", expected)]


def test_last_name_when_asked_and_not_otherwise(x: EntityExtractor) -> None:
    assert values(x, "van der Berg", ctx={"expecting": "last_name"}) == [("last_name", "van der Berg")]
    assert values(x, "van 't Hof", "nl", ctx={"expecting": "last_name"}) == [("last_name", "van 't Hof")]
    assert values(x, "x7k2pq cancel", kind="last_name") == []  # an ordinary word after the code is no name
    assert values(x, "x7k2pq tomorrow", kind="last_name") == []
    assert values(x, "booking x7k2pq please, I want to rebook", kind="last_name") == []
    assert values(x, "ref x7k2pq flight, what now?", kind="last_name") == []
    assert values(x, "X7K2PQ today to london", kind="last_name") == []
    assert values(x, "booking X7K2PQ cancel for me", kind="last_name") == []
    assert values(x, "Jansen") == []
    assert values(x, "thanks", ctx={"expecting": "last_name"}) == []


def test_entities_carry_offsets_into_the_original_text(x: EntityExtractor) -> None:
    text = "Flug nach Zürich übermorgen, Buchung QX7ZPL"
    for e in x.extract(text, "de", CTX):
        assert text[e.start:e.end] == e.text
    assert {e.entity for e in x.extract(text, "de", CTX)} == {"airport", "date", "booking_reference"}


@pytest.mark.parametrize(("text", "expected"), [("Sat, 2/21", "2027-02-21"), ("24/7 service", None),
                                                ("1/2 of us", None)])
def test_numeric_dates_month_first_and_non_dates(x: EntityExtractor, text: str, expected: str | None) -> None:
    assert values(x, text, kind="date") == ([("date", expected)] if expected else [])


def test_bare_numbers_read_as_what_was_asked(x: EntityExtractor) -> None:
    assert values(x, "1234", ctx={"now": NOW, "expecting": "flight_number"}) == [("flight_number", "KL1234")]
    assert values(x, "the 3rd", ctx={"now": NOW, "expecting": "date"}) == [("date", "2026-12-03")]
    assert values(x, "28", ctx={"now": NOW, "expecting": "date"}) == [("date", "2026-11-28")]
    assert values(x, "482913", ctx={"now": NOW, "expecting": "otp"}) == []
    assert values(x, "2", ctx={"now": NOW, "expecting": "option"}) == [("option", 2)]


@pytest.mark.parametrize(("lang", "text", "kind", "expected"), [
    ("da", "kan I flytte mig til flyet i morgen kl 7?", "flight_number", []),
    ("sv", "er kundtjänst stänger kl 17", "flight_number", []),
    ("nl", "is KL1790 uit Madrid al geland?", "airport", [("airport", "MAD")]),
    ("nl", "@Schiphol totale chaos #schiphol", "airport", []),
    ("pt", "podem pôr-me num voo da Delta?", "airport", []),
    ("en", "does EC 261 apply", "flight_number", []),
    ("nl", "geldt EG 261 ook", "flight_number", []),
    ("sv", "flytta mig till nästa vecka", "date", [("date", "2026-11-30")]),
    ("pt", "dá pra passar meu voo pra segunda?", "date", [("date", "2026-11-30")]),
    ("pt", "a segunda", "date", []),
    ("da", "booking QW 7R2T, vil udskyde afrejsen", "booking_reference", [("booking_reference", "QW7R2T")]),
    ("da", "vil afbestille bookingen i navnet Rasmussen", "last_name", [("last_name", "Rasmussen")]),
    ("nl", "Claes is mijn achternaam", "last_name", [("last_name", "Claes")]),
    ("da", "Lauridsen, RT5Y6U", "last_name", [("last_name", "Lauridsen")]),
    ("de", "Status KL1234?", "last_name", []),
    ("fr", "je suis coincé à Francfort", "last_name", []),
    ("da", "nej, efternavnet er et andet", "last_name", []),
])
def test_regressions_from_the_training_data(x: EntityExtractor, lang: str, text: str, kind: str, expected) -> None:
    assert values(x, text, lang, kind=kind) == expected


# false positives / negatives reported by the data writers (one case per fix)
@pytest.mark.parametrize(("lang", "text", "kind", "expected"), [
    # spaced codes: the previous word is not part of the code; lower-case spaced codes after a cue are found
    ("en", "my ref p4r t8y please", "booking_reference", [("booking_reference", "P4RT8Y")]),
    ("fr", "c'est 8hj 2kd", "booking_reference", [("booking_reference", "8HJ2KD")]),
    ("fr", "j'ai droit aux 600€", "booking_reference", []),
    ("es", "mi reserva hj7 k2l", "booking_reference", [("booking_reference", "HJ7K2L")]),
    ("de", "Buchung hk3 9df", "booking_reference", [("booking_reference", "HK39DF")]),
    ("en", "cancel x7k 2pq", "booking_reference", [("booking_reference", "X7K2PQ")]),
    ("en", "ref QWR 8LN", "booking_reference", [("booking_reference", "QWR8LN")]),
    # regulations and aircraft types are no flight numbers
    ("fr", "le règlement CE 261 s'applique", "flight_number", []),
    ("de", "nach EG 261 steht mir was zu", "flight_number", []),
    ("en", "the A350 was freezing", "flight_number", []),
    ("en", "they swapped the A330 for an A320", "flight_number", []),
    ("en", "flight A3 350 to Athens", "flight_number", [("flight_number", "A3350")]),
    # Scandinavian clock times
    ("sv", "KL 17 imorgon", "flight_number", []),
    ("da", "flyet går kl 7", "flight_number", []),
    ("en", "is KL 17 on time", "flight_number", [("flight_number", "KL17")]),
    # airports
    ("en", "please rebook me asap", "airport", []),
    ("en", "get me to Oslo ASAP", "airport", [("airport", "OSL")]),
    ("en", "#schiphol chaos again", "airport", []),
    ("fr", "il faut que je vienne demain", "airport", []),
    ("fr", "un vol pour Vienne", "airport", [("airport", "VIE")]),
    ("en", "I filed a PIR at the desk", "airport", []),
    ("es", "me llamo Maria de Castro", "airport", []),
    # all-caps words in a short shout are no booking codes
    ("es", "ASESOR YA", "booking_reference", []),
    ("es", "PERSONA. HUMANO. AGENTE.", "booking_reference", []),
    ("en", "CODE XKQPZT", "booking_reference", [("booking_reference", "XKQPZT")]),
    # ordinals describing a wish when nothing is on offer
    ("en", "the first flight tomorrow", "option", []),
    ("en", "can I bring a second bag", "option", []),
    ("es", "el primer vuelo disponible", "option", []),
    ("it", "il primo volo", "option", []),
    ("pl", "pierwszy lot", "option", []),
    ("en", "the second one please", "option", [("option", 2)]),
    ("en", "the 3rd one", "option", [("option", 3)]),
    # dates
    ("en", "the 3rd one", "date", []),
    ("en", "any black friday deals?", "date", []),
    ("en", "can I fly friday", "date", [("date", "2026-11-27")]),
    ("da", "god morgen", "date", []),
    ("de", "Morgen zusammen!", "date", []),
    ("de", "Morgen!", "date", []),
    ("de", "Morgen?", "date", [("date", "2026-11-24")]),
    ("en", "tomorrow's flight is cancelled", "date", [("date", "2026-11-24")]),
    ("pt", "dá pra mudar pra sexta", "date", [("date", "2026-11-27")]),
    ("pt", "posso ficar até quinta", "date", [("date", "2026-11-26")]),
])
def test_reported_entity_errors(x: EntityExtractor, lang: str, text: str, kind: str, expected) -> None:
    assert values(x, text, lang, kind=kind) == expected


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("nl", "mijn vlucht uit Parijs", [("CDG", "origin")]),
    ("de", "ein Flug für München", [("MUC", "destination")]),
    ("de", "bis Berlin bitte", [("BER", "destination")]),
    ("de", "von Paris bis Berlin", [("CDG", "origin"), ("BER", "destination")]),
])
def test_reported_airport_roles(x: EntityExtractor, lang: str, text: str, expected) -> None:
    assert [(e.value, e.role) for e in x.extract(text, lang, CTX) if e.entity == "airport"] == expected


def test_all_caps_known_word_is_no_booking_code_unless_asked() -> None:
    x = EntityExtractor(known_words={"sofort", "agente"})
    assert values(x, "SOFORT", "de", kind="booking_reference") == []
    assert values(x, "AGENTE!", "es", kind="booking_reference") == []
    assert values(x, "SOFORT", "de", ctx={"now": NOW, "expecting": "booking_reference"},
                  kind="booking_reference") == [("booking_reference", "SOFORT")]


def test_ordinals_still_choose_when_options_are_offered(x: EntityExtractor) -> None:
    offered = {"now": NOW, "options": OPTIONS["options"]}
    assert values(x, "the first flight", ctx=offered, kind="option") == [("option", 1)]
    assert values(x, "il primo volo", "it", ctx=OPTIONS, kind="option") == [("option", 1)]


@pytest.mark.parametrize(
    ("text", "context", "entity", "value"),
    [
        ("@KLM 2", {"expecting": "option", "options": [{"index": 1}, {"index": 2}]}, "option", 2),
        ("@KLM @DemoAir Nguyen", {"expecting": "last_name"}, "last_name", "Nguyen"),
    ],
)
def test_leading_mentions_do_not_hide_or_become_entities(text, context, entity, value):
    from bot.nlu.entities import EntityExtractor

    found = [e for e in EntityExtractor(default_carrier="KL").extract(text, "en", context) if e.entity == entity]
    assert [e.value for e in found] == [value]
    assert text[found[0].start:found[0].end] == found[0].text


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "I'd like to change my flight EVFKK6 Sousa"),
    ("it", "Ciao, il mio volo X7K2PQ Jansen è in orario?"),
    ("nl", "mijn vlucht X7K2PQ gaat niet door"),
    ("en", "my flight nr x7k2pq, name Jansen"),
    ("it", "Ciao, il mio volo PBLGQM Rossi è in orario?"),
])
def test_booking_reference_called_my_flight(x: EntityExtractor, lang: str, text: str) -> None:
    # passengers call their booking "my flight": a code that cannot be a flight number is the reference
    refs = values(x, text, lang, kind="booking_reference")
    assert len(refs) == 1 and refs[0][1] in ("EVFKK6", "X7K2PQ", "PBLGQM")
    assert values(x, text, lang, kind="flight_number") == []


@pytest.mark.parametrize("text", ["my flight is KL1234", "flight U21234 tomorrow", "my flight KL123A",
                                  "my flight TODAY is late", "flight TRAVEL please"])
def test_flight_numbers_after_flight_stay_flight_numbers(x: EntityExtractor, text: str) -> None:
    assert values(x, text, kind="booking_reference") == []


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("es", "perdon, es Jansen", "Jansen"),
    ("es", "Perdón, es de Vries", "de Vries"),
    ("en", "sorry, it's Jansen", "Jansen"),
    ("en", "oops my bad, Jansen", "Jansen"),
    ("en", "no wait it is Jansen", "Jansen"),
    ("de", "Entschuldigung, Becker", "Becker"),
    ("fr", "pardon c'est Dubois", "Dubois"),
    ("en", "Jansen", "Jansen"),
    ("en", "Jan de Vries", "Jan de Vries"),
])
def test_corrected_last_name_when_asked(x: EntityExtractor, lang: str, text: str, expected: str) -> None:
    # a wrong name, then the right one with an apology around it: only the name is the name
    assert values(x, text, lang, ctx={"now": NOW, "expecting": "last_name"}, kind="last_name") == [
        ("last_name", expected)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Mr Jansen", "Jansen"), ("Frau Becker", "Becker"), ("Mrs. Dubois", "Dubois")])
def test_form_of_address_is_no_part_of_the_last_name(x: EntityExtractor, text: str, expected: str) -> None:
    assert values(x, text, ctx={"now": NOW, "expecting": "last_name"}, kind="last_name") == [("last_name", expected)]
    assert values(x, f"my name is {text}", kind="last_name") == [("last_name", expected)]


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("en", "Hi, this is Sarah Kelly. I'd like to cancel booking R389TJ", "Kelly"),
    ("en", "Hi this is Jan de Vries, booking X7K2PQ", "de Vries"),
    ("nl", "Hoi, met Anna Bakker. Ik wil annuleren", "Bakker"),
    ("de", "Hallo, hier ist Jonas Becker, Buchung LGHT7F", "Becker"),
    ("fr", "Bonjour, c'est Marie Dubois", "Dubois"),
])
def test_introduction_with_first_and_last_name(x: EntityExtractor, lang: str, text: str, expected: str) -> None:
    assert values(x, text, lang, kind="last_name") == [("last_name", expected)]


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "This is URGENT please"), ("en", "This is Anna. cancel"), ("de", "Ich bin Sehr Wütend"),
])
def test_no_name_from_an_introduction_without_one(x: EntityExtractor, lang: str, text: str) -> None:
    x2 = EntityExtractor(known_words={"sehr", "wutend"})
    assert values(x2, text, lang, kind="last_name") == []


@pytest.mark.parametrize(("text", "lang", "weekday"), [
    ("Umbuchen X7K2PQ Jansen auf Samstagabend", "de", 5), ("omboeken naar zaterdagavond", "nl", 5),
    ("Freitagnachmittag bitte", "de", 4), ("vrijdagmiddag", "nl", 4),
])
def test_a_weekday_joined_to_the_part_of_the_day_is_the_day(text: str, lang: str, weekday: int) -> None:
    from bot.nlu.entities.dates import find_dates

    found = find_dates(text, lang, {"now": NOW})
    assert len(found) == 1 and dt.date.fromisoformat(found[0].value).weekday() == weekday
