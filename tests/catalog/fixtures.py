"""Fixtures shared by the catalog, tutorials and directory tests (imported by their conftest modules)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command


@pytest.fixture
def media_root(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Icons go to a throwaway MEDIA_ROOT, so tests never touch var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def seeded(db: None, media_root: Path) -> None:
    """The curated catalog and the demo directory, loaded through the real command."""
    call_command("load_catalog", "--demo", stdout=io.StringIO())
