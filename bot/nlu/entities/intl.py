"""Entities in Russian, Turkish, Japanese and Chinese: dates, options, airports (city names) and last names.

These languages need rules of their own: Russian and Turkish inflect ("в Москву", "из Москвы", "Londra'dan",
"cumaya"), Japanese and Chinese have no spaces, so a word boundary is no help ("我想明天飞伦敦", "金曜日の便に").
Everything is matched on ``fold(text)`` (lower case; ё -> е, й -> и; ı/ş/ğ -> i/s/g; Traditional -> Simplified
Chinese), which keeps offsets, so spans point into the original text.

The language-independent extractors (codes, flight numbers, numeric dates, times) still run for these languages; for
Japanese and Chinese they see the text with CJK characters blanked (``bot.nlu.cjk.blank_cjk``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bot.nlu.base import Entity
from bot.nlu.cjk import CJK_CLASS
from bot.nlu.text import fold

INTL_LANGUAGES = frozenset({"ru", "tr", "ja", "zh"})


@dataclass
class IntlEntities:
    dates: list[Entity] = field(default_factory=list)
    options: list[Entity] = field(default_factory=list)
    airports: list[Entity] = field(default_factory=list)
    names: list[Entity] = field(default_factory=list)


def _f(words: str) -> str:
    """A '|'-separated list of words, folded and escaped, longest first (for a regex alternative)."""
    items = {fold(w.strip()) for w in words.split("|") if w.strip()}
    return "(?:" + "|".join(re.escape(w) for w in sorted(items, key=len, reverse=True)) + ")"


def _today(ctx: dict[str, Any]) -> dt.date:
    from bot.nlu.entities.dates import today_from_context

    return today_from_context(ctx)


def _future(today: dt.date, month: int, day: int) -> dt.date | None:
    from bot.nlu.entities.dates import _future as future

    return future(today, month, day, None)


def _weekday(today: dt.date, wd: int, mode: str) -> dt.date:
    """mode "": the coming weekday (a week ahead when it is today); "this": this week's (today counts);
    "week": that weekday of next calendar week."""
    delta = (wd - today.weekday()) % 7
    if mode == "week":
        return today + dt.timedelta(days=7 - today.weekday() + wd)
    if mode == "this":
        return today + dt.timedelta(days=delta)
    return today + dt.timedelta(days=delta or 7)


def _next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7 - today.weekday())


# ================================================================================================= dates
_RU_REL = [(r"послезавтра", 2), (r"завтрашн\w*", 1), (r"завтра", 1), (r"сегодняшн\w*", 0), (r"сегодня", 0),
           (r"вчера", -1)]
_RU_WD = [r"понедельник\w*", r"вторник\w*", r"сред[аеуы]", r"четверг\w*", r"пятниц[аеуы]", r"суббот[аеуы]",
          r"воскресень[еяю]"]
_RU_MONTHS = [r"январ[ьяе]|янв", r"феврал[ьяе]|фев", r"март[ае]?|мар", r"апрел[ьяе]|апр", r"ма[иея]",
              r"июн[ьяе]|июн", r"июл[ьяе]|июл", r"август[ае]?|авг", r"сентябр[ьяе]|сен|сент", r"октябр[ьяе]|окт",
              r"ноябр[ьяе]|ноя|нояб", r"декабр[ьяе]|дек"]
_TR_REL = [(r"yarindan sonra", 2), (r"obur gun\w*", 2), (r"yarin\w*", 1), (r"bugun\w*", 0), (r"bu aksam", 0),
           (r"bu gece", 0)]
_TR_SUFFIX = r"(?:'?(?:ya|ye|yi|yu|a|e|i|u|da|de|dan|den|ki|nin|nun))?(?:\s+gun(?:u|une|unde|ku|u)?)?"
_TR_WD = [r"pazartesi", r"sali", r"carsamba", r"persembe", r"cuma", r"cumartesi", r"pazar"]
_TR_MONTHS = [r"ocak", r"subat", r"mart", r"nisan", r"mayis", r"haziran", r"temmuz", r"agustos", r"eylul", r"ekim",
              r"kasim", r"aral[ig]"]
_JA_REL = [("明後日|あさって", 2), ("明日|あした|あす", 1), ("今日|本日|今夜|今晩|きょう|今朝", 0), ("昨日", -1)]
_ZH_REL = [("大后天", 3), ("后天", 2), ("明天|明早|明晚|明儿|明日", 1), ("今天|今晚|今早|今儿|今日", 0),
           ("昨天", -1)]
_CJK_WD = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6,
           "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_JA_WD = {"月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6}


@lru_cache(maxsize=1)
def _date_res() -> dict[str, list[tuple[re.Pattern[str], str]]]:
    """Per language: (pattern, kind) with named groups the resolver reads."""
    b, e = r"(?<![\w])", r"(?![\w])"
    out: dict[str, list[tuple[re.Pattern[str], str]]] = {}
    ru_wd = "|".join(f"(?P<wd{i}>{w})" for i, w in enumerate(_RU_WD))
    ru_months = "|".join(f"(?P<m{i + 1}>{m})" for i, m in enumerate(_RU_MONTHS))
    out["ru"] = [
        (re.compile(b + r"(?P<day>[0-3]?\d)(?:-?(?:го|е|ое))?\s*(?:" + ru_months + r")\.?" + e), "day_month"),
        (re.compile(b + r"(?:(?P<next>следующ\w*|ближаиш\w*)\s+|(?P<this>эт[уоиа]\w*)\s+)?(?:" + ru_wd + r")" + e),
         "weekday"),
        (re.compile(b + r"(?:на\s+)?(?:следующеи|будущеи)\s+неделе" + e), "next_week"),
        *[(re.compile(b + rx + e), f"rel{off}") for rx, off in _RU_REL],
    ]
    tr_wd = "|".join(f"(?P<wd{i}>{w})" for i, w in sorted(enumerate(_TR_WD), key=lambda iw: -len(iw[1])))
    tr_months = "|".join(f"(?P<m{i + 1}>{m}\\w*)" for i, m in enumerate(_TR_MONTHS))
    out["tr"] = [
        (re.compile(b + r"(?P<day>[0-3]?\d)\.?\s*(?:" + tr_months + r")" + e), "day_month"),
        (re.compile(b + r"(?:(?P<week>haftaya|gelecek\s+hafta(?:nin)?|onumuzdeki\s+hafta(?:nin)?)\s+|"
                    r"(?P<next>gelecek|onumuzdeki|sonraki)\s+|(?P<this>bu)\s+)?(?:" + tr_wd + r")" + _TR_SUFFIX + e),
         "weekday"),
        (re.compile(b + r"(?:haftaya|gelecek\s+hafta\w*|onumuzdeki\s+hafta\w*)" + e), "next_week"),
        *[(re.compile(b + rx + e), f"rel{off}") for rx, off in _TR_REL],
    ]
    ja_wd = "".join(_JA_WD)
    # "12/5" is 5 December in Japan and China (month first)
    month_day = (re.compile(r"(?<![\d/.])(?P<month>[01]?\d)\s*/\s*(?P<day>[0-3]?\d)(?![\d/])"), "cjk_month_day")
    out["ja"] = [
        month_day,
        (re.compile(r"(?<!\d)(?P<month>[01]?\d)\s*月\s*(?P<day>[0-3]?\d)\s*日"), "cjk_month_day"),
        (re.compile(r"(?:(?P<week>" + _f("来週|次週") + r")\s*の?\s*|(?P<this>" + _f("今週") + r")\s*の?\s*|"
                    r"(?P<next>" + _f("次の|今度の") + r")\s*)?(?P<jwd>[" + ja_wd + r"])\s*" + _f("曜日|曜")),
         "ja_weekday"),
        (re.compile(_f("来週|次週")), "next_week"),
        *[(re.compile(_f(words)), f"rel{off}") for words, off in _JA_REL],
    ]
    out["zh"] = [
        month_day,
        (re.compile(r"(?<!\d)(?P<month>[01]?\d)\s*月\s*(?P<day>[0-3]?\d)\s*(?:日|号)?"), "cjk_month_day"),
        (re.compile(r"(?:(?P<week>下下?个?|下一个?)|(?P<this>这个?|本|这一))?\s*(?:" + _f("星期|礼拜|周|週")
                    + r")\s*(?P<zwd>[一二三四五六日天1-7])"), "zh_weekday"),
        (re.compile(_f("下周|下週|下星期|下礼拜|下个星期|下个礼拜")), "next_week"),
        *[(re.compile(_f(words)), f"rel{off}") for words, off in _ZH_REL],
    ]
    return out


def find_dates_intl(text: str, language: str, ctx: dict[str, Any]) -> list[Entity]:
    patterns = _date_res().get(language)
    if not patterns:
        return []
    folded = fold(text)
    today = _today(ctx)
    out: list[Entity] = []

    def add(s: int, e: int, value: dt.date | None) -> None:
        if value is None or any(s < o.end and o.start < e for o in out):
            return
        out.append(Entity("date", value.isoformat(), s, e, text[s:e]))

    for rx, kind in patterns:
        for m in rx.finditer(folded):
            gd = m.groupdict()
            value: dt.date | None = None
            if kind == "day_month":
                month = next(int(k[1:]) for k, v in gd.items() if k.startswith("m") and k[1:].isdigit() and v)
                day = int(gd["day"])
                value = _future(today, month, day) if 1 <= day <= 31 else None
            elif kind == "cjk_month_day":
                month, day = int(gd["month"]), int(gd["day"])
                value = _future(today, month, day) if 1 <= month <= 12 and 1 <= day <= 31 else None
            elif kind == "weekday":
                wd = next(int(k[2:]) for k, v in gd.items() if k.startswith("wd") and v)
                if language == "tr":
                    wd = _TR_WD.index(_TR_WD[wd])
                mode = "week" if gd.get("week") else ("this" if gd.get("this") else "")
                value = _weekday(today, wd, mode)
            elif kind == "ja_weekday":
                mode = "week" if gd.get("week") else ("this" if gd.get("this") else "")
                value = _weekday(today, _JA_WD[gd["jwd"]], mode)
            elif kind == "zh_weekday":
                mode = "week" if gd.get("week") else ("this" if gd.get("this") else "")
                value = _weekday(today, _CJK_WD[gd["zwd"]], mode)
            elif kind == "next_week":
                value = _next_monday(today)
            elif kind.startswith("rel"):
                value = today + dt.timedelta(days=int(kind[3:]))
            add(m.start(), m.end(), value)
    out.sort(key=lambda x: x.start)
    return out


# ================================================================================================= options
_RU_ORD = [(r"перв(?:ыи|ая|ое|ого|ую|ои|ом)", 1), (r"втор(?:ои|ая|ое|ого|ую|ом)", 2),
           (r"трет(?:ии|ья|ье|ьего|ью|ьеи|ьем)", 3), (r"четверт(?:ыи|ая|ое|ого|ую|ои)", 4),
           (r"пят(?:ыи|ая|ое|ого|ую|ои)", 5)]
_RU_LAST = r"последн(?:ии|яя|ее|его|юю|еи)"
_TR_ORD = [(r"birinci\w*|ilk(?:i|ini)?", 1), (r"ikinci\w*", 2), (r"ucuncu\w*", 3), (r"dorduncu\w*", 4),
           (r"besinci\w*", 5)]
_TR_LAST = r"sonuncu\w*|en\s+sonuncu\w*"
_CJK_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
# words after an ordinal that make it a wish, not a choice, when nothing is on offer ("первый рейс завтра")
_FLIGHT_AFTER = {"ru": r"\s+(?:реис|самолет|вылет)", "tr": r"\s+(?:ucus|ucak|sefer)",
                 "ja": r"の?(?:便|フライト)", "zh": r"(?:班|个航班|趟)"}


# with nothing on offer, an ordinal followed by another word ("второй чемодан", "ikinci bavul") is no choice
_NOUN_AFTER = {"ru": r"\s+(?!(?:вариант\w*|опци\w*|пожалуиста|плиз|пжл\w*|подходит|давайте)(?![\w]))[^\W\d]{2,}",
               "tr": r"\s+(?!(?:secenek\w*|lutfen|olsun|alayim|aliyorum|uygun)(?![\w]))[^\W\d]{2,}"}


@lru_cache(maxsize=1)
def _option_res() -> dict[str, list[tuple[re.Pattern[str], int | None]]]:
    b, e = r"(?<![\w])", r"(?![\w])"
    cue_num = r"(?:вариант|номер|опция|№|#)\s*(?P<num>[1-9])"
    return {
        "ru": [(re.compile(b + rx + e), n) for rx, n in _RU_ORD]
        + [(re.compile(b + _RU_LAST + e), -1), (re.compile(b + cue_num + e), None)],
        "tr": [(re.compile(b + rx + e), n) for rx, n in _TR_ORD]
        + [(re.compile(b + r"(?:" + _TR_LAST + r")" + e), -1),
           (re.compile(b + r"(?:secenek\s*(?P<num>[1-9])|(?P<num2>[1-9])\s*\.?\s*(?:secenek\w*|numara\w*))" + e),
            None)],
        "ja": [(re.compile(r"(?P<n>[1-5一二三四五])\s*(?:番目|つ目|" + _f("番") + r"(?=$|[でにをのが、。!！?？\s]|"
                           + _f("お願い|がいい|の便") + r"))"), 0),
               (re.compile(_f("最初")), 1), (re.compile(_f("最後")), -1)],
        "zh": [(re.compile(_f("第") + r"\s*(?P<n>[1-5一二三四五两])\s*(?:" + _f("个|班|项|种") + r")?"), 0),
               (re.compile(_f("最后一个|最后那个|最后一班|最后那班")), -1),
               (re.compile(r"(?:" + _f("选|要") + r")\s*(?P<num>[1-9])(?!\d)|(?<!\d)(?P<num2>[1-9])\s*" + _f("号")),
                None)],
    }


def find_options_intl(text: str, language: str, ctx: dict[str, Any]) -> list[Entity]:
    patterns = _option_res().get(language)
    if not patterns:
        return []
    folded = fold(text.replace("№", "#"))  # NFKD would make "№" an "N"
    options = [o for o in (ctx.get("options") or []) if isinstance(o, dict)]
    n_options = len(options)
    expecting = ctx.get("expecting") == "option"
    on_offer = expecting or n_options > 0
    short = len(folded.split()) <= 4 if language in ("ru", "tr") else len(folded) <= 14
    out: list[Entity] = []
    for rx, n in patterns:
        for m in rx.finditer(folded):
            if any(m.start() < o.end and o.start < m.end() for o in out):
                continue
            if n is None:
                value = int(m.group("num") or m.group("num2"))
            elif n == 0:
                value = _CJK_NUM[m.group("n")]
            elif n == -1:
                if not n_options:
                    continue  # "the last one" needs options to count from
                value = n_options
            else:
                value = n
            if language == "ja" and re.match(_f("から|に|は"), folded[m.end():]) and n in (1, -1):
                continue  # "最初から" (from the start), "最後に" (finally)
            if not on_offer:
                after = re.match(_FLIGHT_AFTER[language], folded[m.end():])
                noun = language in ("ru", "tr") and re.match(_NOUN_AFTER[language], folded[m.end():])
                if after or noun or not short:
                    continue  # "первый рейс завтра", "второй чемодан": a wish or a thing, not a choice
            if n_options and not 1 <= value <= n_options:
                continue
            out.append(Entity("option", value, m.start(), m.end(), text[m.start():m.end()]))
    if not out and expecting:
        # "давайте 2", "2 lütfen", "2でお願いします": one digit in a short answer
        if language in ("ru", "tr"):
            digits = list(re.finditer(r"(?<![\w:.,])([1-9])(?![\w:.,]\d|\d)", folded))
            short_answer = len(folded.split()) <= 4
        else:
            digits = list(re.finditer(r"(?<![\d:.,/])([1-9])(?![:.,/]?\d)", folded))
            short_answer = len(folded.strip()) <= 12
        if len(digits) == 1 and short_answer:
            d = digits[0]
            value = int(d.group(1))
            if not n_options or value <= n_options:
                out.append(Entity("option", value, d.start(), d.end(), d.group(1)))
    out.sort(key=lambda x: x.start)
    return out


# ================================================================================================= airports
# the demo network (and the big cities passengers of these languages fly to): Russian | Turkish | Japanese | Chinese
_CITY_NAMES = {
    "AMS": ("Амстердам|Схипхол", "Amsterdam|Schiphol", "アムステルダム|スキポール", "阿姆斯特丹|史基浦|阿姆"),
    "LHR": ("Лондон|Хитроу", "Londra|Heathrow", "ロンドン|ヒースロー", "伦敦|希思罗"),
    "MAN": ("Манчестер", "Manchester", "マンチェスター", "曼彻斯特"),
    "EDI": ("Эдинбург", "Edinburgh", "エディンバラ", "爱丁堡"),
    "DUB": ("Дублин", "Dublin", "ダブリン", "都柏林"),
    "CDG": ("Париж", "Paris", "パリ|シャルル・ド・ゴール", "巴黎|戴高乐"),
    "NCE": ("Ницца", "Nice", "ニース", "尼斯"),
    "FRA": ("Франкфурт", "Frankfurt", "フランクフルト", "法兰克福"),
    "MUC": ("Мюнхен", "Münih|Munih", "ミュンヘン", "慕尼黑"),
    "BER": ("Берлин", "Berlin", "ベルリン", "柏林"),
    "ZRH": ("Цюрих", "Zürih|Zurih", "チューリッヒ", "苏黎世"),
    "VIE": ("Вена", "Viyana", "ウィーン", "维也纳"),
    "BRU": ("Брюссель", "Brüksel|Bruksel", "ブリュッセル", "布鲁塞尔"),
    "MAD": ("Мадрид", "Madrid", "マドリード|マドリッド", "马德里"),
    "BCN": ("Барселона", "Barselona", "バルセロナ", "巴塞罗那"),
    "LIS": ("Лиссабон", "Lizbon", "リスボン", "里斯本"),
    "OPO": ("Порту", "Porto", "ポルト", "波尔图"),
    "FCO": ("Рим", "Roma", "ローマ", "罗马"),
    "MXP": ("Милан", "Milano", "ミラノ", "米兰"),
    "ATH": ("Афины", "Atina", "アテネ", "雅典"),
    "CPH": ("Копенгаген", "Kopenhag", "コペンハーゲン", "哥本哈根"),
    "ARN": ("Стокгольм", "Stokholm", "ストックホルム", "斯德哥尔摩"),
    "OSL": ("Осло", "Oslo", "オスロ", "奥斯陆"),
    "WAW": ("Варшава", "Varşova|Varsova", "ワルシャワ", "华沙"),
    "KRK": ("Краков", "Krakov", "クラクフ", "克拉科夫"),
    "PRG": ("Прага", "Prag", "プラハ", "布拉格"),
    "JFK": ("Нью-Йорк|Нью Йорк", "New York|Nevyork", "ニューヨーク", "纽约"),
    "ATL": ("Атланта", "Atlanta", "アトランタ", "亚特兰大"),
    "LAX": ("Лос-Анджелес", "Los Angeles", "ロサンゼルス", "洛杉矶"),
    "YYZ": ("Торонто", "Toronto", "トロント", "多伦多"),
    "GRU": ("Сан-Паулу", "Sao Paulo|São Paulo", "サンパウロ", "圣保罗"),
    "DXB": ("Дубай", "Dubai", "ドバイ", "迪拜"),
    "SIN": ("Сингапур", "Singapur", "シンガポール", "新加坡"),
    "NRT": ("Токио|Нарита", "Tokyo|Tokio|Narita", "東京|成田", "东京|成田"),
    "HND": ("Ханеда", "Haneda", "羽田", "羽田"),
    "KIX": ("Осака", "Osaka", "大阪|関西空港", "大阪|关西机场"),
    "JNB": ("Йоханнесбург", "Johannesburg", "ヨハネスブルグ", "约翰内斯堡"),
    "SVO": ("Москва|Шереметьево", "Moskova", "モスクワ", "莫斯科"),
    "LED": ("Санкт-Петербург|Петербург|Питер", "St. Petersburg|Sankt Peterburg", "サンクトペテルブルク", "圣彼得堡"),
    "IST": ("Стамбул", "İstanbul|Istanbul", "イスタンブール", "伊斯坦布尔"),
    "SAW": ("Сабиха Гекчен", "Sabiha Gökçen|Sabiha Gokcen", "サビハ・ギョクチェン", "萨比哈格克琴"),
    "ESB": ("Анкара", "Ankara", "アンカラ", "安卡拉"),
    "AYT": ("Анталья|Анталия", "Antalya", "アンタルヤ", "安塔利亚"),
    "ADB": ("Измир", "İzmir|Izmir", "イズミル", "伊兹密尔"),
    "PEK": ("Пекин", "Pekin", "北京", "北京|首都机场"),
    "PVG": ("Шанхай", "Şanghay|Sanghay", "上海", "上海|浦东"),
    "HKG": ("Гонконг", "Hong Kong", "香港", "香港"),
    "CAN": ("Гуанчжоу", "Guangzhou", "広州", "广州"),
    "TPE": ("Тайбэй|Тайбей", "Taipei", "台北", "台北|桃园"),
    "ICN": ("Сеул", "Seul", "ソウル", "首尔"),
    "BKK": ("Бангкок", "Bangkok", "バンコク", "曼谷"),
    "DOH": ("Доха", "Doha", "ドーハ", "多哈"),
    "RIX": ("Рига", "Riga", "リガ", "里加"),
    "HEL": ("Хельсинки", "Helsinki", "ヘルシンキ", "赫尔辛基"),
    "BUD": ("Будапешт", "Budapeşte|Budapeste", "ブダペスト", "布达佩斯"),
    "GVA": ("Женева", "Cenevre", "ジュネーブ", "日内瓦"),
    "HAM": ("Гамбург", "Hamburg", "ハンブルク", ""),  # 汉堡 is also a hamburger
    "VCE": ("Венеция", "Venedik", "ベネチア|ヴェネツィア", "威尼斯"),
    "TLV": ("Тель-Авив", "Tel Aviv", "テルアビブ", "特拉维夫"),
}
_LANG_COLUMN = {"ru": 0, "tr": 1, "ja": 2, "zh": 3}


def city_name(iata: str, language: str) -> str | None:
    """The city's usual name in Russian, Turkish, Japanese or Chinese ("AMS", "zh" -> "阿姆斯特丹"), if we know it."""
    names = _CITY_NAMES.get((iata or "").upper())
    col = _LANG_COLUMN.get(language)
    if not names or col is None or not names[col]:
        return None
    return names[col].split("|")[0]
