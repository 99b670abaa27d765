"""Passenger surnames, only when clearly given ("my name is Jansen", "naam: de Vries", or asked for)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from bot.nlu.base import Entity
from bot.nlu.entities.codes import BOOKING_CUES, FLIGHT_CUES
from bot.nlu.text import fold

# cue phrases (folded); SURNAME cues announce a surname, FULL cues a full name (take the part after the first name)
SURNAME_CUES = (
    r"last\s*name|surname|family\s*name|achternaam|familienaam|nom\s+de\s+famille|nachname|familienname|"
    r"zuname|apellido|apellidos|cognome|sobrenome|apelido|nazwisko|nazwisko\s+to|efternamn|efternavn|efternamnet"
)
FULL_CUES = (
    r"my\s+name\s+is|my\s+name's|name\s+is|name's|the\s+name\s+is|under\s+the\s+name(?:\s+of)?|in\s+the\s+name\s+of|"
    r"booked\s+(?:under|as)|(?:name|naam|nom|nome|nombre|namn|navn|imie|passenger|passagier)\s*:|mijn\s+naam\s+is|naam\s+is|ik\s+heet|op\s+(?:de\s+)?naam\s+(?:van\s+)?|"
    r"je\s+m'appelle|je\s+mappelle|mon\s+nom\s+est|mon\s+nom\s+c'est|au\s+nom\s+de|"
    r"mein\s+name\s+ist|ich\s+heis?se|name\s+ist|auf\s+den\s+namen|"
    r"me\s+llamo|mi\s+nombre\s+es|a\s+nombre\s+de|"
    r"mi\s+chiamo|il\s+mio\s+nome\s+e|mio\s+nome\s+e|a\s+nome\s+di|"
    r"meu\s+nome\s+e|me\s+chamo|chamo-me|em\s+nome\s+de|"
    r"nazywam\s+sie|mam\s+na\s+imie|moje\s+imie\s+(?:i\s+nazwisko\s+)?to|na\s+nazwisko|"
    r"jag\s+heter|mitt\s+namn\s+ar|"
    r"(?:name|naam|nom|nome|nombre|namn|navn)(?:\s+\w+){1,4}?\s+(?:is|es|est|ist|e|er|ar)(?=\s+[A-Z])|"
    r"sou\s+[oa]|"
    r"jeg\s+hedder|mit\s+navn\s+er|(?:i|pa|under)\s+(?:navnet|namnet)|namnet|navnet|"
    r"op\s+naam\s+van|onder\s+de\s+naam|sous\s+le\s+nom(?:\s+de)?|unter\s+dem\s+namen|a\s+nome\s+de|w\s+imieniu"
)
SIGNOFF_CUES = (
    r"regards|kind\s+regards|best\s+regards|best\s+wishes|sincerely|yours\s+sincerely|yours\s+faithfully|"
    r"met\s+vriendelijke\s+groet(?:en)?|vriendelijke\s+groet(?:en)?|groeten|groet|mvg|"
    r"cordialement|bien\s+a\s+vous|salutations|mit\s+freundlichen\s+grussen|freundliche\s+grusse|viele\s+grusse|"
    r"mfg|lg|saludos|atentamente|un\s+saludo|cordiali\s+saluti|distinti\s+saluti|saluti|atenciosamente|"
    r"cumprimentos|z\s+powazaniem|pozdrawiam|pozdrowienia|med\s+vanliga\s+halsningar|vanliga\s+halsningar|"
    r"halsningar|mvh|med\s+venlig\s+hilsen|venlig\s+hilsen|hilsen|vh"
)
BARE_CUES = (r"name|naam|nom|nome|nombre|namn|navn|nachname|nazwisko|achternaam|apellido|apellidos|cognome|"
             r"efternamn|efternavn|familienaam|"
             r"sobrenome|sobrenomes|apelido")
_SEP = r"(?!\w)\s*(?:[:=\-]|(?:is|es|est|ist|e|er|ar|to|jest)(?!\w))?\s*"
_NAME_TOKEN = r"(?:['’](?=[tTsS]\b))?[A-Za-zÀ-ÖØ-öø-ÿĀ-ž][A-Za-zÀ-ÖØ-öø-ÿĀ-ž'’\-]*"  # "'t" as in "van 't Hof"
_PARTICLES = {"de", "van", "der", "den", "von", "di", "da", "dos", "das", "do", "del", "della", "la", "le", "mac",
              "mc", "ter", "ten", "te", "zu", "du", "st", "st.", "o'", "el", "al", "ben", "bin", "abu", "ibn",
              "t", "'t", "’t", "het"}  # "van 't Hof", "van t Hof", "van het Hof"
_CUE_RE = re.compile(r"(?<![\w])(?P<kind>" + SURNAME_CUES + r")" + _SEP + r"(?=\S)|(?<![\w])(?P<full>"
                     + FULL_CUES + r")" + _SEP + r"(?=\S)")
_SIGNOFF_RE = re.compile(r"(?<![\w])(?:" + SIGNOFF_CUES + r")\s*[,.:\-]?\s*(?=\S)")
_BARE_RE = re.compile(r"(?<![\w])(?:" + BARE_CUES + r")\s+(?=\S)")
_NAME_FIRST_RE = re.compile(
    r"^\W*((?:(?:de|van|der|den|von|da|di|del|dos|el|al)\s+)*[^\W\d]+(?:-[^\W\d]+)?)\s+(?:is|er|ar|est|ist|es|e|to)\s+"
    r"(?:my|mijn|mon|mein|meine|mi|il\s+mio|o\s+meu|moje|mitt|mit)\s+(?:" + SURNAME_CUES + r"|name|naam|nom|nome)"
)
_UPPER_WORD = r"[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž'’\-]+"
_INTRO_RE = re.compile(
    r"(?<!\w)(?i:this\s+is|here\s+is|it'?s|hier\s+is|met|ici|c'est|hier\s+ist|ich\s+bin|je\s+suis|soy|sono|"
    r"jestem|jag\s+ar|jag\s+är|aqui\s+(?:e|é)|sou|qui\s+(?:e|è))\s+(?P<first>" + _UPPER_WORD + r")\s+"
    r"(?P<last>(?:(?:van|de|der|den|von|da|di|del|dos|du|le|la|ter|ten)\s+)*" + _UPPER_WORD + r")"
    r"(?!\s*" + _UPPER_WORD + ")"
)
_CODE_WORD_RE = re.compile(BOOKING_CUES + "|" + FLIGHT_CUES)
# words that are never names (folded), across languages
STOP = frozenset(
    "of for yes no ok okay please thanks thank you hi hello hey help stop cancel and the a an is my not sure what "
    "why how "
    "ja nee nein bitte danke dank bedankt graag hallo hoi oui non merci bonjour salut si no gracias hola grazie ciao "
    "sim nao obrigado ola tak nie dziekuje czesc nej tack hej och og und et y e i en een le la el il o a mit with "
    "from to van naar de du des von nach desde para per da do z till til fra fran for at on in op at bei am "
    "is are was be ist est es sono e jest ar er flight vlucht vol flug vuelo volo voo lot flyg booking code "
    "reference please pls svp stp asap now today tomorrow morgen demain heute hoy oggi hoje jutro idag i dag "
    "c'est it's its het ist sono soy sou jestem jag jeg i'm im "
    "sorry oops oeps pardon perdon excuse entschuldigung scusa scusi desculpe desculpa przepraszam ursakta".split()
)
# forms of address before a surname (folded): "Mr Jansen", "Frau Becker" -> the surname
TITLES = frozenset(
    "mr mrs ms miss herr frau meneer mevrouw dhr mevr monsieur madame mme mlle senor senora sr sra signor signora "
    "sig pan pani".split()
)


@lru_cache(maxsize=1)
def plain_words() -> frozenset[str]:
    """Words people write in our languages (folded; from intents/*.yml without the annotated names and codes): a
    lower-case word that is one of them is no surname ("naam wijzigen", "Name ist falsch")."""
    try:
        from bot.nlu.language import load_vocabularies
        from bot.settings import SUPPORTED_LANGUAGES, default_content_dir

        vocab = load_vocabularies(str(default_content_dir()), SUPPORTED_LANGUAGES)
    except Exception:
        return frozenset()
    return frozenset().union(*vocab.values()) if vocab else frozenset()


# words that end a name that came right after the booking code ("X7K2PQ jansen to saturday", "... jansen for friday")
_FOLLOWERS = frozenset("to for on please pls naar voor op graag pour au sur nach auf für bitte para a al per "
                       "na på til".split())


def _plain(word: str) -> bool:
    low = fold(word)
    return low in STOP or low in plain_words()


def _take_name(text: str, start: int, *, full: bool) -> tuple[int, int] | None:
    title = re.match(r"([^\W\d_]+)\.?\s+(?=\S)", text[start:])
    if title and fold(title.group(1)) in TITLES:
        start += title.end()  # "my name is Mr. Jansen"
    m = re.match(r"(" + _NAME_TOKEN + r")((?:\s+" + _NAME_TOKEN + r"){0,3})", text[start:])
    if not m:
        return None
    tokens = [(start + t.start(), start + t.end(), t.group(0)) for t in re.finditer(_NAME_TOKEN, m.group(0))]
    # stop at the first word that cannot be part of a name (lower-case non-particle, or a stop word)
    kept = []
    for i, (s, e, tok) in enumerate(tokens):
        low = fold(tok)
        if tok[:1].isupper() or (low in _PARTICLES and i + 1 < len(tokens)):
            if low in STOP and low not in _PARTICLES:
                break
            kept.append((s, e, tok))
            continue
        if all(fold(k[2]) in _PARTICLES for k in kept) and low not in _PARTICLES and not _plain(tok):
            kept.append((s, e, tok))  # "my name is jansen", "naam van dijk": all lower case
        break
    while kept and fold(kept[-1][2]) in _PARTICLES:
        kept.pop()
    if not kept:
        return None
    if full and len(kept) >= 2 and fold(kept[0][2]) not in _PARTICLES:
        # "Jan de Vries" -> "de Vries"; "Peter Jansen" -> "Jansen"
        first_after = 1
        kept = kept[first_after:]
    return kept[0][0], kept[-1][1]


def _corrected_name(text: str, free_words: list[re.Match[str]], known: Iterable[str]) -> Entity | None:
    """The name in a short answer that says something else too, when the bot asked for the name: "perdón, es
    Jansen", "sorry, it's de Vries", "oops my bad: Jansen". The words group into runs split by punctuation or stop
    words; when there are several runs, the last run of capitalised words that are no ordinary word is the name."""
    known = known if isinstance(known, set | frozenset) else set(known)
    runs: list[list[re.Match[str]]] = []
    prev: re.Match[str] | None = None
    skipped = False
    for w in free_words:
        low = fold(w.group(0))
        if (low in STOP and low not in _PARTICLES) or low in TITLES:
            prev, skipped = None, True
            continue
        if prev is not None and runs and text[prev.end():w.start()].strip() == "":
            runs[-1].append(w)
        else:
            runs.append([w])
        prev = w
    if len(runs) < 2 and not skipped:
        return None

    def is_name(run: list[re.Match[str]]) -> bool:
        toks = [w.group(0) for w in run]
        core = [t for t in toks if fold(t) not in _PARTICLES]
        return bool(core) and fold(toks[-1]) not in _PARTICLES and all(
            t[:1].isupper() and fold(t) not in known and fold(t) not in plain_words() for t in core)

    names = [r for r in runs if is_name(r)]
    if not names or (not skipped and len(names) == len(runs)):
        return None  # "Becker, Jonas": only names, no filler around them
    s, e = names[-1][0].start(), names[-1][-1].end()
    return Entity("last_name", " ".join(text[s:e].split()), s, e, text[s:e])


def find_last_names(text: str, language: str = "en", context: dict[str, Any] | None = None,
                    *, known_words: Iterable[str] = (), taken: list[tuple[int, int]] | None = None,
                    refs: list[tuple[int, int]] | None = None) -> list[Entity]:
    ctx = context or {}
    folded = fold(text)
    known = known_words if isinstance(known_words, set | frozenset) else set(known_words)
    taken = taken or []
    out: list[Entity] = []
    for m in _CUE_RE.finditer(folded):
        span = _take_name(text, m.end(), full=m.group("full") is not None)
        if span and not any(span[0] < b and a < span[1] for a, b in taken):
            value = " ".join(text[span[0]:span[1]].split())
            if fold(value) in STOP:
                continue
            out.append(Entity("last_name", value, span[0], span[1], text[span[0]:span[1]]))
            return out
    # "naam Bakker", "Name Müller": a bare cue word and a capitalised word
    for m in _BARE_RE.finditer(folded):
        nxt = re.match(r"(?:(?:de|van|der|den|von|da|di|del|dos|el|al)\s+)*(" + _NAME_TOKEN + r")", text[m.end():])
        # "naam Bakker"; in lower case only a word that is no ordinary word ("naam macdonald", not "naam wijzigen")
        if not nxt or not (nxt.group(1)[:1].isupper() or (len(nxt.group(1)) >= 2 and not _plain(nxt.group(1)))):
            continue
        span = _take_name(text, m.end(), full=False)
        if span and not any(span[0] < b and a < span[1] for a, b in taken):
            value = " ".join(text[span[0]:span[1]].split())
            if fold(value) not in STOP:
                return [Entity("last_name", value, span[0], span[1], text[span[0]:span[1]])]
    # a signature at the end: "Kind regards, Kowalski", "Met vriendelijke groet, de Boer"
    for m in _SIGNOFF_RE.finditer(folded):
        span = _take_name(text, m.end(), full=True)
        if span and not text[span[1]:].strip(" .!\n") and not any(span[0] < b and a < span[1] for a, b in taken):
            value = " ".join(text[span[0]:span[1]].split())
            if fold(value) not in STOP and (value[:1].isupper() or fold(value.split()[0]) in _PARTICLES):
                return [Entity("last_name", value, span[0], span[1], text[span[0]:span[1]])]
    refs = refs or []

    def noun(word: str) -> bool:  # German capitalises nouns: a known word is no name there
        return language == "de" and fold(word) in known

    # right after a booking reference: "x7k2pq de Vries", "booking a9qrzd Nowak cancel please"; in lower case only
    # at the end of the message ("... x7k2pq jansen", "XMXPCR, de vries, thanks") or of its clause when no word of
    # it is an ordinary word ("booking yyzbbb meyer, i have a connection", "LET2YC mulder. what does it cost?")
    for _a, b in refs:
        start = b + (len(text[b:]) - len(text[b:].lstrip(" ,")))
        span = _take_name(text, start, full=False) if start < len(text) else None
        if span and span[0] == start and (
                text[span[0]:span[1]].split()[-1][:1].isupper()
                or all(fold(w) in STOP for w in re.findall(r"\w+", text[span[1]:]))
                or ((re.match(r"\s*[,.;:!?]", text[span[1]:])
                     or fold(next(iter(re.findall(r"\w+", text[span[1]:])), "")) in _FOLLOWERS) and all(
                    fold(w) in _PARTICLES or (not _plain(w) and fold(w) not in known and len(w) >= 3)
                    for w in text[span[0]:span[1]].split()))):
            value = " ".join(text[span[0]:span[1]].split())
            if fold(value) not in STOP and not noun(value) and not any(
                fold(w) in STOP and fold(w) not in _PARTICLES for w in value.split()
            ):
                return [Entity("last_name", value, span[0], span[1], text[span[0]:span[1]])]
    # right before a booking reference: "Lauridsen, RT5Y6U"
    for a, _b in refs:
        if a == 0:
            continue
        mm = re.search(r"(" + _NAME_TOKEN + r")[ ,]+$", text[:a])
        if (mm and mm.group(1)[:1].isupper() and len(mm.group(1)) >= 3 and fold(mm.group(1)) not in STOP
                and not _CODE_WORD_RE.fullmatch(fold(mm.group(1))) and not noun(mm.group(1))):
            before = text[:mm.start(1)].rstrip()
            if not before or before[-1] in ".,!?:;":
                return [Entity("last_name", mm.group(1), mm.start(1), mm.end(1), mm.group(1))]
    # "Hi, this is Sarah Kelly": an introduction with a first name and a surname (both capitalised, no ordinary words)
    for m in _INTRO_RE.finditer(text):
        first, last = m.group("first"), m.group("last")
        core = [w for w in last.split() if fold(w) not in _PARTICLES]  # the first name may be a word ("Anna")
        if (fold(first) not in STOP and not first.isupper()
                and all(not w.isupper() and not _plain(w) and fold(w) not in known and not noun(w) for w in core)
                and not any(m.start("last") < b and a < m.end("last") for a, b in taken)):
            return [Entity("last_name", last, m.start("last"), m.end("last"), last)]
    # "Claes is mijn achternaam", "Jansen is my surname"
    first = _NAME_FIRST_RE.match(folded)
    if first and text[first.start(1):first.start(1) + 1].isupper():
        value = text[first.start(1):first.end(1)]
        if fold(value) not in STOP:
            return [Entity("last_name", value, first.start(1), first.end(1), value)]
    words = list(re.finditer(_NAME_TOKEN, text))
    free_words = [w for w in words if not any(w.start() < b and a < w.end() for a, b in taken)]
    if ctx.get("expecting") == "last_name" and 2 <= len(free_words) <= 7:
        corrected = _corrected_name(text, free_words, known)
        if corrected is not None:
            return [corrected]
    if ctx.get("expecting") in ("last_name", "booking_reference") and 1 <= len(free_words) <= 3 and len(words) <= 5:
        # the whole short answer is the name ("Jansen", "de Vries", "ABC123 Jansen" when asked for both)
        toks = [w for w in free_words if fold(w.group(0)) not in STOP or fold(w.group(0)) in _PARTICLES]
        if toks and all(fold(t.group(0)) not in known or t.group(0)[:1].isupper() or fold(t.group(0)) in _PARTICLES
                        for t in toks):
            if ctx.get("expecting") == "booking_reference" and not taken:
                return out
            s, e = toks[0].start(), toks[-1].end()
            value = " ".join(text[s:e].split())
            if fold(value) not in STOP and not all(fold(t.group(0)) in _PARTICLES for t in toks):
                out.append(Entity("last_name", value, s, e, text[s:e]))
                return out
    if refs and len(free_words) == 1 and len(words) <= 3:
        # "ABC123 Jansen": a code and one capitalised word that is not a known word
        w = free_words[0]
        tok = w.group(0)
        if tok[:1].isupper() and fold(tok) not in STOP and fold(tok) not in known and len(tok) >= 2 and not noun(tok):
            out.append(Entity("last_name", tok, w.start(), w.end(), tok))
    return out
