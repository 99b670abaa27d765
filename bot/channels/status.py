"""The public status page: ``/status`` (readable on a phone), ``/status/feed.atom`` (Atom 1.0) and
``/status/banner.json`` (the web chat's crisis banner). In every language the bot speaks (``?lang=fr``, else the
browser's Accept-Language).

A "channel" in the crisis sense: every published crisis update is here the moment it is committed (it reads the
crisis tables; no outbox row is needed). Responses are cached for two seconds, so a surge of readers costs the
database one query per language every two seconds.
"""

from __future__ import annotations

import datetime as dt
import html
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import Capabilities, Channel
from bot.errors import ChannelError
from bot.messages import OutboundMessage

CACHE_SECONDS = 2.0
HISTORY = dt.timedelta(days=3)  # ended crises stay on the page this long
ATOM = "http://www.w3.org/2005/Atom"

UI: dict[str, dict[str, str]] = {
    "heading": {"en": "Travel status", "nl": "Reisstatus", "fr": "État du trafic", "de": "Reisestatus",
                "es": "Estado de los vuelos", "it": "Stato dei voli", "pt": "Estado dos voos",
                "pl": "Status podróży", "sv": "Trafikläge", "da": "Trafikstatus", "ru": "Статус рейсов",
                "tr": "Uçuş durumu", "ja": "運航状況", "zh": "航班状态"},
    "normal": {"en": "All our flights are operating normally.", "nl": "Al onze vluchten gaan volgens plan.",
               "fr": "Tous nos vols sont assurés normalement.", "de": "Alle unsere Flüge finden planmäßig statt.",
               "es": "Todos nuestros vuelos operan con normalidad.",
               "it": "Tutti i nostri voli operano regolarmente.",
               "pt": "Todos os nossos voos estão a operar normalmente.",
               "pl": "Wszystkie nasze loty odbywają się normalnie.", "sv": "Alla våra flyg går som vanligt.",
               "da": "Alle vores fly flyver som normalt.", "ru": "Все наши рейсы выполняются в обычном режиме.",
               "tr": "Tüm uçuşlarımız normal şekilde yapılıyor.", "ja": "すべての便は通常どおり運航しています。",
               "zh": "我们所有航班均正常运行。"},
    "updated": {"en": "Updated", "nl": "Bijgewerkt", "fr": "Mis à jour", "de": "Aktualisiert",
                "es": "Actualizado", "it": "Aggiornato", "pt": "Atualizado", "pl": "Zaktualizowano",
                "sv": "Uppdaterad", "da": "Opdateret", "ru": "Обновлено", "tr": "Güncellendi", "ja": "更新",
                "zh": "更新于"},
    "earlier": {"en": "Earlier updates", "nl": "Eerdere updates", "fr": "Mises à jour précédentes",
                "de": "Frühere Updates", "es": "Actualizaciones anteriores", "it": "Aggiornamenti precedenti",
                "pt": "Atualizações anteriores", "pl": "Wcześniejsze aktualizacje", "sv": "Tidigare uppdateringar",
                "da": "Tidligere opdateringer", "ru": "Предыдущие обновления", "tr": "Önceki güncellemeler",
                "ja": "これまでの更新", "zh": "此前的更新"},
    "resolved": {"en": "Resolved", "nl": "Opgelost", "fr": "Rétabli", "de": "Behoben", "es": "Resuelto",
                 "it": "Risolto", "pt": "Resolvido", "pl": "Rozwiązane", "sv": "Löst", "da": "Løst",
                 "ru": "Урегулировано", "tr": "Çözüldü", "ja": "解消", "zh": "已恢复"},
    "chat": {"en": "Questions about your booking? Chat with us", "nl": "Vragen over je boeking? Chat met ons",
             "fr": "Une question sur votre réservation ? Écrivez-nous",
             "de": "Fragen zu Ihrer Buchung? Chatten Sie mit uns",
             "es": "¿Preguntas sobre su reserva? Escríbanos", "it": "Domande sulla prenotazione? Scriveteci",
             "pt": "Dúvidas sobre a reserva? Fale connosco", "pl": "Pytania o rezerwację? Napisz do nas",
             "sv": "Frågor om din bokning? Chatta med oss", "da": "Spørgsmål om din booking? Chat med os",
             "ru": "Вопросы о бронировании? Напишите нам",
             "tr": "Rezervasyonunuzla ilgili sorularınız mı var? Bize yazın",
             "ja": "ご予約についてのご質問はチャットで", "zh": "对预订有疑问？与我们聊天"},
}


