"""Airports: IATA codes and city/airport names in ten languages -> IATA code, with origin/destination roles."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.nlu.base import Entity
from bot.nlu.text import fold

# the demo network's cities in every supported language (plus local and common spellings, Polish case forms)
DEMO_AIRPORTS: dict[str, str] = {
    "AMS": "Amsterdam|Ámsterdam|Amesterdão|Amsterdã|Amsterdamu|Amsterdamie|Schiphol|Amsterdam Schiphol",
    "LHR": "London|Londen|Londres|Londra|Londyn|Londynu|Londynie|Heathrow|London Heathrow",
    "MAN": "Manchester|Manchesteru|Manchesterze",
    "EDI": "Edinburgh|Edimbourg|Edimburgo|Edynburg|Edynburga|Edynburgu|Edinburg",
    "DUB": "Dublin|Dublino|Dublín|Dublim|Dublina|Dublinie",
    "CDG": "Paris|Parijs|París|Parigi|Paryż|Paryża|Paryżu|Charles de Gaulle|Roissy|Paris CDG",
    "NCE": "Nice|Nizza|Niza|Nicea|Nicei|Nicée",
    "FRA": "Frankfurt|Francfort|Fráncfort|Francoforte|Frankfurtu|Frankfurcie|Frankfurt am Main",
    "MUC": "Munich|München|Muenchen|Munchen|Múnich|Monaco di Baviera|Munique|Monachium|Munchen",
    "BER": "Berlin|Berlijn|Berlín|Berlino|Berlim|Berlina|Berlinie",
    "ZRH": "Zurich|Zürich|Zurigo|Zúrich|Zurique|Zurych|Zurychu|Zuerich",
    "VIE": "Vienna|Wenen|Vienne|Wien|Viena|Wiedeń|Wiednia|Wiedniu",
    "BRU": "Brussels|Brussel|Bruxelles|Brüssel|Bruselas|Bruxelas|Bruksela|Brukseli|Bryssel|Zaventem",
    "MAD": "Madrid|Madryt|Madrytu|Madrycie|Barajas",
    "BCN": "Barcelona|Barcelone|Barcellona|Barcelony|Barcelonie",
    "LIS": "Lisbon|Lissabon|Lisbonne|Lisboa|Lisbona|Lizbona|Lizbony|Lizbonie",
    "OPO": "Porto|Oporto",
    "FCO": "Rome|Rom|Roma|Rzym|Rzymu|Rzymie|Fiumicino",
    "MXP": "Milan|Milaan|Milano|Mailand|Milán|Milão|Mediolan|Mediolanu|Mediolanie|Malpensa",
    "ATH": "Athens|Athene|Athènes|Athen|Atenas|Atene|Ateny|Aten|Atenach",
    "CPH": "Copenhagen|Kopenhagen|Copenhague|Copenaghen|Kopenhaga|Kopenhagi|Kopenhadze|Köpenhamn|København|Kastrup",
    "ARN": "Stockholm|Estocolmo|Stoccolma|Sztokholm|Sztokholmu|Sztokholmie|Estocolmo|Arlanda",
    "OSL": "Oslo|Gardermoen",
    "WAW": "Warsaw|Warschau|Varsovie|Varsovia|Varsavia|Varsóvia|Warszawa|Warszawy|Warszawie|Warszawę",
    "KRK": "Krakow|Kraków|Cracow|Krakau|Cracovie|Cracovia|Cracóvia|Krakowa|Krakowie",
    "PRG": "Prague|Praag|Prag|Praga|Pragi|Pradze",
    "JFK": "New York|NYC|Nueva York|Nova Iorque|Nova York|Nowy Jork|Nowego Jorku|Nowym Jorku|New York JFK",
    "ATL": "Atlanta|Atlanty|Atlancie",
    "LAX": "Los Angeles",
    "YYZ": "Toronto",
    "GRU": "Sao Paulo|São Paulo|Sao Paolo|San Paolo|São Paulo Guarulhos|Guarulhos",
    "DXB": "Dubai|Dubaï|Dubái|Dubaj|Dubaju|Dubaju",
    "SIN": "Singapore|Singapour|Singapur|Singapura|Singapuru",
    "NRT": "Tokyo|Tokio|Tóquio|Narita",
    "JNB": "Johannesburg|Johannesburgo|Johannesburga|Joburg",
}
DEMO_CODES = frozenset(DEMO_AIRPORTS)
# names that are ordinary words somewhere: only when capitalised (and not first word) or after from/to
AMBIGUOUS_NAMES = frozenset({"nice", "rom", "porto", "aten", "sin", "praga", "roma", "rome", "paris", "wien", "lax"})
# names that are also a common word in lower case ("qu'il vienne" = that he comes): only capitalised or after from/to
LOWERCASE_WORDS = frozenset({"vienne"})
# city names in airportsdata that are mostly something else in a passenger's message (airlines, words)
NOT_CITIES = frozenset(fold(w) for w in (
    "Delta United American Southwest Virgin Jet Air Alaska Spirit Frontier Allegiant Emirates Iberia Ryanair "
    "Lufthansa Transavia Easyjet Vueling Norwegian Finnair Swiss Austrian Brussels Eurowings Condor Aurora "
    "Victoria Mary Grace Hope Faith Sale Split Nice Best Mobile Orange Eagle Hilton Marriott Manchester".split()
))
# upper-case three-letter words that are not airport codes in a message
NOT_CODES = frozenset(
    "THE AND FOR YOU WTF OMG LOL USA CEO ETA FAQ PNR NOT ANY ALL BUT ARE WHY HOW NOW OUT OFF ONE TWO DAY YES HEY AIR "
    "BAG FLY GET BAD MAD MAN SIN FYI CAN WAS HAS HAD HIS HER OUR WHO DID GOT YET TOO BIG NEW OLD WAY SEE RUN LET PUT "
    "SAY SHE HIM ITS OWN USE TRY ASK BUY PAY FEE TAX VAT SMS APP WEB NYC EUR USD GBP DKK SEK PLN CHF AUD CAD TSA DOT "
    "FAA ATC ETD ATD STD STA GMT UTC CET CEST EST PST DMS OTP NOS HAHA LMAO SMH RIP WOW YAY BTW IMO OFC DUE SET MAX "
    "MIN ERR SOS VIP KLM API URL PDF ID NON OUI SIM NEE UND DER DIE DAS MIT VON ICH WIR SIE EIN UNE LES DES UNA LOS "
    "PIR LAS DEL CON POR QUE MAS NIE TAK ELL".split()
)

ORIGIN_CUES = {
    "en": "from|out of|leaving|departing|stuck in|stuck at|stranded in|stranded at",
    "nl": "van|vanuit|vanaf|uit|vast in|vast op|gestrand in|gestrand op",
    "fr": "de|d'|depuis|du|au depart de|bloque a|coince a",
    "de": "von|ab|aus|fest in|gestrandet in",
    "es": "de|desde|del|atrapado en|atrapada en",
    "it": "da|dal|dalla|dallo|bloccato a|bloccata a",
    "pt": "de|desde|do|da|preso em|presa em|saindo de",
    "pl": "z|ze|od",
    "sv": "fran|fast i|strandsatt i",
    "da": "fra|strandet i",
}
DEST_CUES = {
    "en": "to|into|towards|for|heading to|going to|fly to",
    "nl": "naar|richting",
    "fr": "a|au|aux|vers|pour",
    "de": "nach|in richtung|fur|bis|bis nach",
    "es": "a|al|hacia|para",
    "it": "a|per|verso",
    "pt": "para|pra|a|para o|para a|pra o|pro|pra|ao|a o|chegar a|chegar em|ir para",
    "pl": "do",
    "sv": "till|mot",
    "da": "til|mod",
}


def _cue_re(words: str) -> re.Pattern[str]:
    alts = sorted({re.escape(fold(w)) for w in words.split("|")}, key=len, reverse=True)
    return re.compile(r"(?:^|\W)(?:" + "|".join(alts) + r")\s*$")


# "in X": where the passenger needs to be ("I must be in Milan tomorrow") unless they say they are there now
IN_CUES = {"en": "in|at", "nl": "in|op", "fr": "a|en", "de": "in", "es": "en", "it": "a|in", "pt": "em|no|na",
           "pl": "w|we", "sv": "i|pa", "da": "i|pa"}
BEING_THERE = (r"(?:i'?m|i\s+am|we'?re|we\s+are|ik\s+ben|ik\s+zit|we\s+zijn|we\s+zitten|je\s+suis|nous\s+sommes|"
               r"ich\s+bin|wir\s+sind|estoy|estamos|sono|siamo|estou|jestem|jestesmy|jag\s+ar|vi\s+ar|jeg\s+er|"
               r"vi\s+er|still|nog|noch|todavia|ancora|ainda|wciaz|fortfarande|stadig|sitting|waiting|wachten|"
               r"here|hier|aqui|qui|tutaj|har)\s+(?:\w+\s+)?$")
INSTEAD = (r"(?:instead\s+of|rather\s+than|than|in\s+plaats\s+van|i\.p\.v\.?|ipv|au\s+lieu\s+de|plutot\s+que|"
           r"statt|anstatt|en\s+lugar\s+de|en\s+vez\s+de|invece\s+di|anziche|em\s+vez\s+de|em\s+lugar\s+de|"
           r"zamiast|istallet\s+for|i\s+stedet\s+for|i\s+stedet\s+for)\s*$")
_BEING_RE = re.compile(BEING_THERE)
_INSTEAD_RE = re.compile(INSTEAD)
_IN_RE = {lang: re.compile(r"(?:^|\W)(" + words + r")\s+$") for lang, words in IN_CUES.items()}
# cues that mean from/to in whatever language the message turns out to be (detection can be wrong)
_ANY_ORIGIN = "van|vanuit|vanaf|von|depuis|desde|dal|dalla|fran|fra|from"
_ANY_DEST = "naar|nach|vers|till|til|para|hacia|verso|richting|to"
_ORIGIN_RE = {lang: _cue_re(ORIGIN_CUES[lang] + "|" + ORIGIN_CUES["en"] + "|" + _ANY_ORIGIN) for lang in ORIGIN_CUES}
_DEST_RE = {lang: _cue_re(DEST_CUES[lang] + "|" + DEST_CUES["en"] + "|" + _ANY_DEST) for lang in DEST_CUES}
# Polish "do" means "to", Portuguese/Spanish "do/de" mean "of/from": "do" is a destination cue only in Polish
_CODE_RE = re.compile(r"(?<![\w-])[A-Z]{3}(?![\w])")
_ROUTE_RE = re.compile(r"(?<![\w])([A-Za-z]{3})(?:\s*(?:-|–|—|>|->|→|/)\s*|\s+(?:to|naar|nach|à|a|till|til|para)\s+)"
                       r"([A-Za-z]{3})(?![\w])")
# a capitalised first name (plus particle) right before: "Maria de Castro", "João da Silva"
_SURNAME_BEFORE_RE = re.compile(r"(?<![\w])[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+\s+(?:(?:de|da|do|dos|das|del|van|von|di)\s+)?$")
_CAP_RE = re.compile(r"(?<![\w])[A-ZÀ-ÖØ-Þ][\w'’\-]+(?:\s+(?:[A-ZÀ-ÖØ-Þ][\w'’\-]+|de|da|do|del|am|di|upon|on))*")


@lru_cache(maxsize=1)
def _airportsdata() -> dict:
    try:
        import airportsdata

        return airportsdata.load("IATA")
    except Exception:
        return {}


# the main airport of big cities with several (airportsdata has no size): used for names after from/to
def _major_cities() -> dict[str, str]:
    raw = (
        "Chicago=ORD|Washington=IAD|Houston=IAH|Dallas=DFW|Miami=MIA|Boston=BOS|Detroit=DTW|Denver=DEN|Orlando=MCO|"
        "Philadelphia=PHL|Seattle=SEA|Phoenix=PHX|Minneapolis=MSP|Tampa=TPA|Honolulu=HNL|Vancouver=YVR|Calgary=YYC|"
        "Montreal=YUL|Montréal=YUL|Nashville=BNA|Austin=AUS|Portland=PDX|Charlotte=CLT|Baltimore=BWI|Newark=EWR|"
        "Moscow=SVO|Istanbul=IST|Seoul=ICN|Osaka=KIX|Beijing=PEK|Shanghai=PVG|Bangkok=BKK|Jakarta=CGK|Doha=DOH|"
        "Delhi=DEL|Mumbai=BOM|Cairo=CAI|Nairobi=NBO|Lagos=LOS|Sydney=SYD|Melbourne=MEL|Bogota=BOG|Bogotá=BOG|"
        "Lima=LIM|Santiago=SCL|Havana=HAV|Taipei=TPE|Manila=MNL|Venice=VCE|Venetië=VCE|Venise=VCE|Venedig=VCE|"
        "Venecia=VCE|Venezia=VCE|Veneza=VCE|Wenecja=VCE|Naples=NAP|Napels=NAP|Neapel=NAP|Nápoles=NAP|Napoli=NAP|"
        "Florence=FLR|Florenz=FLR|Florencia=FLR|Firenze=FLR|Florença=FLR|Florencja=FLR|Geneva=GVA|Genève=GVA|"
        "Genf=GVA|Ginebra=GVA|Ginevra=GVA|Genebra=GVA|Genewa=GVA|Hamburg=HAM|Hamburgo=HAM|Amburgo=HAM|"
        "Düsseldorf=DUS|Dusseldorf=DUS|Stuttgart=STR|Cologne=CGN|Keulen=CGN|Köln=CGN|Lyon=LYS|Marseille=MRS|"
        "Toulouse=TLS|Bordeaux=BOD|Bologna=BLQ|Malaga=AGP|Málaga=AGP|Palma=PMI|Seville=SVQ|Sevilla=SVQ|"
        "Valencia=VLC|Bilbao=BIO|Faro=FAO|Gothenburg=GOT|Göteborg=GOT|Bergen=BGO|Helsinki=HEL|Reykjavik=KEF|"
        "Budapest=BUD|Bucharest=OTP|Boekarest=OTP|Bukarest=OTP|Sofia=SOF|Belgrade=BEG|Zagreb=ZAG|Riga=RIX|"
        "Vilnius=VNO|Tallinn=TLL|Kyiv=KBP|Kiev=KBP|Split=SPU|Glasgow=GLA|Birmingham=BHX|Bristol=BRS|Belfast=BFS|"
        "Cork=ORK|Luxembourg=LUX|Luxemburg=LUX|Eindhoven=EIN|Rotterdam=RTM|Basel=BSL|Gdansk=GDN|Gdańsk=GDN|"
        "Wroclaw=WRO|Wrocław=WRO|Poznan=POZ|Poznań=POZ|Katowice=KTW|Billund=BLL|Aalborg=AAL|Malmö=MMX|Malmo=MMX|"
        "Abu Dhabi=AUH|Hong Kong=HKG|Kuala Lumpur=KUL|Cape Town=CPT|Kaapstad=CPT|Mexico City=MEX|"
        "Rio de Janeiro=GIG|Buenos Aires=EZE|Tel Aviv=TLV|San Francisco=SFO|Las Vegas=LAS|San Diego=SAN|"
        "Salt Lake City=SLC|New Orleans=MSY|Fort Lauderdale=FLL"
    )
    return {fold(name): code for name, code in (pair.split("=") for pair in raw.split("|"))}


@lru_cache(maxsize=1)
def _city_table() -> dict[str, str]:
    """folded city name -> IATA for airports outside the demo network (the city's international airport)."""
    table: dict[str, tuple[int, str]] = {}
    for code, a in _airportsdata().items():
        city = (a.get("city") or "").strip()
        if len(city) < 4:
            continue
        name = (a.get("name") or "").lower()
        score = 2 if "international" in name else (1 if "airport" in name else 0)
        key = fold(city)
        prev = table.get(key)
        if prev is None or score > prev[0]:
            table[key] = (score, code)
    out = {k: v for k, (_, v) in table.items()}
    out.update(_major_cities())
    return out


def _build_names(extra: dict[str, str] | None) -> dict[str, str]:
    names: dict[str, str] = {}
    for code, spelled in DEMO_AIRPORTS.items():
        for n in spelled.split("|"):
            names[fold(n)] = code
    for surface, code in (extra or {}).items():
        known = isinstance(code, str) and (code in DEMO_CODES or code in _airportsdata())
        if known and re.fullmatch(r"[A-Z]{3}", code):
            names.setdefault(fold(surface), code)
    return names


class AirportExtractor:
    def __init__(self, synonyms: dict[str, str] | None = None) -> None:
        self.names = _build_names(synonyms)
        alt = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
        self._names_re = re.compile(r"(?<![\w])(?:" + alt + r")(?![\w])")
        self.iata = _airportsdata()
        self.cities = _city_table()  # built now, not on the first message that needs it

    def _role(self, folded: str, start: int, language: str) -> str | None:
        before = folded[max(0, start - 24):start]
        dest = _DEST_RE.get(language, _DEST_RE["en"])
        origin = _ORIGIN_RE.get(language, _ORIGIN_RE["en"])
        if dest.search(before):
            return "destination"
        if origin.search(before):
            return "origin"
        return None

    def find(self, text: str, language: str = "en") -> list[Entity]:
        folded = fold(text)
        found: list[tuple[int, int, str, bool]] = []  # start, end, code, had_cue
        taken: list[tuple[int, int]] = []
        letters_total = sum(1 for c in text if c.isalpha())
        lower_total = sum(1 for c in text if c.islower())
        mostly_lower = letters_total > 0 and lower_total >= 0.5 * letters_total

        def free(s: int, e: int) -> bool:
            return not any(s < b and a < e for a, b in taken)

        # routes "AMS-JFK", "ams to jfk"
        for m in _ROUTE_RE.finditer(text):
            a, b = m.group(1).upper(), m.group(2).upper()
            known = all(x in DEMO_CODES or (x in self.iata and x not in NOT_CODES) for x in (a, b))
            if known and (m.group(1).isupper() or (a in DEMO_CODES and b in DEMO_CODES)):
                found.append((m.start(1), m.end(1), a, True))
                found.append((m.start(2), m.end(2), b, True))
                taken += [(m.start(1), m.end(1)), (m.start(2), m.end(2))]
        for m in _CODE_RE.finditer(text):
            code = m.group(0)
            if not free(m.start(), m.end()):
                continue
            role = self._role(folded, m.start(), language)
            if code in NOT_CODES and not role:
                continue
            if code in DEMO_CODES and (mostly_lower or role):
                found.append((m.start(), m.end(), code, role is not None))
            elif code in self.iata and role and code not in NOT_CODES:
                found.append((m.start(), m.end(), code, True))
            else:
                continue
            taken.append((m.start(), m.end()))
        for m in self._names_re.finditer(folded):
            if not free(m.start(), m.end()) or (m.start() > 0 and text[m.start() - 1] in "@#"):
                continue  # "@Schiphol", "#schiphol": an account or a topic, not where the passenger flies
            name = m.group(0)
            surface = text[m.start():m.end()]
            if name in LOWERCASE_WORDS and not surface[:1].isupper() and not self._role(folded, m.start(), language):
                continue
            if name in AMBIGUOUS_NAMES or len(name) <= 3:
                role = self._role(folded, m.start(), language)
                capital = surface[:1].isupper() and not surface.isupper()
                at_start = not text[:m.start()].strip() or re.search(r"[.!?]\s*$", text[:m.start()])
                if not capital or (at_start and not role):
                    continue
            found.append((m.start(), m.end(), self.names[name], False))
            taken.append((m.start(), m.end()))
        # other cities of the world: capitalised words right after from/to
        for m in _CAP_RE.finditer(text):
            words = m.group(0).split()
            for n in range(min(3, len(words)), 0, -1):
                cand = " ".join(words[:n])
                s, e = m.start(), m.start() + len(cand)
                if not free(s, e):
                    break
                city_code = self.cities.get(fold(cand))
                if city_code and _SURNAME_BEFORE_RE.search(text[max(0, s - 40):s]):
                    break  # "Maria de Castro", "soy Ana Castro": a surname, not a town
                if city_code and fold(cand) not in NOT_CITIES and self._role(folded, s, language):
                    found.append((s, e, city_code, True))
                    taken.append((s, e))
                    break
        found.sort()
        out: list[Entity] = []
        roles: list[str | None] = [self._role(folded, s, language) for s, _, _, _ in found]
        for i, (s, _, _, _) in enumerate(found):
            before = folded[max(0, s - 40):s]
            if _INSTEAD_RE.search(before):
                # "to Brussels instead of Paris": the replaced airport plays the same part as the new one
                roles[i] = roles[i - 1] if i > 0 else None
            elif roles[i] is None:
                m_in = _IN_RE.get(language, _IN_RE["en"]).search(before) or _IN_RE["en"].search(before)
                if m_in:
                    being = _BEING_RE.search(before[: m_in.start(1)])
                    roles[i] = "origin" if being else ("destination" if "destination" not in roles else None)
        # "Paris to London": the airport before a destination is the origin (and vice versa)
        for i, r in enumerate(roles):
            if r is None and len(found) >= 2:
                if i + 1 < len(found) and roles[i + 1] == "destination":
                    roles[i] = "origin"
                elif i > 0 and roles[i - 1] == "origin":
                    roles[i] = "destination"
        route_pairs = [(found[i], found[i + 1]) for i in range(len(found) - 1)
                       if re.fullmatch(r"\s*(?:-|–|—|>|->|→|/)\s*", text[found[i][1]:found[i + 1][0]])]
        for a, b in route_pairs:
            ia, ib = found.index(a), found.index(b)
            roles[ia] = roles[ia] or "origin"
            roles[ib] = roles[ib] or "destination"
        for (s, e, code, _), role in zip(found, roles, strict=True):
            out.append(Entity("airport", code, s, e, text[s:e], role=role))
        return out
