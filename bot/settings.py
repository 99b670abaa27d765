"""All settings in one pydantic-settings class (env prefix ``CRISISBOT_``, ``.env`` supported)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
SUPPORTED_LANGUAGES = ("en", "nl", "fr", "de", "es", "it", "pt", "pl", "sv", "da", "ru", "tr", "ja", "zh")


def default_data_dir() -> Path:
    """Where the embedded database lives by default: the user's data directory (XDG), whatever the working directory,
    so that every `crisisbot` command of one user sees the same bot. ``CRISISBOT_DATA_DIR`` moves it."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "crisisbot"


def default_content_dir() -> Path:
    """The project's own content: the source checkout beside the package, else the copy bundled in the wheel."""
    checkout = PACKAGE_DIR.parent
    if (checkout / "intents").is_dir() and (checkout / "flows").is_dir():
        return checkout
    return PACKAGE_DIR / "_content"


class TelegramSettings(BaseModel):
    """``CRISISBOT_TELEGRAM__*``. The channel is on when ``token`` is set."""

    token: SecretStr | None = None
    secret_token: SecretStr | None = None  # checked against X-Telegram-Bot-Api-Secret-Token on the webhook
    base_url: str = "https://api.telegram.org/bot"  # the Bot API (the token is appended); tests use a local fake
    mode: Literal["webhook", "polling"] = "webhook"  # webhook: POST /webhooks/telegram; polling: getUpdates
    broadcast_chat_id: str | None = None  # a channel (e.g. @airline_status) for crisis updates
    poll_timeout: float = 25.0  # long polling: how long one getUpdates waits for updates
    timeout: float = 10.0  # connect / read / write timeout of one Bot API request


class SlackSettings(BaseModel):
    """``CRISISBOT_SLACK__*``. The channel is on when ``bot_token`` is set."""

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None  # request verification of Events API / interactivity / commands
    app_token: SecretStr | None = None  # Socket Mode
    socket_mode: bool = False
    base_url: str = "https://slack.com/api/"  # the Web API; tests point it at a local fake server
    status_channel: str | None = None  # crisis updates
    queue_channel: str | None = None  # handoff cases (default queue)
    escalation_channel: str | None = None  # SLA escalations
    staff_users: tuple[str, ...] = ()  # Slack user ids allowed to run /crisis and handle cases (empty: queue members)


class XSettings(BaseModel):
    """``CRISISBOT_X__*`` (X / Twitter API v2). The channel is on when ``bearer_token`` or user tokens are set."""

    bearer_token: SecretStr | None = None
    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None  # also signs the webhook CRC and x-twitter-webhooks-signature
    access_token: SecretStr | None = None
    access_token_secret: SecretStr | None = None
    user_id: str | None = None  # the airline account's own id (to ignore its own posts)
    base_url: str = "https://api.twitter.com"  # tests point it at a local fake server
    mode: Literal["webhook", "polling"] = "webhook"
    poll_seconds: float = 60.0
    posts_per_15min: int = 100  # the account tier's limit for posts (public replies, crisis broadcasts)
    dms_per_15min: int = 200  # the account's limit for sending direct messages
    timeout: float = 15.0  # one API request, connect to last byte


class SmtpSettings(BaseModel):
    """``CRISISBOT_SMTP__*``. E-mail (outbound only) is on when ``host`` is set."""

    host: str | None = None
    port: int = 587
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = True
    use_tls: bool = False
    from_address: str = "noreply@example.invalid"
    timeout: float = 10.0


