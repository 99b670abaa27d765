"""The NLU and language detector are trained once per test session for every end-to-end test."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu import build_language_detector
from bot.nlu.embedded import EmbeddedBackend
from bot.nlu.language import LanguageDetector
from bot.settings import Settings


@pytest.fixture(scope="session")
def nlu_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="session")
def nlu(nlu_cache_dir: Path) -> EmbeddedBackend:
    backend = EmbeddedBackend(Settings(cache_dir=nlu_cache_dir))
    backend.load_or_train()
    return backend


@pytest.fixture(scope="session")
def detector(nlu_cache_dir: Path, nlu: EmbeddedBackend) -> LanguageDetector:
    """As served: with the domain language model trained on intents/*.yml."""
    return build_language_detector(Settings(cache_dir=nlu_cache_dir))
