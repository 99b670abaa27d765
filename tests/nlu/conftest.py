"""Fixtures for the NLU tests: a small training set (tests/nlu/data) and a backend trained on it once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-23T12:00:00+00:00"  # a Monday


@pytest.fixture(scope="session")
def nlu_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(content_dir=DATA, cache_dir=tmp_path_factory.mktemp("cache"), languages=("en", "nl"))


@pytest.fixture(scope="session")
def trained(nlu_settings: Settings):
    from bot.nlu.embedded import EmbeddedBackend

    backend = EmbeddedBackend(nlu_settings)
    backend.load_or_train()
    return backend


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(content_dir=ROOT, cache_dir=tmp_path_factory.mktemp("cache-real"))


@pytest.fixture(scope="session")
def real(real_settings: Settings):
    """A backend trained once on the real training data (intents/, every language)."""
    from bot.nlu.embedded import EmbeddedBackend

    backend = EmbeddedBackend(real_settings, train_in_subprocess=False)
    backend.load_or_train()
    return backend