# Russian: the nominative plus case endings ("Москва" -> "Москвы", "Москве", "Москву"; "Париж" -> "Парижа", ...)
_RU_INDECLINABLE = re.compile(r"[оуиыэ]$")


def _ru_forms(name: str) -> str:
    n = re.escape(fold(name))
    low = fold(name)
    if _RU_INDECLINABLE.search(low) or " " in low:
        return n
    if low.endswith(("а", "я")):
        return n[:-1] + r"(?:а|я|ы|и|е|у|ю|ои|еи|ою)"
    if low.endswith("ь"):
        return n[:-1] + r"(?:ь|я|ю|е|ем)"
    return n + r"(?:а|у|е|ом|ем)?"


@lru_cache(maxsize=1)
def _airport_res() -> dict[str, tuple[re.Pattern[str], list[str]]]:
    out: dict[str, tuple[re.Pattern[str], list[str]]] = {}
    for lang, col in _LANG_COLUMN.items():
        alts: list[tuple[str, str]] = []
        for code, names in _CITY_NAMES.items():
            for name in filter(None, names[col].split("|")):
                pattern = _ru_forms(name) if lang == "ru" else re.escape(fold(name))
                alts.append((pattern, code))
        alts.sort(key=lambda pc: -len(pc[0]))
        groups = "|".join(f"(?P<c{i}>{p})" for i, (p, _) in enumerate(alts))
        if lang == "ru":
            rx = r"(?<![\w])(?:" + groups + r")(?![\w])"
        elif lang == "tr":  # Turkish case endings follow an apostrophe: "Londra'dan", "İstanbul'a"
            rx = r"(?<![\w])(?:" + groups + r")(?=$|[^\w]|'|’)"
        else:
            rx = r"(?:" + groups + r")"
        out[lang] = (re.compile(rx), [c for _, c in alts])
    return out


