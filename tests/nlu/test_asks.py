"""The ask reader on the real training data (intents/, every language): what passengers ask, apart from how they
feel. These messages are written for the test (patterns of real social messages, not copied ones)."""

from __future__ import annotations

import pytest

from bot.nlu.asks import CueReader, read_feelings
from bot.nlu.base import Parse
from bot.nlu.text import normalize_for_classifier

# ``real``: the backend trained on intents/ (tests/nlu/conftest.py, shared with test_direct_asks.py)


@pytest.mark.parametrize(("text", "lang"), [
    ("@KLM 4 hours on hold trying to change my flight!!! unacceptable", "en"),
    ("been calling all day to reschedule a cancelled flight, worst airline ever", "en"),
    ("Ich will einfach nur einen neuen Flug nach Hause!! Frechheit", "de"),
    ("@KLM al 3 uur in de wacht, belachelijk!! boek me gewoon om op de volgende vlucht", "nl"),
    ("vol annulé, c'est une honte, mettez-moi sur le prochain vol", "fr"),
])
def test_an_angry_message_that_asks_for_a_new_flight_is_a_rebook(real, text: str, lang: str) -> None:
    p = real.parse_sync(text, lang)
    assert p.intent.name == "rebook"
    assert "rebook" in [a.name for a in p.asks]
    assert "anger" in p.feelings


@pytest.mark.parametrize(("text", "lang"), [
    ("@KLM my flight was cancelled. again. unbelievable", "en"),
    ("thanks for nothing, another 3 hours at the gate 🙄", "en"),
    ("you rebooked me on a flight two days later, great job", "en"),
    ("mijn vlucht is geannuleerd, wat een schande", "nl"),
])
def test_venting_or_sarcasm_without_an_ask_starts_no_flow(real, text: str, lang: str) -> None:
    p = real.parse_sync(text, lang)
    assert p.asks == ()
    assert p.intent.name not in ("rebook", "cancel", "flight_status", "request_human")


def test_cancel_needs_an_actual_ask(real) -> None:
    assert real.parse_sync("I want a refund for this cancelled flight, not a voucher", "en").intent.name == "cancel"
    assert real.parse_sync("how do I cancel my reservation?", "en").intent.name == "cancel"
    assert real.parse_sync("they cancelled my flight", "en").intent.name != "cancel"


def test_several_asks_are_all_seen_and_the_first_in_order_is_acted_on(real) -> None:
    p = real.parse_sync("is my flight still on time? if not please rebook me on the next one", "en")
    names = [a.name for a in p.asks]
    assert "rebook" in names and "flight_status" in names
    assert p.intent.name == "rebook"  # rebook > cancel > flight_status > request_human


def test_an_expected_answer_keeps_its_intent_in_a_flow(real) -> None:
    ctx = {"expecting": "confirmation"}
    assert real.parse_sync("yes", "en", context=ctx).intent.name == "affirm"


def test_the_parse_shape_gains_asks_and_feelings(real) -> None:
    d = real.parse_sync("@KLM please DM me, nobody answers the phone!!!", "en").to_dict()
    assert {"text", "language", "intent", "intent_ranking", "entities", "flags", "asks", "feelings"} <= set(d)
    assert d["intent"]["name"] == "request_human"
    assert Parse.from_dict(d).asks[0].name == "request_human"


def test_feelings_are_read_apart_from_the_ask() -> None:
    cues = CueReader()

    def feel(text: str) -> list[str]:
        return read_feelings(text, normalize_for_classifier(text), cues)

    assert "sarcasm" in feel("thanks for nothing")
    assert "praise" in feel("thank you, the crew was amazing")
    assert "urgency" in feel("I need to be home tonight, it's urgent")
    assert "distress" in feel("stranded with my baby at the airport")
    assert feel("can I change my flight?") == []


def test_cues_read_cyrillic_turkish_and_cjk_asks() -> None:
    cues = CueReader()

    def ask(text: str) -> list[str]:
        return cues.ask_cues(normalize_for_classifier(text))

    assert ask("перебронируйте меня на вечерний рейс") == ["rebook"]
    assert "rebook" not in ask("вы перебронировали меня на другой день")  # a story, not an ask
    assert ask("Biletimi İPTAL etmek istiyorum") == ["cancel"]
    assert ask("搭乗ゲートは何番ですか？") == ["flight_status"]
    assert ask("轉人工！！") == ["request_human"]  # Traditional folds to Simplified
    assert ask("the crew was lovely today") == []


