"""Rendering a playbook's texts for one language, and checking them against every channel's length limit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.crisis.params import fmt_clock, fmt_when, format_all
from bot.crisis.playbook import PLAYBOOK_LANGUAGES, STAGES, Playbook
from bot.crisis.templates import render
from bot.settings import Settings

# each kind of message and the playbook text it starts from
KINDS = ("holding", "start", "update", "no_news", "end", "notice", "faq")


@dataclass(frozen=True)
class ChannelLimit:
    """What the crisis needs to know about a channel: its length limit and whether a long text becomes a thread."""

    name: str
    max_length: int | None  # None: no limit (SMS-like concatenation, e-mail)
    threads: bool = False  # X: a long update is posted as a thread of posts
    broadcast: bool = True  # posts updates to a public place (status channel, feed, timeline)
    personal: bool = False  # can reach one passenger (a personal notice)
    max_posts: int = 25
    recipient: str | None = None  # where its public updates go (the channel's broadcast_recipient)
    enabled: bool = True


# the platforms' limits (a channel registry may report its own; these are the defaults)
DEFAULT_LIMITS: dict[str, ChannelLimit] = {
    "telegram": ChannelLimit("telegram", 4096, personal=True),
    "x": ChannelLimit("x", 280, threads=True, personal=True),
    "slack": ChannelLimit("slack", 40_000),
    "webchat": ChannelLimit("webchat", 10_000, personal=True),
    "status": ChannelLimit("status", 10_000),
    "sms": ChannelLimit("sms", None, broadcast=False, personal=True),
    "email": ChannelLimit("email", None, broadcast=False, personal=True),
}


def variables(playbook: Playbook, params: Mapping[str, Any], language: str, settings: Settings, *,
              now: dt.datetime, next_update_at: dt.datetime | None, started_at: dt.datetime | None = None,
              extra: Mapping[str, str] | None = None) -> dict[str, str]:
    from bot.dialogue.formatting import fmt_date, local

    hub = settings.hub
    v: dict[str, str] = {
        "airline": settings.airline_name,
        "title": playbook.text("title", language),
        "next_update": fmt_clock(next_update_at, hub, language) if next_update_at else "",
        "next_update_at": fmt_when(next_update_at, hub, language) if next_update_at else "",
        "updated_at": fmt_clock(now, hub, language),
        "status_url": status_url(settings),
        "rebook_until": "",
    }
    if playbook.policy.rebooking_window_days:
        until = rebook_until(playbook, params, started_at or now)
        v["rebook_until"] = fmt_date(local(until, hub).date(), language)
    v.update(format_all(playbook, params, language, hub))
    if extra:
        v.update(extra)
    return v


def status_url(settings: Settings) -> str:
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    return base.rstrip("/") + "/status"


def rebook_until(playbook: Playbook, params: Mapping[str, Any], started_at: dt.datetime) -> dt.datetime:
    """The end of the rebooking window: N days after the crisis's start (or its ``start`` parameter)."""
    start = params.get("start")
    base = dt.datetime.fromisoformat(start) if isinstance(start, str) else started_at
    return base + dt.timedelta(days=playbook.policy.rebooking_window_days)


def stage_text(playbook: Playbook, kind: str, stage: str, language: str) -> str:
    if kind == "no_news":
        return playbook.text("no_news", language)
    if kind == "holding":
        return playbook.text("holding", language)
    if kind == "notice":
        return playbook.text("notice", language)
    return playbook.update_text("resolved" if kind == "end" else stage, language)


def render_texts(playbook: Playbook, params: Mapping[str, Any], kind: str, stage: str, settings: Settings, *,
                 now: dt.datetime, next_update_at: dt.datetime | None, started_at: dt.datetime | None = None,
                 notes: Mapping[str, str] | None = None) -> dict[str, str]:
    """The message in every playbook language; a staff note for a language is added below its text."""
    out = {}
    for lang in PLAYBOOK_LANGUAGES:
        v = variables(playbook, params, lang, settings, now=now, next_update_at=next_update_at,
                      started_at=started_at)
        text = render(stage_text(playbook, kind, stage, lang), v).strip()
        note = (notes or {}).get(lang)
        if note:
            text = f"{text}\n\n{note.strip()}"
        out[lang] = text
    return out


def split_posts(text: str, limit: int) -> tuple[str, ...]:
    from bot.channels.base import split_text

    return split_text(text, limit)


@dataclass(frozen=True)
class PreviewItem:
    kind: str
    stage: str | None
    channel: str
    language: str
    text: str
    length: int
    posts: int
    ok: bool
    problem: str | None = None


def check_length(text: str, limit: ChannelLimit) -> tuple[int, bool, str | None]:
    if limit.max_length is None:
        return 1, True, None
    if len(text) <= limit.max_length:
        return 1, True, None
    if limit.threads:
        posts = split_posts(text, limit.max_length)
        if len(posts) > limit.max_posts:
            return len(posts), False, f"a thread of {len(posts)} posts (at most {limit.max_posts})"
        return len(posts), True, None
    return 1, False, f"{len(text)} characters, the limit is {limit.max_length}"


def preview(playbook: Playbook, params: Mapping[str, Any], settings: Settings, channels: list[ChannelLimit], *,
            now: dt.datetime, sample_notice: Mapping[str, str] | None = None) -> list[PreviewItem]:
    """Every message of the playbook, for every channel and language, with its length check."""
    nxt = now + dt.timedelta(minutes=playbook.cadence.every_minutes)
    messages: list[tuple[str, str | None, dict[str, str], bool]] = []  # kind, stage, texts, personal
    messages.append(("holding", None, render_texts(playbook, params, "holding", "investigating", settings, now=now,
                                                   next_update_at=nxt), True))
    for stage in STAGES:
        kind = "end" if stage == "resolved" else "update"
        messages.append((kind, stage, render_texts(playbook, params, kind, stage, settings, now=now,
                                                   next_update_at=None if kind == "end" else nxt), False))
    messages.append(("no_news", None, render_texts(playbook, params, "no_news", "investigating", settings, now=now,
                                                   next_update_at=nxt), False))
    notice = {}
    for lang in PLAYBOOK_LANGUAGES:
        v = variables(playbook, params, lang, settings, now=now, next_update_at=nxt)
        v.update(sample_notice or _SAMPLE_NOTICE)
        notice[lang] = render(playbook.text("notice", lang), v).strip()
    messages.append(("notice", None, notice, True))
    for entry in playbook.faq:
        texts = {}
        for lang in PLAYBOOK_LANGUAGES:
            v = variables(playbook, params, lang, settings, now=now, next_update_at=nxt)
            texts[lang] = render(entry.answer.get(lang) or entry.answer["en"], v).strip()
        messages.append(("faq", entry.id, texts, True))
    items = []
    for kind, stage, texts, personal in messages:
        for ch in channels:
            if personal and not ch.personal and kind != "holding":
                continue
            if not personal and not ch.broadcast:
                continue
            for lang, text in texts.items():
                posts, ok, problem = check_length(text, ch)
                items.append(PreviewItem(kind, stage, ch.name, lang, text, len(text), posts, ok, problem))
    return items


_SAMPLE_NOTICE = {"reference": "X7K2PQ", "flight": "KL1234", "route": "Amsterdam (AMS) → Paris (CDG)",
                  "departure": "Tue 8 Dec 14:05"}