_RU_ORIGIN_BEFORE = re.compile(r"(?:^|[^\w])(?:из|изо|от|с|со|вылет\w*\s+из)\s*$")
_RU_DEST_BEFORE = re.compile(r"(?:^|[^\w])(?:в|во|до|на|к|ко)\s*$")
_RU_BEING = re.compile(r"(?<![\w])(?:застрял\w*|сиж\w*|сид\w*|жд\w*|нахож\w*|торч\w*|ден[ьи]|дня|днеи|"
                       r"стыковк\w*|пересадк\w*|остал\w*)[^.!?]{0,25}$")
_RU_VIA_BEFORE = re.compile(r"(?:^|[^\w])через\s*$")
_RU_INSTEAD_BEFORE = re.compile(r"(?:^|[^\w])вместо\s*$")
_TR_ORIGIN_SUFFIX = re.compile(r"^['’]?(?:dan|den|tan|ten)(?![\w])")
_TR_DEST_SUFFIX = re.compile(r"^['’]?(?:a|e|ya|ye)(?![\w])|^\s+(?:(?:sabah|aksam|gece|ogle\w*|ilk|son|direkt)\s+)?"
                             r"(?:ucus\w*|seyahat\w*|yolculug\w*|icin)(?![\w])")
_TR_LOC_SUFFIX = re.compile(r"^['’]?(?:da|de|ta|te)(?:yim|yiz|yım|yız|ydim|ydik)?(?![\w])|"
                            r"^\s+havaliman\w*(?:nda|nde)(?![\w])")
