"""Conversations that must keep their language: in every language, a passenger who gives names from other languages,
booking codes, dates, numbers, flight numbers and short answers ("ok", "yes", "ja", "1", "si grazie").

Shared by tests/e2e/test_conversation_language.py (which requires 0 switches) and bench/language_switch.py (which
prints the count). ``run`` drives any ``say(sender, text)`` and ``language_of(sender)`` pair, so the same set runs
through the REST channel or the pipeline.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# the passenger's first message, with enough text to set the conversation's language
OPENERS = {
    "en": "hi, my flight tomorrow was cancelled and I need to rebook it",
    "nl": "hoi, mijn vlucht van morgen is geannuleerd en ik wil omboeken",
    "fr": "bonjour, mon vol de demain a été annulé, je voudrais le changer",
    "de": "hallo, mein Flug morgen wurde gestrichen, ich möchte umbuchen",
    "es": "hola, mi vuelo de mañana ha sido cancelado y quiero cambiarlo",
    "it": "ciao, il mio volo di domani è stato cancellato, vorrei cambiarlo",
    "pt": "olá, o meu voo de amanhã foi cancelado e quero remarcar",
    "pl": "dzień dobry, mój lot jutro został odwołany, chcę go zmienić",
    "sv": "hej, mitt flyg i morgon är inställt och jag vill boka om",
    "da": "hej, mit fly i morgen er aflyst, og jeg vil gerne ombooke",
    # languages added later are tested as soon as they are supported
    "ru": "здравствуйте, мой рейс на завтра отменили, хочу перебронировать",
    "tr": "merhaba, yarınki uçuşum iptal edildi, bileti değiştirmek istiyorum",
    "ja": "こんにちは、明日のフライトが欠航になったので予約を変更したいです",
    "zh": "你好，我明天的航班被取消了，我想改签",
}

# surnames (and a few full names) from many languages, as passengers type them: any case, with particles
NAMES = {
    "nl": ["van Dijk", "de Vries", "Jansen", "van der Berg", "bakker"],
    "it": ["Giordano", "Rossi", "Esposito", "Maria Bianchi", "de Luca"],
    "de": ["Müller", "Schneider", "Weißmann", "von Richthofen", "fischer"],
    "pl": ["Kowalski", "Wiśniewska", "Nowak", "Wójcik", "Brzęczyszczykiewicz"],
    "pt": ["Conceição", "Silva", "Gonçalves", "dos Santos", "Pereira"],
    "tr": ["Yılmaz", "Şahin", "Çelik", "Öztürk", "Mehmet Demir"],
    "ru": ["Ivanov", "Kuznetsova", "Smirnov", "Popova", "Sergei Volkov", "Иванов"],
    "zh": ["Zhang", "Wang", "Li", "Liu Yang", "Chen", "王伟"],
    "en": ["MacDonald", "Smith", "O'Brien", "Johnson"],
    "fr": ["Lefèvre", "Dupont", "de la Fontaine"],
    "es": ["García", "Fernández", "de la Cruz"],
    "sv": ["Lindqvist", "Johansson"],
    "da": ["Sørensen", "Kjærgaard"],
}

# short answers, data and codes that are no reason to change the language, whatever language they look like
SHORT = ["ok", "yes", "ja", "1", "si grazie", "merci", "thanks", "oui", "tak", "sim", "nee", "no", "2", "👍"]
DATA = ["KL1234", "{ref}", "15/12", "12.30", "vrijdag", "friday", "morgen", "3", "sorry het is {ref}", "{REF} {name}"]


@dataclass
class Turn:
    language: str  # the conversation's language
    text: str
    answered_in: str  # the conversation's language after the message


def scripts(languages: tuple[str, ...] | list[str], reference: str) -> dict[str, list[str]]:
    """One conversation per language: the opener, then every foreign name, short answer and piece of data, mixed."""
    out = {}
    for lang in languages:
        if lang not in OPENERS:
            continue
        foreign = [n for other, names in NAMES.items() if other != lang for n in names]
        msgs = [OPENERS[lang]]
        extra = SHORT + DATA
        for i, name in enumerate(foreign):
            msgs.append(name)
            msgs.append(extra[i % len(extra)])
        names = [n for n in foreign if " " not in n]
        out[lang] = [
            m.replace("{ref}", reference.lower()).replace("{REF}", reference).replace("{name}", names[i % len(names)])
            for i, m in enumerate(msgs)
        ]
    return out


async def run(
    languages: tuple[str, ...] | list[str],
    say: Callable[[str, str], Awaitable[object]],
    language_of: Callable[[str], Awaitable[str | None]],
    reference: str = "X7K2PQ",
) -> tuple[list[Turn], int]:
    """Drive every conversation; returns the turns whose message changed the conversation's language, and the
    number of turns in all."""
    switches: list[Turn] = []
    total = 0
    for lang, msgs in scripts(languages, reference).items():
        sender = f"lang-{lang}"
        for text in msgs:
            await say(sender, text)
            total += 1
            now = await language_of(sender)
            if now != lang:
                switches.append(Turn(lang, text, str(now)))
                # carry on in the expected language only if the bot itself went back; count each switch once
                lang = str(now)
    return switches, total
