"""Shared fixtures: the real-feed corpus (skipped when ../shared is absent) and PostgreSQL (when configured)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
CORPUS = REPO.parent / "shared" / "corpus" / "feeds"


def corpus_files() -> list[Path]:
    """Every feed file of the shared corpus, or [] when it is not beside the repository."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.name != "MANIFEST.md")


@pytest.fixture
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus/feeds is not beside the repository")
    return CORPUS


@pytest.fixture
def postgres_url() -> str:
    """A URL of a real PostgreSQL database, from WATCHER_TEST_POSTGRES_URL."""
    url = os.environ.get("WATCHER_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("WATCHER_TEST_POSTGRES_URL is not set")
    return url