def ui(key: str, lang: str) -> str:
    return UI[key].get(lang) or UI[key]["en"]


class StatusChannel(Channel):
    name: ClassVar[str] = "status"
    # broadcast: it shows every crisis update; inline: nothing to push (the outbox dispatcher leaves it alone)
    capabilities: ClassVar[Capabilities] = Capabilities(max_length=10_000, inline_replies=True, broadcast=True)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._cache: dict[tuple[str, str], tuple[float, Response]] = {}
        self._manager: Any = None

    @property
    def languages(self) -> list[str]:
        from bot.crisis.playbook import PLAYBOOK_LANGUAGES

        return [lang for lang in self.settings.languages if lang in PLAYBOOK_LANGUAGES] or ["en"]

    def manager(self) -> Any:
        if self._manager is None:
            from bot.crisis.manager import CrisisManager
            from bot.crisis.playbook import load_playbooks

            playbooks = load_playbooks(Path(self.settings.content_dir))
            self._manager = CrisisManager(self.ctx.store.engine, self.settings, playbooks)
        return self._manager

    def language(self, request: Request) -> str:
        langs = self.languages
        asked = (request.query_params.get("lang") or "").lower()[:5]
        if asked in langs:
            return asked
        for part in request.headers.get("accept-language", "").split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in langs:
                return code
        return self.settings.default_language if self.settings.default_language in langs else langs[0]

    async def _crises(self) -> list[dict[str, Any]]:
        """Active crises and those ended recently, each with its published updates (newest first)."""
        m = self.manager()
        since = dt.datetime.now(dt.UTC) - HISTORY
        updates = await m.published(limit=200, since=since)
        by_crisis: dict[str, dict[str, Any]] = {}
        for u in updates:
            c = by_crisis.setdefault(u["crisis_id"], {"id": u["crisis_id"], "playbook": u["playbook_id"],
                                                      "status": u["crisis_status"], "updates": []})
            c["updates"].append(u)
        out = list(by_crisis.values())
        out.sort(key=lambda c: (c["status"] != "active", -c["updates"][0]["published_at"].timestamp()))
        return out

    def _title(self, playbook_id: str, lang: str) -> str:
        pb = self.manager().playbooks.playbooks.get(playbook_id)
        return pb.text("title", lang) if pb else playbook_id

    @staticmethod
    def _when(value: dt.datetime, lang: str) -> str:
        from bot.crisis.params import fmt_when

        return fmt_when(value, "AMS", lang)

    async def _cached(self, key: tuple[str, str], build: Any) -> Response:
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        response = await build()
        self._cache[key] = (now, response)
        return response

    def routes(self) -> list[BaseRoute]:
        async def page(request: Request) -> Response:
            lang = self.language(request)
            return await self._cached(("html", lang), lambda: self.page(lang))

        async def feed(request: Request) -> Response:
            lang = self.language(request)
            return await self._cached(("atom", lang), lambda: self.feed(lang))

        async def banner(request: Request) -> Response:
            lang = self.language(request)
            return await self._cached(("banner", lang), lambda: self.banner(lang))

        return [Route("/status", page), Route("/status/feed.atom", feed), Route("/status/banner.json", banner)]

    async def banner(self, lang: str) -> Response:
        crises = [c for c in await self._crises() if c["status"] == "active"]
        items = []
        for c in crises:
            latest = c["updates"][0]
            items.append({"id": c["id"], "title": self._title(c["playbook"], lang),
                          "text": latest["texts"].get(lang) or latest["texts"].get("en", ""),
                          "updated_at": latest["published_at"].isoformat()})
        return JSONResponse({"active": bool(items), "language": lang, "crises": items, "status_url": "/status"},
                            headers={"Cache-Control": "max-age=5"})

    async def page(self, lang: str) -> Response:
        crises = await self._crises()
        esc = html.escape
        parts = []
        for c in crises:
            title = esc(self._title(c["playbook"], lang))
            badge = "" if c["status"] == "active" else f' <span class="ok">{esc(ui("resolved", lang))}</span>'
            ups = c["updates"]
            latest, earlier = ups[0], ups[1:]
            block = [f'<section class="{esc(c["status"])}"><h2>{title}{badge}</h2>',
                     f'<p class="when">{esc(ui("updated", lang))}: {esc(self._when(latest["published_at"], lang))}'
                     "</p>",
                     f'<p class="text">{esc(latest["texts"].get(lang) or latest["texts"].get("en", ""))}</p>']
            if earlier:
                block.append(f"<details><summary>{esc(ui('earlier', lang))}</summary>")
                for u in earlier:
                    block.append(f'<p class="when">{esc(self._when(u["published_at"], lang))}</p>'
                                 f'<p class="text">{esc(u["texts"].get(lang) or u["texts"].get("en", ""))}</p>')
                block.append("</details>")
            block.append("</section>")
            parts.append("".join(block))
        if not any(c["status"] == "active" for c in crises):
            parts.insert(0, f'<section class="normal"><p>{esc(ui("normal", lang))}</p></section>')
        links = " ".join(f'<a href="?lang={code}"{" aria-current=page" if code == lang else ""}>{code}</a>'
                         for code in self.languages)
        airline = esc(self.settings.airline_name)
        body = f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{airline} · {esc(ui("heading", lang))}</title>