_TR_BEING_AFTER = re.compile(r"^['’]?\w*\s+(?:\w+\s+){0,2}?(?:mahsur|kald\w*|aktarma\w*|bekli\w*|takil\w*)|"
                             r"^['’]?(?:da|de|ta|te)y[ii][mz]")
_TR_INSTEAD_AFTER = re.compile(r"^['’]?\w*\s+yerine(?![\w])")
_JA_ORIGIN_AFTER = re.compile("^(?:" + _f("から|発|にいます|にいる|にいて|に足止め|で足止め") + ")")
_JA_DEST_AFTER = re.compile("^(?:" + _f("行き|行|へ|まで|に行|に帰|に戻|に向|に飛|に着|着") + ")")
_JA_AT_AFTER = re.compile("^" + _f("で"))
_JA_BEING_AFTER = re.compile("^" + _f("で") + "[^。!！?？]{0,6}(?:"
                             + _f("足止め|乗り継|日目|待|滞在|立ち往生|動け|困") + ")")
_JA_INSTEAD_AFTER = re.compile("^(?:" + _f("じゃなくて|ではなく|の代わりに|でなく") + ")")
_ZH_ORIGIN_BEFORE = re.compile("(?:" + _f("从|由|自|不从") + r")\s*$")
_ZH_DEST_BEFORE = re.compile("(?:" + _f("飞往|前往|去往|到|去|往|飞|回|至|抵达|赴|回到") + r")\s*$")
_ZH_STUCK_BEFORE = re.compile("(?:" + _f("困在|滞留在|留在|被困在|卡在") + r")\s*$")
_ZH_AT_BEFORE = re.compile(_f("在") + r"\s*$")
_ZH_BEING_AFTER = re.compile("^(?:" + _f("了") + "|[^。!！?？，,]{0,4}(?:"
                             + _f("没赶上|转机|第|等|困|滞留|待了") + "))")
