"""Fixtures for diagnostics: a private media folder per test, the catalog rows findings link to, and the real
bundled models, deployed as ``load_models`` deploys them (or from a copy a test may damage)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import storages
from django.core.management import call_command
from django.db.models.fields.files import FieldFile

from catalog.models import EngineSound, WarningLight
from diagnostics.models import DiagnosticRecord
from mlops.models import MLModel, ModelStatus, ModelType
from tutorials.models import Tutorial

SEED = Path(django_settings.BASE_DIR) / "catalog" / "seed" / "catalog.json"


@pytest.fixture(autouse=True)
def private_media(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the private storage at a folder of this test's own, so a test can list what was stored."""
    folder = tmp_path / "private"
    folder.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": folder, "base_url": None},
        },
    }
    settings.PRIVATE_MEDIA_ROOT = folder
    # A FileField resolves a callable storage once, when the model class loads; hand it the new one.
    for name in ("image", "audio"):
        monkeypatch.setattr(DiagnosticRecord._meta.get_field(name), "storage", storages["private"])
    return folder


def stored_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def seed_catalog(*codes: str) -> None:
    """The named warning lights and engine sounds from the curated seed, with their tutorials."""
    seed = json.loads(SEED.read_text())
    wanted = set(codes)
    for row in seed["warning_lights"]:
        if row["code"] in wanted:
            WarningLight.objects.create(**row)
    for row in seed["engine_sounds"]:
        if row["code"] in wanted:
            EngineSound.objects.create(**row)
    for row in seed["tutorials"]:
        lights = [c for c in row["warning_lights"] if c in wanted]
        sounds = [c for c in row["engine_sounds"] if c in wanted]
        if not lights and not sounds:
            continue
        fields = {k: v for k, v in row.items() if k not in ("warning_lights", "engine_sounds")}
        tutorial = Tutorial.objects.create(**fields)
        tutorial.warning_lights.set(WarningLight.objects.filter(code__in=lights))
        tutorial.engine_sounds.set(EngineSound.objects.filter(code__in=sounds))


@pytest.fixture
def catalog(db: None) -> None:
    seed_catalog("oil_pressure", "battery", "check_engine", "seatbelt", "high_beam", "water_pump", "normal_idle")


@pytest.fixture
def full_catalog(db: None, settings: Any, tmp_path: Path) -> None:
    """The whole curated catalog, loaded the way `make run` loads it, icons included."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_catalog", verbosity=0)


@dataclass(frozen=True, slots=True)
class DeployedModels:
    """The registry rows of the bundled models, as ``load_models`` deployed them."""

    dashboard: MLModel
    engine: MLModel


@pytest.fixture
def deployed_models(db: None) -> DeployedModels:
    """The real bundled models, registered and activated the way a deploy does it.

    Each test gets new registry rows, so the inference cache (keyed by row) loads the weights again; that
    costs well under a second and keeps one test's model from serving another's.
    """
    call_command("load_models", verbosity=0)
    return DeployedModels(
        dashboard=MLModel.objects.get(model_type=ModelType.IMAGE_CLASSIFICATION, status=ModelStatus.ACTIVE),
        engine=MLModel.objects.get(model_type=ModelType.AUDIO_CLASSIFICATION, status=ModelStatus.ACTIVE),
    )


@pytest.fixture
def artefact_copy(settings: Any, tmp_path: Path) -> Path:
    """A private copy of the bundled artefacts that ``load_models`` deploys from, for tests that damage one."""
    folder = tmp_path / "artifacts"
    shutil.copytree(settings.ML_ARTIFACTS_DIR, folder, ignore=shutil.ignore_patterns("*.png", "*.md"))
    settings.ML_ARTIFACTS_DIR = folder
    return folder


def overwrite_stored(field_file: FieldFile, data: bytes) -> None:
    """Replace an upload's bytes where the storage keeps them, as a failing disk or a bad copy would."""
    with field_file.storage.open(field_file.name, "wb") as stored:
        stored.write(data)