class CaseSettings(BaseModel):
    """``CRISISBOT_CASES__*``: the handoff desk (bot/cases/) and its SLA monitor."""

    sla_minutes: float = 60.0  # first human response within this time of the handoff
    sla_warn_minutes: float = 10.0  # escalate when this close to the SLA (and again when past it)
    claim_timeout_minutes: float = 15.0  # a claimed case with no agent reply for this long goes back to the queue
    monitor_seconds: float = 30.0  # how often the SLA monitor runs (once per deployment)
    wait_window_minutes: float = 60.0  # expected wait: from the cases first answered in this recent window
    # Slack (when configured): queue channel per language or skill ("nl", "skill:refunds"), else slack.queue_channel
    slack_queues: dict[str, str] = Field(default_factory=dict)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CRISISBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore", env_nested_delimiter="__"
    )

    @model_validator(mode="after")
    def _default_database(self) -> Self:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'crisisbot.db'}"
        return self

    # storage
    data_dir: Path = Field(default_factory=default_data_dir)
    # default: SQLite at <data_dir>/crisisbot.db; production: postgresql://user@host/db
    database_url: str = ""
    db_echo: bool = False
    seed_demo: bool = True  # seed the demo airline on first start when its tables are empty
    demo_bookings: int = 5000
    demo_days: int = 14

    # content
    content_dir: Path = Field(default_factory=default_content_dir)
    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "crisisbot")

    # languages
    languages: tuple[str, ...] = SUPPORTED_LANGUAGES
    default_language: str = "en"

    # NLU
    nlu_backend: Literal["embedded", "rasa"] = "embedded"
    nlu_threshold: float = 0.45
    # an intent that starts a flow (rebook, cancel, ...) needs more confidence: a clarifying question is cheaper than
    # a wrong flow (measured on real tweets: 0.65 halves wrongly started flows for ~7 points of recall)
    nlu_action_threshold: float = 0.65
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: SecretStr | None = None
    rasa_timeout: float = 5.0

    # airline
    airline_code: str = "KL"
    airline_name: str = "Demo Airlines"
    hub: str = "AMS"

    # dialogue
    max_auth_attempts_per_hour: int = 5  # per conversation
    # across all senders and channels (bot.store.throttle): failures within the window lock a booking reference, or
    # a client address of the web channels, for auth_lock_minutes
    auth_failures_per_reference: int = 10
    auth_failures_per_address: int = 30
    auth_window_minutes: float = 60.0
    auth_lock_minutes: float = 60.0
    # a failed verification answers no sooner than this, so that a wrong reference and a wrong name take the same
    # time (the reservation system's lookups differ)
    auth_failure_min_seconds: float = 0.25
    step_up_otp: bool = False
    group_handoff_size: int = 5

    # pipeline
    # a conversation's lease across processes: renewed by a heartbeat every lease_seconds/3 while held, so the
    # lease of a process that died is taken over within lease_seconds
    lease_seconds: float = 6.0
    lock_wait_seconds: float = 20.0
    # the recovery sweeper (every process): every recovery_interval seconds it processes messages stored more than
    # recovery_grace_seconds ago and never processed whose conversation lease is free or expired
    recovery_interval: float = 1.0
    recovery_grace_seconds: float = 2.0
    recovery_concurrency: int = 8

    # web
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    log_json: bool = False
    webhook_secret: SecretStr | None = None  # optional shared secret for the REST webhook (X-Crisisbot-Token)
    # crisis playbooks (crisis_playbooks/*.yml)
    crisis_staff: tuple[str, ...] = ()  # who may start, update, approve and end a crisis (empty: anyone)
    crisis_approval: bool = False  # a second authorised person approves every message before it is sent
    crisis_holding_queue: int = 25  # while a crisis is active, open with the holding message above this queue
    # where each broadcast channel posts, per language ("*": every language), e.g.
    # CRISISBOT_CRISIS_BROADCAST_TARGETS='{"telegram": {"*": "@demo_status"}, "slack": {"en": "C0STATUS"}}'
    crisis_broadcast_targets: dict[str, dict[str, str]] = Field(default_factory=dict)
    crisis_tick_seconds: float = 5.0  # how often the crisis scheduler looks for due updates

    # who may show the web chat page in a frame (CSP frame-ancestors), e.g. "https://www.airline.example"; by default
    # nobody (no clickjacking)
    webchat_frame_ancestors: str = "'none'"
    webchat_push_seconds: float = 1.0  # how often an open page's event stream looks for new messages
    webchat_stream_seconds: float = 300.0  # an event stream ends after this; the browser reconnects by itself
    public_url: str | None = None  # where platforms reach this server (for registering webhooks), e.g. https://bot.example

    # channels: each is off until its credentials are set
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    x: XSettings = Field(default_factory=XSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    cases: CaseSettings = Field(default_factory=CaseSettings)

    # services
    leader_lease_seconds: float = 10.0  # once-per-deployment services move to another process within this time
    outbox_idle_seconds: float = 0.5


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