_ZH_ORIGIN_AFTER = re.compile("^(?:" + _f("出发|起飞|来的|飞来") + ")")
_ZH_VIA = re.compile(_f("经|经由|途经") + r"\s*$")


def _role(lang: str, folded: str, s: int, e: int) -> str | None:
    before, after = folded[max(0, s - 40):s], folded[e:e + 30]
    if lang == "ru":
        if _RU_VIA_BEFORE.search(before):
            return None
        if _RU_ORIGIN_BEFORE.search(before):
            return "origin"
        if _RU_DEST_BEFORE.search(before):
            # prepositional case ("в Париже") or a name that does not decline ("в Шереметьево")
            prep_case = folded[e - 1:e] in ("е", "и", "о", "у", "э") and re.search(r"(?:^|[^\w])(?:в|во)\s*$", before)
            if prep_case and _RU_BEING.search(before[: -2] if len(before) > 2 else before):
                return "origin"  # "застрял в Париже": where the passenger is now
            return "destination"
        return None
    if lang == "tr":
        if _TR_ORIGIN_SUFFIX.match(after):
            return "origin"
        if _TR_LOC_SUFFIX.match(after):
            return "origin" if _TR_BEING_AFTER.match(after) else "destination"
        if _TR_DEST_SUFFIX.match(after):
            return "destination"
        return None
    if lang == "ja":
        if _JA_ORIGIN_AFTER.match(after):
            return "origin"
        if _JA_DEST_AFTER.match(after):
            return "destination"
        if _JA_AT_AFTER.match(after):
            return "origin" if _JA_BEING_AFTER.match(after) else "destination"
        return None
    if lang == "zh":
        if _ZH_VIA.search(before):
            return None
        if _ZH_STUCK_BEFORE.search(before):
            return "origin"
        if _ZH_ORIGIN_BEFORE.search(before) or _ZH_ORIGIN_AFTER.match(after):
            return "origin"
        if _ZH_DEST_BEFORE.search(before):
            return "destination"
        if _ZH_AT_BEFORE.search(before):
            return "origin" if _ZH_BEING_AFTER.match(after) else "destination"
        return None
    return None