<link rel="alternate" type="application/atom+xml" href="/status/feed.atom?lang={lang}">
<meta http-equiv="refresh" content="120">
<style>
body{{margin:0;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b2733;background:#f3f6f9}}
header{{background:#00a1de;color:#fff;padding:14px 16px}} header h1{{margin:0;font-size:1.25rem}}
main{{max-width:720px;margin:0 auto;padding:12px}} nav{{font-size:.9rem;margin:8px 0;word-spacing:.3em}}
nav a{{color:#00698f}} nav a[aria-current]{{font-weight:700;color:#1b2733}}
section{{background:#fff;border-radius:10px;padding:12px 16px;margin:12px 0;border-left:6px solid #d33}}
section.ended{{border-left-color:#2a9d3c}} section.normal{{border-left-color:#2a9d3c}}
h2{{font-size:1.1rem;margin:.2em 0}} .when{{color:#5b6b7b;font-size:.85rem;margin:.2em 0}}
.text{{white-space:pre-wrap;margin:.3em 0 .8em}} .ok{{color:#2a9d3c;font-size:.9rem}}
footer{{text-align:center;padding:16px}} footer a{{color:#00698f}}
</style></head>
<body><header><h1>{airline} · {esc(ui("heading", lang))}</h1></header>
<main><nav>{links} · <a href="/status/feed.atom?lang={lang}">Atom</a></nav>
{"".join(parts)}
</main><footer><a href="/">{esc(ui("chat", lang))}</a></footer></body></html>"""
        return HTMLResponse(body, headers={"Cache-Control": "max-age=10"})

    async def feed(self, lang: str) -> Response:
        ET.register_namespace("", ATOM)
        crises = await self._crises()
        base = (self.settings.public_url or f"http://{self.settings.host}:{self.settings.port}").rstrip("/")
        root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})

        def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
            el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
            if text is not None:
                el.text = text
            return el

        entries = sorted((u for c in crises for u in c["updates"]), key=lambda u: u["published_at"], reverse=True)
        newest = entries[0]["published_at"] if entries else dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        sub(root, "id", f"{base}/status/feed.atom?lang={lang}")
        sub(root, "title", f"{self.settings.airline_name} · {ui('heading', lang)}")
        sub(root, "updated", newest.isoformat())
        author = sub(root, "author")
        sub(author, "name", self.settings.airline_name)
        sub(root, "link", rel="self", href=f"{base}/status/feed.atom?lang={lang}")
        sub(root, "link", rel="alternate", type="text/html", href=f"{base}/status?lang={lang}")
        for u in entries[:50]:
            e = sub(root, "entry")
            sub(e, "id", f"{base}/status/{u['crisis_id']}/{u['seq']}")
            sub(e, "title", f"{self._title(u['playbook_id'], lang)} ({u['seq']})")
            sub(e, "updated", u["published_at"].isoformat())
            sub(e, "link", rel="alternate", type="text/html", href=f"{base}/status?lang={lang}")
            sub(e, "content", u["texts"].get(lang) or u["texts"].get("en", ""), type="text")
        xml = ET.tostring(root, encoding="unicode", xml_declaration=False)
        return Response('<?xml version="1.0" encoding="utf-8"?>\n' + xml,
                        media_type="application/atom+xml; charset=utf-8", headers={"Cache-Control": "max-age=10"})

    async def send(self, msg: OutboundMessage) -> str | None:
        raise ChannelError("the status page shows crisis updates from the database; nothing is pushed to it")
