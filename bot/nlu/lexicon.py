"""Small per-language word lists (folded: lower case, no accents): anger and profanity."""

from __future__ import annotations

import re

from bot.nlu.text import fold

ANGRY_WORDS = {
    "en": "fuck fucking fucked fuckin f*ck f**k shit shitty bullshit damn dammit crap wtf worst terrible horrible "
          "ridiculous unacceptable disgusting disgrace disgraceful pathetic furious angry livid useless incompetent "
          "awful scam hate sucks suck joke outrageous shameful shame appalling idiots idiot clowns nightmare rubbish",
    "nl": "kut klote kolere godverdomme verdomme schandalig schande belachelijk waardeloos boos woedend slechtste "
          "tering kanker onacceptabel pathetisch bagger zooi schijt lul idioten oplichters wanprestatie",
    "fr": "merde putain bordel honteux honte inadmissible scandaleux scandale nul nuls inacceptable furieux furieuse "
          "lamentable ridicule pire connerie conneries enerve enervee degueulasse foutage arnaque incompetents",
    "de": "scheisse scheiss verdammt unverschamt frechheit katastrophe katastrophal lacherlich inakzeptabel wutend "
          "sauer schlechteste mist skandal skandalos unmoglich zumutung abzocke idioten saftladen",
    "es": "mierda joder verguenza inaceptable ridiculo pesimo pesima peor indignante furioso furiosa cabreado cabreada "
          "puta vergonzoso vergonzosa estafa hartos harto harta incompetentes asco",
    "it": "merda cazzo vergogna vergognoso inaccettabile ridicolo pessimo pessima peggiore schifo incazzato incazzata "
          "furioso furiosa vaffanculo truffa incompetenti assurdo scandaloso",
    "pt": "merda porra vergonha inaceitavel ridiculo pessimo pessima pior absurdo palhacada furioso furiosa caralho "
          "revoltado revoltada vergonhoso golpe incompetentes",
    "pl": "kurwa kurwy cholera skandal zenada beznadziejny beznadziejne najgorsze najgorszy wkurzony wkurzona "
          "oszustwo oszusci hanba chujowy chujowe kurde skandaliczne nieakceptowalne",
    "sv": "fan javla skit skandal skandalost oacceptabelt lojligt samsta arg forbannad helvete uselt bedrovligt",
    "da": "fanden fandens lort pis skandale skandalost uacceptabelt latterligt varste vred sur helvede elendig "
          "pokkers elendigt",
    # folded: й -> и, ё -> е; ı/ş/ğ/ç/ö/ü -> i/s/g/c/o/u
    "ru": "ужас ужасно ужасныи ужасная позор позорище безобразие отвратительно отвратительныи бардак кошмар "
          "издевательство бесит бесите достали задолбали худшии худшая идиоты ненавижу мошенники обман хамство",
    "tr": "rezalet berbat skandal utanc ayip kabus biktim biktik sacma igrenc dolandirici dolandiricilar "
          "kepazelik yeter rezil",
}
# Japanese and Chinese are written without spaces: these are found anywhere in the (folded) text
ANGRY_CJK = tuple(fold(w) for w in (
    "最悪", "ふざけるな", "ふざけんな", "ありえない", "恥を知れ", "腹立", "ムカつく", "いい加減にして",
    "垃圾", "太差", "最差", "离谱", "丢人", "气死", "坑人", "骗子", "太过分"))
PROFANITY_CJK = ("クソ", "くそ", "他妈", "妈的", "操你", "傻逼")
_ALL_ANGRY = frozenset(w for ws in ANGRY_WORDS.values() for w in ws.split())
_WORD_RE = re.compile(r"[\w*]+")


PROFANITY = frozenset(
    "fuck fucking fucked fuckin f*ck f**k shit shitty bullshit wtf kut klote kolere godverdomme tering kanker "
    "merde putain bordel scheisse scheiss verdammt mierda joder puta cazzo vaffanculo merda porra caralho kurwa "
    "kurwy chujowy chujowe javla helvete fanden fandens lort pis helvede "
    "бля блять блядь сука пиздец херня охренели нахрен amk siktir".split()
)
_ANGRY_EMOJI = ("😡", "🤬", "😠", "😤", "🖕")


def is_angry(text: str) -> bool:
    """Clearly angry: profanity, or two of (anger words, SHOUTING, a volley of '!', an angry emoji).

    The dialogue hands angry passengers to a human, so one mild signal ("terrible", "!!!") is not enough.
    """
    words = _WORD_RE.findall(fold(text))
    if any(w in PROFANITY for w in words):
        return True
    signals = 0
    folded = fold(text)
    if any(w in folded for w in PROFANITY_CJK):
        return True
    if any(w in _ALL_ANGRY for w in words) or any(w in folded for w in ANGRY_CJK):
        signals += 1
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 10 and sum(1 for c in letters if c.isupper()) > 0.7 * len(letters):
        signals += 1
    if re.search(r"!\s*[!?1]\s*[!?1]|\?!\?|!\?!", text.replace("！", "!").replace("？", "?")):
        signals += 1
    if any(e in text for e in _ANGRY_EMOJI):
        signals += 1
    return signals >= 2