def _instead(lang: str, folded: str, s: int, e: int) -> bool:
    if lang == "ru":
        return bool(_RU_INSTEAD_BEFORE.search(folded[max(0, s - 12):s]))
    if lang == "tr":
        return bool(_TR_INSTEAD_AFTER.match(folded[e:e + 20]))
    if lang == "ja":
        return bool(_JA_INSTEAD_AFTER.match(folded[e:e + 8]))
    if lang == "zh":
        return bool(re.match(_f("不是|而不是"), folded[max(0, s - 4):s]))
    return False


def find_airports_intl(text: str, language: str) -> list[Entity]:
    res = _airport_res()
    compiled = res.get(language)
    if compiled is None:
        return []
    rx, codes = compiled
    folded = fold(text)
    found: list[tuple[int, int, str]] = []
    for m in rx.finditer(folded):
        idx = next(int(k[1:]) for k, v in m.groupdict().items() if v is not None)
        if language == "tr" and text[m.start():m.start() + 1].islower() and codes[idx] in ("OPO", "NCE"):
            continue  # "porto", "nice" in lower case: not the city
        found.append((m.start(), m.end(), codes[idx]))
    roles = [_role(language, folded, s, e) for s, e, _ in found]
    for i, (s, e, _) in enumerate(found):
        if _instead(language, folded, s, e):
            other = i + 1 if language in ("tr", "ja") else i - 1
            if 0 <= other < len(found):
                roles[i] = roles[other] if language in ("tr", "ja") else roles[i]
                if language == "ru" and roles[i] is None:
                    roles[i] = roles[other]
    # "A — B", "A - B", "AからB": a route
    for i in range(len(found) - 1):
        gap = text[found[i][1]:found[i + 1][0]]
        if re.fullmatch(r"['’]?\w{0,3}\s*(?:-|–|—|>|->|→|/)\s*", gap):
            roles[i] = roles[i] or "origin"
            roles[i + 1] = roles[i + 1] or "destination"
    return [Entity("airport", code, s, e, text[s:e], role=r) for (s, e, code), r in zip(found, roles, strict=True)]


# ================================================================================================= last names
_LATIN_NAME = r"[A-Za-zÀ-ÖØ-öø-ÿĀ-ž][A-Za-zÀ-ÖØ-öø-ÿĀ-ž'’\-]*"
_CYR_NAME = r"[А-ЯЁа-яё][А-ЯЁа-яё\-]*"
_NAME_WORD = f"(?:{_LATIN_NAME}|{_CYR_NAME})"
_RU_SURNAME_CUES = ("моя фамилия|фамилия у меня|фамилия пассажира|фамилия|на фамилию|по фамилии|фамилие|фам\\.?")
_RU_FULL_CUES = "меня зовут|на имя|имя и фамилия|фио|пассажир"
_TR_SURNAME_CUES = "soyadim|soyadi|soyad|soy adim|soy adi|soyismim|soyisim|soyismi"
_TR_FULL_CUES = "adim|ismim|benim adim|adim soyadim|ad soyad|yolcu"
_RU_STOP = frozenset(fold(w) for w in (
    "и а но да нет это мой моя моё мне меня на в из с по для пожалуйста плиз спасибо код бронь бронирование рейс "
    "номер завтра сегодня послезавтра хочу нужно можно".split()))
