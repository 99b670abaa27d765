"""All settings in one pydantic-settings class (env prefix ``CRISISBOT_``, ``.env`` supported)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
SUPPORTED_LANGUAGES = ("en", "nl", "fr", "de", "es", "it", "pt", "pl", "sv", "da")


def default_content_dir() -> Path:
    """The project's own content: the source checkout beside the package, else the copy bundled in the wheel."""
    checkout = PACKAGE_DIR.parent
    if (checkout / "intents").is_dir() and (checkout / "flows").is_dir():
        return checkout
    return PACKAGE_DIR / "_content"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CRISISBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # storage
    database_url: str = "sqlite+aiosqlite:///./crisisbot.db"
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
    max_auth_attempts_per_hour: int = 5
    step_up_otp: bool = False
    group_handoff_size: int = 5

    # pipeline
    lease_seconds: float = 30.0
    lock_wait_seconds: float = 20.0

    # web
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    log_json: bool = False
    webhook_secret: SecretStr | None = None  # optional shared secret for the REST webhook (X-Crisisbot-Token)
    public_url: str = "http://127.0.0.1:8080"  # where passengers reach us: links to /status in crisis texts

    # crisis playbooks (crisis_playbooks/*.yml)
    crisis_staff: tuple[str, ...] = ()  # who may start, update, approve and end a crisis (empty: anyone)
    crisis_approval: bool = False  # a second authorised person approves every message before it is sent
    crisis_holding_queue: int = 25  # while a crisis is active, open with the holding message above this queue
    # where each broadcast channel posts, per language ("*": every language), e.g.
    # CRISISBOT_CRISIS_BROADCAST_TARGETS='{"telegram": {"*": "@demo_status"}, "slack": {"en": "C0STATUS"}}'
    crisis_broadcast_targets: dict[str, dict[str, str]] = Field(default_factory=dict)
    crisis_tick_seconds: float = 5.0  # how often the crisis scheduler looks for due updates


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
