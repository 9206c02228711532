"""Fixtures for diagnostics: a private media folder per test, the catalog rows findings link to, and a
stand-in for the models where a test needs to choose exactly what they report."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import storages
from django.core.management import call_command
from model_bakery import baker

from catalog.models import EngineSound, WarningLight
from diagnostics.models import DiagnosticRecord
from mlops import inference
from mlops.models import MLModel
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


def ml_model(model_type: str, name: str) -> MLModel:
    return baker.make(
        MLModel, name=name, version="1.0.0", model_type=model_type, status="active", sha256="a" * 64, size_bytes=1
    )


@dataclass
class FakeModels:
    """What the stand-in models report; ``raises`` makes the next calls fail with these errors in order."""

    dashboard_model: MLModel
    engine_model: MLModel
    lights: list[tuple[str, float, tuple[int, int, int, int]]] = field(default_factory=list)
    sound: tuple[str, float] = ("unknown", 0.3)
    windows: list[tuple[str, float, float, float]] = field(default_factory=list)
    raises: list[BaseException] = field(default_factory=list)
    during: Callable[[], None] | None = None
    calls: int = 0

    def _before(self) -> None:
        self.calls += 1
        if self.raises:
            raise self.raises.pop(0)
        if self.during is not None:
            self.during()

    def analyze_dashboard(self, data: Any, *, routing_key: str | None = None) -> inference.DashboardAnalysis:
        self._before()
        detections = tuple(inference.LightDetection(code, conf, box) for code, conf, box in self.lights)
        model = inference.ServedBy(self.dashboard_model.pk, self.dashboard_model.name, self.dashboard_model.version)
        return inference.DashboardAnalysis(detections=detections, model=model, elapsed_ms=12.5)

    def analyze_engine_sound(self, data: Any, *, routing_key: str | None = None) -> inference.EngineAnalysis:
        self._before()
        windows = tuple(inference.SoundWindow(*w) for w in self.windows)
        verdict = inference.SoundVerdict(code=self.sound[0], confidence=self.sound[1], windows=windows)
        model = inference.ServedBy(self.engine_model.pk, self.engine_model.name, self.engine_model.version)
        return inference.EngineAnalysis(verdict=verdict, model=model, elapsed_ms=8.0, duration_s=2.0)


@pytest.fixture
def fake_models(db: None, monkeypatch: pytest.MonkeyPatch) -> FakeModels:
    """Replace the two inference calls (only those: upload validation still decodes for real)."""
    fake = FakeModels(
        dashboard_model=ml_model("image_classification", "dashboard-test"),
        engine_model=ml_model("audio_classification", "engine-test"),
    )
    monkeypatch.setattr(inference, "analyze_dashboard", fake.analyze_dashboard)
    monkeypatch.setattr(inference, "analyze_engine_sound", fake.analyze_engine_sound)
    return fake