_TR_STOP = frozenset(fold(w) for w in (
    "ve ama evet hayır bu benim bana için ile lütfen teşekkürler kod kodu rezervasyon uçuş numara yarın bugün "
    "istiyorum lazım".split()))
_JA_CUES = "名字は|苗字は|姓は|名前は|氏名は|名字：|苗字：|姓：|名前：|氏名：|名字:|姓:|名前:|ラストネームは"
_JA_END = _f("です|でございます|と申します|といいます|で|名義|。|、|の|と|さん|様")
_NAME_PARTICLES = frozenset("de van der den von da di del della le la du dos das ter ten mac mc".split())
_ZH_SURNAME_CUES = "姓氏是|姓氏|姓是|我姓|姓"
_ZH_FULL_CUES = "名字是|名字叫|姓名是|姓名：|姓名:|姓名|我叫|叫做"
_ZH_NOT_NAME = frozenset(fold("吗呢的了啊吧名氏和与及都也就还是不在要"))
_ZH_COMPOUND = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "司徒", "夏侯", "尉迟", "公孙")


def _first_last(tokens: list[str], eastern: bool) -> str:
    if len(tokens) == 1:
        return tokens[0]
    return tokens[0] if eastern else tokens[-1]


def _name_entity(text: str, s: int, e: int) -> Entity:
    value = " ".join(text[s:e].split())
    return Entity("last_name", value, s, e, text[s:e])


class _Span:
    def __init__(self, s: int, e: int, g: str) -> None:
        self._s, self._e, self._g = s, e, g

    def start(self) -> int:
        return self._s

    def end(self) -> int:
        return self._e

    def group(self, _: int = 0) -> str:
        return self._g


def _after_cue_words(text: str, pos: int, stop: frozenset[str], max_words: int = 3) -> list[_Span]:
    """The name words right after a cue ("фамилия: Иванов", "soyadım Yılmaz"), up to a stop word."""
    words: list[_Span] = []
    i = pos
    for m in re.finditer(_NAME_WORD, text[pos:]):
        gap = text[i:pos + m.start()]
        if (gap.strip(" :,-—=") if not words else gap.strip()) != "":
            break
        if fold(m.group(0)) in stop:
            break
        words.append(_Span(pos + m.start(), pos + m.end(), m.group(0)))
        i = pos + m.end()
        if len(words) >= max_words:
            break
    return words


# short answers that are no name when the bot asks for one: yes, no, thanks, sorry, "I don't know"
_JA_NOT_NAMES = frozenset("はい いいえ ええ うん いや ありがとう ありがとうございます どうも すみません "
                          "ごめんなさい お願いします わかりません 分かりません "
                          "知りません 大丈夫 大丈夫です 結構です".split())
_ZH_NOT_NAMES = frozenset("是 是的 对 对的 好 好的 行 可以 嗯 不 不是 不对 没有 谢谢 谢谢你 多谢 感谢 你好 "
                          "您好 不知道 对不起 抱歉 不好意思 算了 取消 没问题 请问 好吧 谢了".split())


def _bare_word(folded: str, words: frozenset[str]) -> bool:
    core = re.sub(r"[\s。、，,.!！?？~～]+", "", folded)
    return core in {fold(w) for w in words}


