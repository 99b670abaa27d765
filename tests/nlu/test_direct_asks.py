"""Short, plain, explicit requests in every language ("I want another flight", "cancel my booking", "agent please",
"forget it") are read as what they ask, in the language they are written in. A regression test for messages a
tester found misread ("quiero otro vuelo" and "voglio un altro volo" were stop). The messages are written for the
test; none of them is a training example. Each goes through language detection and the parse, as the first message
of a conversation (as `crisisbot nlu parse` does)."""

from __future__ import annotations

import pytest

from bot.nlu import build_language_detector

CASES = [
    ('en', 'I want another flight', 'rebook'),
    ('en', 'I want a new flight', 'rebook'),
    ('en', 'cancel my booking', 'cancel'),
    ('en', 'is my flight on time?', 'flight_status'),
    ('en', 'I want to talk to a person', 'request_human'),
    ('en', 'forget it', 'stop'),

    ('nl', 'ik wil een andere vlucht', 'rebook'),
    ('nl', 'ik heb een nieuwe vlucht nodig', 'rebook'),
    ('nl', 'zet me op de volgende vlucht', 'rebook'),
    ('nl', 'kan ik in plaats daarvan morgen vliegen?', 'rebook'),
    ('nl', 'de vroegste vlucht graag', 'rebook'),
    ('nl', 'annuleer mijn boeking', 'cancel'),
    ('nl', 'ik wil mijn geld terug', 'cancel'),
    ('nl', 'is mijn vlucht op tijd?', 'flight_status'),
    ('nl', 'hoe laat vertrekt mijn vlucht?', 'flight_status'),
    ('nl', 'ik wil met een mens praten', 'request_human'),
    ('nl', 'medewerker graag', 'request_human'),
    ('nl', 'laat maar', 'stop'),
    ('nl', 'laat maar zitten, verander niks', 'stop'),

    ('fr', 'je veux un autre vol', 'rebook'),
    ('fr', "j'ai besoin d'un nouveau vol", 'rebook'),
    ('fr', 'mettez moi sur le prochain vol', 'rebook'),
    ('fr', 'je peux partir demain plutot ?', 'rebook'),
    ('fr', 'le vol le plus tot svp', 'rebook'),
    ('fr', 'annulez ma reservation', 'cancel'),
    ('fr', 'je veux etre rembourse', 'cancel'),
    ('fr', "mon vol est à l'heure ?", 'flight_status'),
    ('fr', 'a quelle heure part mon vol ?', 'flight_status'),
    ('fr', 'je veux parler a une personne', 'request_human'),
    ('fr', 'un conseiller svp', 'request_human'),
    ('fr', 'laissez tomber', 'stop'),
    ('fr', 'arrête, ne change rien', 'stop'),

    ('de', 'ich will einen anderen Flug', 'rebook'),
    ('de', 'ich brauche einen neuen flug', 'rebook'),
    ('de', 'buchen sie mich auf den nächsten Flug', 'rebook'),
    ('de', 'kann ich stattdessen morgen fliegen?', 'rebook'),
    ('de', 'den frühesten flug bitte', 'rebook'),
    ('de', 'stornieren sie meine buchung', 'cancel'),
    ('de', 'ich will mein geld zurück', 'cancel'),
    ('de', 'ist mein flug pünktlich?', 'flight_status'),
    ('de', 'wann geht mein flug?', 'flight_status'),
    ('de', 'ich möchte mit einem menschen sprechen', 'request_human'),
    ('de', 'mitarbeiter bitte', 'request_human'),
    ('de', 'vergiss es', 'stop'),
    ('de', 'stopp, nichts ändern', 'stop'),

    ('es', 'quiero otro vuelo', 'rebook'),
    ('es', 'necesito un vuelo nuevo', 'rebook'),
    ('es', 'ponme en el siguiente vuelo', 'rebook'),
    ('es', 'puedo volar mañana mejor?', 'rebook'),
    ('es', 'el vuelo mas temprano porfavor', 'rebook'),
    ('es', 'cancela mi reserva', 'cancel'),
    ('es', 'quiero que me devuelvan el dinero', 'cancel'),
    ('es', 'mi vuelo sale a tiempo?', 'flight_status'),
    ('es', 'a que hora sale mi vuelo?', 'flight_status'),
    ('es', 'quiero hablar con una persona', 'request_human'),
    ('es', 'un agente por favor', 'request_human'),
    ('es', 'mejor olvídalo', 'stop'),
    ('es', 'para, no cambies nada', 'stop'),

    ('it', 'voglio un altro volo', 'rebook'),
    ('it', 'mi serve un nuovo volo', 'rebook'),
    ('it', 'mettetemi sul prossimo volo', 'rebook'),
    ('it', 'posso partire domani invece?', 'rebook'),
    ('it', 'cancella la mia prenotazione', 'cancel'),
    ('it', 'voglio i soldi indietro', 'cancel'),
    ('it', 'il mio volo è in orario?', 'flight_status'),
    ('it', 'a che ora parte il mio volo?', 'flight_status'),
    ('it', 'voglio parlare con una persona', 'request_human'),
    ('it', 'un operatore per favore', 'request_human'),
    ('it', 'lascia perdere', 'stop'),
    ('it', 'basta, non cambiare niente', 'stop'),

    ('pt', 'quero outro voo', 'rebook'),
    ('pt', 'preciso de um voo novo', 'rebook'),
    ('pt', 'me coloca no proximo voo', 'rebook'),
    ('pt', 'posso voar amanha em vez disso?', 'rebook'),
    ('pt', 'o voo mais cedo por favor', 'rebook'),
    ('pt', 'cancela a minha reserva', 'cancel'),
    ('pt', 'quero o meu dinheiro de volta', 'cancel'),
    ('pt', 'o meu voo está no horário?', 'flight_status'),
    ('pt', 'a que horas sai o meu voo?', 'flight_status'),
    ('pt', 'quero falar com uma pessoa', 'request_human'),
    ('pt', 'atendente por favor', 'request_human'),
    ('pt', 'esquece', 'stop'),
    ('pt', 'para, não muda nada', 'stop'),

    ('pl', 'chcę inny lot', 'rebook'),
    ('pl', 'potrzebuję nowego lotu', 'rebook'),
    ('pl', 'przebukujcie mnie na najbliższy lot', 'rebook'),
    ('pl', 'czy mogę zamiast tego polecieć jutro?', 'rebook'),
    ('pl', 'najwcześniejszy lot poproszę', 'rebook'),
    ('pl', 'anuluj moją rezerwację', 'cancel'),
    ('pl', 'chce zwrot pieniedzy', 'cancel'),
    ('pl', 'czy mój lot jest o czasie?', 'flight_status'),
    ('pl', 'kiedy odlatuje mój lot?', 'flight_status'),
    ('pl', 'chcę rozmawiać z człowiekiem', 'request_human'),
    ('pl', 'konsultant proszę', 'request_human'),
    ('pl', 'nieważne', 'stop'),
    ('pl', 'stop, nic nie zmieniaj', 'stop'),

    ('sv', 'jag vill ha ett annat flyg', 'rebook'),
    ('sv', 'jag behöver ett nytt flyg', 'rebook'),
    ('sv', 'boka mig på nästa flyg', 'rebook'),
    ('sv', 'kan jag flyga imorgon istället?', 'rebook'),
    ('sv', 'avboka min bokning', 'cancel'),
    ('sv', 'jag vill ha pengarna tillbaka', 'cancel'),
    ('sv', 'går mitt flyg i tid?', 'flight_status'),
    ('sv', 'när går mitt flyg?', 'flight_status'),
    ('sv', 'jag vill prata med en person', 'request_human'),
    ('sv', 'kundtjänst tack', 'request_human'),
    ('sv', 'glöm det', 'stop'),
    ('sv', 'stopp, ändra ingenting', 'stop'),

    ('da', 'jeg vil have et andet fly', 'rebook'),
    ('da', 'jeg har brug for et nyt fly', 'rebook'),
    ('da', 'sæt mig på næste fly', 'rebook'),
    ('da', 'kan jeg flyve i morgen i stedet?', 'rebook'),
    ('da', 'det tidligste fly tak', 'rebook'),
    ('da', 'annuller min booking', 'cancel'),
    ('da', 'jeg vil have mine penge tilbage', 'cancel'),
    ('da', 'er mit fly til tiden?', 'flight_status'),
    ('da', 'hvornår letter mit fly?', 'flight_status'),
    ('da', 'jeg vil tale med et menneske', 'request_human'),
    ('da', 'medarbejder tak', 'request_human'),
    ('da', 'glem det', 'stop'),
    ('da', 'stop, lad være med at ændre noget', 'stop'),

    ('ru', 'хочу другой рейс', 'rebook'),
    ('ru', 'мне нужен новый рейс', 'rebook'),
    ('ru', 'посадите меня на следующий рейс', 'rebook'),
    ('ru', 'можно вместо этого полететь завтра?', 'rebook'),
    ('ru', 'самый ранний рейс пожалуйста', 'rebook'),
    ('ru', 'отмените мое бронирование', 'cancel'),
    ('ru', 'хочу вернуть деньги', 'cancel'),
    ('ru', 'мой рейс вовремя?', 'flight_status'),
    ('ru', 'когда вылетает мой рейс?', 'flight_status'),
    ('ru', 'хочу поговорить с человеком', 'request_human'),
    ('ru', 'оператора пожалуйста', 'request_human'),
    ('ru', 'всё, хватит', 'stop'),
    ('ru', 'стоп, ничего не меняй', 'stop'),

    ('tr', 'başka bir uçuş istiyorum', 'rebook'),
    ('tr', 'yeni bir ucusa ihtiyacim var', 'rebook'),
    ('tr', 'beni bir sonraki uçuşa alın', 'rebook'),
    ('tr', 'onun yerine yarın uçabilir miyim?', 'rebook'),
    ('tr', 'en erken uçuş lütfen', 'rebook'),
    ('tr', 'rezervasyonumu iptal edin', 'cancel'),
    ('tr', 'paramı geri istiyorum', 'cancel'),
    ('tr', 'uçuşum zamanında mı?', 'flight_status'),
    ('tr', 'uçağım ne zaman kalkıyor?', 'flight_status'),
    ('tr', 'bir insanla konuşmak istiyorum', 'request_human'),
    ('tr', 'temsilci lütfen', 'request_human'),
    ('tr', 'unut gitsin, vazgeçtim', 'stop'),
    ('tr', 'dur, hiçbir şeyi değiştirme', 'stop'),

    ('ja', '別の便にしたい', 'rebook'),
    ('ja', '新しい便が必要です', 'rebook'),
    ('ja', '次の便に乗せてください', 'rebook'),
    ('ja', '代わりに明日の便にできますか？', 'rebook'),
    ('ja', '一番早い便でお願いします', 'rebook'),
    ('ja', '予約をキャンセルしてください', 'cancel'),
    ('ja', '返金してほしい', 'cancel'),
    ('ja', '私の便は定刻ですか？', 'flight_status'),
    ('ja', '私の便は何時に出発しますか', 'flight_status'),
    ('ja', '人と話したい', 'request_human'),
    ('ja', 'オペレーターをお願いします', 'request_human'),
    ('ja', 'もういいです', 'stop'),
    ('ja', 'やめて、何も変更しないで', 'stop'),

    ('zh', '我想换一个航班', 'rebook'),
    ('zh', '我需要一个新航班', 'rebook'),
    ('zh', '帮我改到下一班', 'rebook'),
    ('zh', '可以改成明天飞吗？', 'rebook'),
    ('zh', '最早的航班，谢谢', 'rebook'),
    ('zh', '取消我的预订', 'cancel'),
    ('zh', '我要退款', 'cancel'),
    ('zh', '我的航班准时吗？', 'flight_status'),
    ('zh', '我的航班几点起飞', 'flight_status'),
    ('zh', '我要找真人', 'request_human'),
    ('zh', '转人工', 'request_human'),
    ('zh', '算了', 'stop'),
    ('zh', '停，什么都别改', 'stop'),
]


