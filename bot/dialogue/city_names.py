"""City names as passengers of each European language write them ("Londen", "Mailand", "Lisbonne"), where they
differ from the English one airportsdata gives. Russian, Turkish, Japanese and Chinese are in bot.nlu.entities.intl.
"""

from __future__ import annotations

# per airport: language -> name; a language that is missing uses the English name
CITY_NAMES: dict[str, dict[str, str]] = {
    "LHR": {"nl": "Londen", "fr": "Londres", "es": "Londres", "it": "Londra", "pt": "Londres", "pl": "Londyn"},
    "EDI": {"fr": "Édimbourg", "es": "Edimburgo", "it": "Edimburgo", "pt": "Edimburgo", "pl": "Edynburg"},
    "DUB": {"es": "Dublín", "it": "Dublino"},
    "CDG": {"es": "París", "it": "Parigi", "pl": "Paryż"},
    "NCE": {"de": "Nizza", "es": "Niza", "it": "Nizza", "pl": "Nicea"},
    "FRA": {"fr": "Francfort", "es": "Fráncfort", "it": "Francoforte"},
    "MUC": {"nl": "München", "de": "München", "es": "Múnich", "it": "Monaco di Baviera", "pt": "Munique",
            "pl": "Monachium", "sv": "München", "da": "München"},
    "BER": {"es": "Berlín", "it": "Berlino", "pt": "Berlim"},
    "ZRH": {"nl": "Zürich", "de": "Zürich", "es": "Zúrich", "it": "Zurigo", "pt": "Zurique", "pl": "Zurych",
            "sv": "Zürich", "da": "Zürich"},
    "VIE": {"nl": "Wenen", "de": "Wien", "fr": "Vienne", "es": "Viena", "pt": "Viena", "pl": "Wiedeń", "sv": "Wien",
            "da": "Wien"},
    "BRU": {"nl": "Brussel", "de": "Brüssel", "fr": "Bruxelles", "es": "Bruselas", "it": "Bruxelles",
            "pt": "Bruxelas", "pl": "Bruksela", "sv": "Bryssel", "da": "Bruxelles"},
    "BCN": {"fr": "Barcelone"},
    "LIS": {"nl": "Lissabon", "de": "Lissabon", "fr": "Lisbonne", "es": "Lisboa", "it": "Lisbona", "pt": "Lisboa",
            "pl": "Lizbona", "sv": "Lissabon", "da": "Lissabon"},
    "OPO": {"es": "Oporto"},
    "FCO": {"de": "Rom", "es": "Roma", "it": "Roma", "pt": "Roma", "pl": "Rzym", "sv": "Rom", "da": "Rom"},
    "MXP": {"nl": "Milaan", "de": "Mailand", "es": "Milán", "it": "Milano", "pt": "Milão", "pl": "Mediolan",
            "sv": "Milano", "da": "Milano"},
    "ATH": {"nl": "Athene", "de": "Athen", "fr": "Athènes", "es": "Atenas", "it": "Atene", "pt": "Atenas",
            "pl": "Ateny", "sv": "Aten", "da": "Athen"},
    "CPH": {"nl": "Kopenhagen", "de": "Kopenhagen", "fr": "Copenhague", "es": "Copenhague", "it": "Copenaghen",
            "pt": "Copenhaga", "pl": "Kopenhaga", "sv": "Köpenhamn", "da": "København"},
    "ARN": {"es": "Estocolmo", "it": "Stoccolma", "pt": "Estocolmo", "pl": "Sztokholm"},
    "WAW": {"nl": "Warschau", "de": "Warschau", "fr": "Varsovie", "es": "Varsovia", "it": "Varsavia",
            "pt": "Varsóvia", "pl": "Warszawa", "sv": "Warszawa", "da": "Warszawa"},
    "KRK": {"nl": "Krakau", "de": "Krakau", "fr": "Cracovie", "es": "Cracovia", "it": "Cracovia", "pt": "Cracóvia",
            "pl": "Kraków", "sv": "Kraków"},
    "PRG": {"nl": "Praag", "de": "Prag", "es": "Praga", "it": "Praga", "pt": "Praga", "pl": "Praga", "sv": "Prag",
            "da": "Prag"},
    "JFK": {"es": "Nueva York", "pt": "Nova Iorque", "pl": "Nowy Jork"},
    "GRU": {"en": "São Paulo", "nl": "São Paulo", "fr": "São Paulo", "de": "São Paulo", "es": "São Paulo",
            "it": "San Paolo", "pt": "São Paulo", "pl": "São Paulo", "sv": "São Paulo", "da": "São Paulo"},
    "DXB": {"es": "Dubái"},
    "SIN": {"de": "Singapur", "fr": "Singapour", "es": "Singapur", "pt": "Singapura", "pl": "Singapur"},
    "NRT": {"nl": "Tokio", "de": "Tokio", "es": "Tokio", "pt": "Tóquio", "pl": "Tokio"},
    "JNB": {"es": "Johannesburgo", "pt": "Joanesburgo"},
    "GVA": {"nl": "Genève", "de": "Genf", "fr": "Genève", "es": "Ginebra", "it": "Ginevra", "pt": "Genebra",
            "pl": "Genewa", "sv": "Genève", "da": "Genève"},
    "VCE": {"nl": "Venetië", "de": "Venedig", "fr": "Venise", "es": "Venecia", "it": "Venezia", "pt": "Veneza",
            "pl": "Wenecja", "sv": "Venedig", "da": "Venedig"},
    "SVO": {"nl": "Moskou", "de": "Moskau", "fr": "Moscou", "es": "Moscú", "it": "Mosca", "pt": "Moscovo",
            "pl": "Moskwa", "sv": "Moskva", "da": "Moskva"},
    "PEK": {"nl": "Peking", "de": "Peking", "fr": "Pékin", "es": "Pekín", "it": "Pechino", "pt": "Pequim",
            "pl": "Pekin", "sv": "Peking", "da": "Beijing"},
}


def european_city_name(iata: str, language: str) -> str | None:
    return CITY_NAMES.get((iata or "").upper(), {}).get(language)