def find_names_intl(text: str, language: str, ctx: dict[str, Any], taken: list[tuple[int, int]]) -> list[Entity]:
    folded = fold(text)

    def free(s: int, e: int) -> bool:
        return not any(s < b and a < e for a, b in taken)

    if language in ("ru", "tr"):
        stop = _RU_STOP if language == "ru" else _TR_STOP
        surname = _RU_SURNAME_CUES if language == "ru" else _TR_SURNAME_CUES
        full = _RU_FULL_CUES if language == "ru" else _TR_FULL_CUES
        cue_re = re.compile(r"(?<![\w])(?:(?P<s>" + _f(surname) + r")|(?P<f>" + _f(full) + r"))(?![\w])\s*[:\-—=]?\s*")
        for m in cue_re.finditer(folded):
            words = _after_cue_words(text, m.end(), stop)
            if not words:
                continue
            if m.group("f"):
                caps = [w for w in words if w.group(0)[:1].isupper()]
                words = caps or words[:1]
                w = words[-1] if len(words) > 1 else words[0]
            else:
                w = words[0]
            s, e = w.start(), w.end()
            raw = text[s:e]
            if language == "tr" and ("'" in raw or "’" in raw):  # "Yılmaz'dır", "Yılmaz’ın"
                e = s + re.split(r"['’]", raw)[0].__len__()
            if free(s, e):
                return [_name_entity(text, s, e)]
        if language == "tr":
            # "Kaya adına", "Çelik adına rezervasyon": the name before "adına" (in the name of)
            for m in re.finditer(r"(" + _LATIN_NAME + r")\s+adina(?![\w])", folded):
                s, e = m.start(1), m.end(1)
                if text[s:s + 1].isupper() and fold(text[s:e]) not in stop and free(s, e):
                    return [_name_entity(text, s, e)]
        if language == "ru":
            for m in re.finditer(r"на\s+имя\s+(" + _CYR_NAME + r"|" + _LATIN_NAME + r")", folded):
                s, e = m.start(1), m.end(1)
                if free(s, e):
                    return [_name_entity(text, s, e)]
            # "бронь на Jansen", "билет на Петрова": a capitalised name after "на"
            for m in re.finditer(r"(?:брон\w*|билет\w*|заказ\w*)\s+на\s+([A-ZА-ЯЁ][\w'’\-]+)", text):
                s, e = m.start(1), m.end(1)
                if fold(m.group(1)) not in stop and free(s, e):
                    return [_name_entity(text, s, e)]
        if ctx.get("expecting") in ("last_name", "booking_reference"):
            candidates = [w for w in re.finditer(_NAME_WORD, text) if free(w.start(), w.end())
                          and fold(w.group(0)) not in stop and not re.search(r"\d", w.group(0))]
            all_words = re.findall(r"\w+", text)
            if 1 <= len(candidates) <= 2 and len(all_words) <= 4:
                pick = (candidates[-1] if len(candidates) == 2 and candidates[0].group(0)[:1].isupper()
                        else candidates[0])
                return [_name_entity(text, pick.start(), pick.end())]
        return []
    if language == "ja":
        for m in re.finditer("(?:" + _f(_JA_CUES) + r")\s*", folded):
            pos = m.end()
            lat = re.match(r"(" + _LATIN_NAME + r")(?:\s+(" + _LATIN_NAME + r"))?", text[pos:])
            if lat:
                tokens = [t for t in lat.groups() if t]
                name = tokens[-1] if "名前" in m.group(0) or "氏名" in m.group(0) else tokens[0]
                s = pos + text[pos:].index(name)
                if free(s, s + len(name)):
                    return [_name_entity(text, s, s + len(name))]
                continue
            run = re.match(f"[{CJK_CLASS}]+", folded[pos:])
            if run:
                word = folded[pos:pos + run.end()]
                cut = re.search(_JA_END, word)
                n = cut.start() if cut else len(word)
                if ("名前" in m.group(0) or "氏名" in m.group(0)) and n >= 3:
                    n = 2  # "山田太郎": the family name first, most often two characters
                if n >= 1 and free(pos, pos + n):
                    return [_name_entity(text, pos, pos + n)]
        for m in re.finditer(r"(" + _LATIN_NAME + r")\s*" + _f("名義|様|さま"), folded):
            s, e = m.start(1), m.end(1)
            if free(s, e):
                return [_name_entity(text, s, e)]
        if ctx.get("expecting") in ("last_name", "booking_reference") and not _bare_word(folded, _JA_NOT_NAMES):
            stripped = re.sub(_f("です|でございます|と申します|といいます") + r"[。!！]?\s*$", "", folded.strip())
            lead = len(folded) - len(folded.lstrip())
            if stripped and re.fullmatch(f"[{CJK_CLASS}]{{1,4}}", stripped.strip()):
                s = lead
                return [_name_entity(text, s, s + len(stripped.strip()))]
        return []
    if language == "zh":
        surname_cues = {fold(c) for c in _ZH_SURNAME_CUES.split("|")}
        for m in re.finditer("(?P<cue>" + _f(_ZH_SURNAME_CUES + "|" + _ZH_FULL_CUES) + r")\s*[:：]?\s*", folded):
            pos = m.end()
            is_surname = m.group("cue") in surname_cues
            lat = re.match(r"(" + _LATIN_NAME + r")(?:\s+(" + _LATIN_NAME + r"))?", text[pos:])
            if lat:
                name = lat.group(1)  # Chinese order: the family name first ("Wang Fang")
                if lat.group(2) and fold(name) in _NAME_PARTICLES:
                    name = lat.group(0)  # "姓 de Vries", "姓 van Dijk": the particle belongs to the surname
                s = pos
                if fold(name) in ("ok", "no") or not free(s, s + len(name)):
                    continue
                return [_name_entity(text, s, s + len(name))]
            run = re.match(f"[{CJK_CLASS}]+", folded[pos:])
            if run and folded[pos] in _ZH_NOT_NAME:
                continue  # "改机票上的姓吗": a particle, not a name
            if run:
                word = folded[pos:pos + run.end()]
                n = 2 if word.startswith(tuple(fold(c) for c in _ZH_COMPOUND)) else 1
                if is_surname or len(word) >= 2:
                    if free(pos, pos + n):
                        return [_name_entity(text, pos, pos + n)]
        for m in re.finditer(r"(" + _LATIN_NAME + r"|[" + CJK_CLASS + r"])\s*" + _f("名下"), folded):
            s, e = m.start(1), m.end(1)
            if free(s, e):
                return [_name_entity(text, s, e)]
        if ctx.get("expecting") in ("last_name", "booking_reference") and not _bare_word(folded, _ZH_NOT_NAMES):
            core = re.sub(r"^\s*" + _f("是|我是") + r"|[。!！]?\s*$", "", folded)
            core_s = folded.find(core.strip()) if core.strip() else -1
            if core.strip() and re.fullmatch(f"[{CJK_CLASS}]{{1,3}}", core.strip()) and core_s >= 0:
                word = core.strip()
                n = 2 if word.startswith(tuple(fold(c) for c in _ZH_COMPOUND)) else 1
                if free(core_s, core_s + n):
                    return [_name_entity(text, core_s, core_s + n)]
        return []
    return []


# ================================================================================================= entry point
def find_intl(text: str, language: str, ctx: dict[str, Any] | None = None,
              taken: list[tuple[int, int]] | None = None) -> IntlEntities:
    """Dates, options and airports in ``language`` (one of INTL_LANGUAGES); names are found later, by
    ``find_names_intl``, once codes and the other entities have taken their spans."""
    ctx = ctx or {}
    if language not in INTL_LANGUAGES:
        return IntlEntities()
    return IntlEntities(
        dates=find_dates_intl(text, language, ctx),
        options=find_options_intl(text, language, ctx) if ctx.get("expecting") in (None, "option", "confirmation")
        else [],
        airports=find_airports_intl(text, language),
    )