@pytest.fixture(scope="module")
def detector(real_settings):
    return build_language_detector(real_settings)


def parse(real, detector, text: str, context: dict | None = None):
    d = detector.detect(text, None)
    return real.parse_sync(text, d.language, context={**(context or {}), "language_supported": d.supported})


@pytest.mark.parametrize(("lang", "text", "intent"), CASES)
def test_a_short_direct_request_is_read_as_asked(real, detector, lang: str, text: str, intent: str) -> None:
    p = parse(real, detector, text)
    assert (p.language, p.intent.name) == (lang, intent)


OFFER = {"expecting": "option",
         "options": [{"index": 1, "flight_numbers": ["KL1234"], "departure_local": "08:10"},
                     {"index": 2, "flight_numbers": ["KL1236"], "departure_local": "14:05"}]}


@pytest.mark.parametrize(("lang", "text"), [("sv", "det tidigaste"), ("nl", "de vroegste")])
def test_the_earliest_as_an_answer_to_the_options_is_no_stop(real, detector, lang: str, text: str) -> None:
    p = parse(real, detector, text, OFFER)
    assert p.intent.name in ("choose_option", "rebook")


# the bot says "you can also ask for a colleague": that word, in the passenger's language, brings a person
@pytest.mark.parametrize(("lang", "text"), [
    ("en", "could I have a colleague please"), ("nl", "mag ik een collega"), ("de", "bitte einen Kollegen"),
    ("fr", "je voudrais un collègue"), ("es", "quisiera un compañero"), ("it", "vorrei un collega"),
    ("pt", "queria um colega"), ("sv", "kan jag få en kollega"), ("da", "kan jeg få en kollega"),
    ("zh", "请给我找同事"),
])
def test_asking_for_a_colleague_is_asking_for_a_person(real, lang: str, text: str) -> None:
    assert real.parse_sync(text, lang).intent.name == "request_human"