def test_cues_from_the_training_data_extend_the_lexicon() -> None:
    cues = CueReader([("ask_rebook", r"\bxyzzy\b")])
    assert cues.ask_cues("please xyzzy me") == ["rebook"]


# One clear angry ask per ask and language (written for this test; none is a training example or taken from a real
# message): the ask must win over the anger in every language the bot speaks.
ANGRY_ASKS = {
    "nl": ["alweer geschrapt, echt schandalig!! boek me om naar een vlucht vanavond",
           "ik ben er klaar mee, annuleer mijn boeking en betaal me terug",
           "al drie uur niks gehoord!! vertrekt mijn vlucht nog wel?",
           "belachelijk dit, ik wil nu een medewerker spreken"],
    "fr": ["vol encore annulé, c'est une honte !! changez mon vol pour ce soir",
           "j'en ai marre, annulez ma réservation et remboursez-moi",
           "trois heures sans aucune info !! mon vol part quand ?",
           "c'est scandaleux, je veux parler à un agent tout de suite"],
    "de": ["schon wieder gestrichen, eine Frechheit!! bucht mich auf einen anderen Flug um",
           "mir reicht's, stornieren Sie meine Buchung und erstatten Sie alles",
           "drei Stunden keine Info!! wann startet mein Flug endlich?",
           "unverschämt, ich will sofort mit einem Mitarbeiter sprechen"],
    "es": ["otra vez cancelado, una vergüenza!! cámbienme a otro vuelo hoy",
           "estoy harto, cancelen mi reserva y devuélvanme el dinero",
           "tres horas sin información!! cuándo sale mi vuelo?",
           "es indignante, quiero hablar con una persona ya"],
    "it": ["di nuovo cancellato, una vergogna!! cambiatemi il volo per stasera",
           "sono stufo, annullate la mia prenotazione e rimborsatemi",
           "tre ore senza notizie!! quando parte il mio volo?",
           "è assurdo, voglio parlare con un operatore subito"],
    "pt": ["cancelado outra vez, uma vergonha!! mudem o meu voo para hoje à noite",
           "estou farto, cancelem a minha reserva e devolvam o dinheiro",
           "três horas sem informação!! quando sai o meu voo?",
           "é um absurdo, quero falar com um atendente já"],
    "pl": ["znowu odwołany, skandal!! zmieńcie mi lot na dzisiejszy wieczór",
           "mam dość, anulujcie moją rezerwację i oddajcie pieniądze",
           "trzy godziny bez informacji!! kiedy wylatuje mój lot?",
           "to skandaliczne, chcę natychmiast rozmawiać z konsultantem"],
    "sv": ["inställt igen, skandal!! boka om mig till ett annat flyg ikväll",
           "jag har fått nog, avboka min bokning och betala tillbaka",
           "tre timmar utan info!! när går mitt flyg?",
           "helt oacceptabelt, jag vill prata med en riktig människa nu"],
    "da": ["aflyst igen, skandaløst!! ombook mig til et andet fly i aften",
           "jeg har fået nok, afbestil min booking og giv mig pengene tilbage",
           "tre timer uden info!! hvornår går mit fly?",
           "helt uacceptabelt, jeg vil tale med et rigtigt menneske nu"],
    "ru": ["опять отменили, позор!! перебронируйте меня на другой рейс сегодня",
           "с меня хватит, отмените мое бронирование и верните деньги",
           "три часа без информации!! когда вылетит мой рейс?",
           "это безобразие, соедините меня с живым оператором"],
    "tr": ["yine iptal, rezalet!! beni bu akşam başka bir uçuşa aktarın",
           "bıktım artık, rezervasyonumu iptal edin ve paramı iade edin",
           "üç saattir bilgi yok!! uçuşum ne zaman kalkacak?",
           "bu kabul edilemez, hemen bir müşteri temsilcisiyle görüşmek istiyorum"],
    "ja": ["また欠航って最悪！！今夜の別の便に振り替えてください",
           "もう無理、予約をキャンセルして全額返金してください",
           "3時間も何の案内もない！！私の便はいつ出発するんですか？",
           "ありえない、今すぐオペレーターと話させてください"],
    "zh": ["又取消了，太离谱了！！给我改签到今晚别的航班",
           "受够了，把我的订单取消，全额退款",
           "三个小时一点消息都没有！！我的航班什么时候起飞？",
           "太过分了，我现在就要转人工客服"],
}


@pytest.mark.parametrize(("lang", "ask", "text"), [
    (lang, ask, text) for lang, texts in ANGRY_ASKS.items()
    for ask, text in zip(("rebook", "cancel", "flight_status", "request_human"), texts, strict=True)
])
def test_an_angry_ask_wins_over_the_anger_in_every_language(real, lang: str, ask: str, text: str) -> None:
    p = real.parse_sync(text, lang)
    assert p.intent.name == ask, (p.intent, p.asks)


@pytest.mark.parametrize(("text", "flags"), [
    ("my flight was cancelled and I want a refund", ["disruption", "refund"]),
    ("I just want my money back", ["refund"]),
    ("mijn vlucht is geannuleerd, ik wil mijn geld terug", ["disruption", "refund"]),
    ("Flug annulliert, bitte Rückerstattung", ["disruption", "refund"]),
    ("vol annulé, je veux être remboursé", ["disruption", "refund"]),
    ("me cancelaron el vuelo, quiero un reembolso", ["disruption", "refund"]),
    ("proszę o zwrot pieniędzy", ["refund"]),
    ("Рейс отменили, хочу возврат денег", ["disruption", "refund"]),
    ("uçuşum iptal edildi, para iadesi istiyorum", ["disruption", "refund"]),
    ("欠航になりました。返金してください", ["disruption", "refund"]),
    ("航班取消了，我要退款", ["disruption", "refund"]),
    ("I want to change my flight to Friday", []),
    ("is my flight on time?", []),
])
def test_a_disrupted_trip_and_a_refund_are_flagged_for_the_dialogue(text: str, flags: list[str]) -> None:
    assert CueReader().situation_flags(normalize_for_classifier(text)) == flags


@pytest.mark.parametrize(("text", "flags"), [
    ("can I get a hotel voucher?", ["care"]),
    ("Bekomme ich eine Entschädigung?", ["compensation"]),
    ("qui paie l'hôtel et les repas ?", ["care"]),
    ("Рейс отменили, кто оплатит гостиницу? И компенсация?", ["disruption", "care", "compensation"]),
    ("航班取消了，酒店怎么办？有赔偿吗？", ["disruption", "care", "compensation"]),
])
def test_care_and_compensation_questions_are_flagged(text: str, flags: list[str]) -> None:
    assert CueReader().situation_flags(normalize_for_classifier(text)) == flags


@pytest.mark.parametrize(("text", "lang"), [
    ("is there a fee?", "en"), ("what does it cost?", "en"), ("wat kost dat?", "nl"), ("combien ça coûte ?", "fr"),
    ("was kostet das?", "de"), ("¿cuánto cuesta?", "es"), ("quanto costa?", "it"), ("quanto custa isso?", "pt"),
    ("ile to kosztuje?", "pl"), ("vad kostar det?", "sv"), ("hvad koster det at ombooke?", "da"),
    ("сколько это стоит?", "ru"), ("ücreti ne kadar?", "tr"), ("料金はいくらですか？", "ja"), ("多少钱？", "zh"),
])
def test_what_a_change_costs_is_flagged_in_every_language(text: str, lang: str) -> None:
    assert "price" in CueReader().situation_flags(normalize_for_classifier(text)), lang


@pytest.mark.parametrize("text", ["I want to change my flight to Friday", "is my flight on time?",
                                  "j'ai pris le vol de 10h", "who pays for the hotel?"])
def test_no_price_flag_without_a_price(text: str) -> None:
    assert "price" not in CueReader().situation_flags(normalize_for_classifier(text))


@pytest.mark.parametrize(("text", "lang"), [
    ("en realidad, cancela la reserva", "es"),
    ("mejor cancélalo", "es"),
    ("laat maar, annuleer het gewoon", "nl"),
    ("hmm actually just cancel it", "en"),
])
def test_cancel_it_said_at_the_flight_options_is_a_cancellation(real, text: str, lang: str) -> None:
    options = [{"index": 1, "flight_numbers": ["KL1"], "departure_local": "07:55", "date_local": "2026-12-10",
                "stops": 0}]
    assert real.parse_sync(text, lang, context={"expecting": "option", "options": options}).intent.name == "cancel"


@pytest.mark.parametrize(("text", "lang", "ask"), [
    ("we have been waiting for hours at the airport with two kids. change my flight X7K2PQ Jansen", "en", "rebook"),
    ("seit drei Stunden in der Warteschleife, unfassbar. Bitte stornieren Sie die Buchung QX7ZPL Becker", "de",
     "cancel"),
])
def test_a_request_after_a_story_with_the_booking_is_read(real, text: str, lang: str, ask: str) -> None:
    assert real.parse_sync(text, lang).intent.name == ask
