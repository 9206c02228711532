"""The house rule, read from the source: every app imports only itself and the apps below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Lowest first; apps on one level may not import each other. Diagnostics and maintenance share the top of
# CONVENTIONS.md's picture, but maintenance makes repair items from a diagnosis, so it sits just above.
LAYERS: list[set[str]] = [
    {"cardoc"},
    {"accounts"},
    {"catalog"},
    {"directory", "tutorials"},
    {"mlops"},
    {"diagnostics"},
    {"maintenance"},
]
LEVEL = {app: level for level, apps in enumerate(LAYERS) for app in apps}


def imported_apps(path: Path) -> set[tuple[str, int]]:
    """The project apps ``path`` imports, with the line, wherever the import sits (functions included)."""
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found.update((name.split(".")[0], node.lineno) for name in names if name.split(".")[0] in LEVEL)
    return found


def source_files(app: str) -> list[Path]:
    return sorted(path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts)


@pytest.mark.parametrize("app", sorted(LEVEL))
def test_the_app_imports_only_apps_below_it(app: str) -> None:
    upward = [
        f"{path.relative_to(ROOT)}:{line} imports {other}"
        for path in source_files(app)
        for other, line in sorted(imported_apps(path))
        if other != app and LEVEL[other] >= LEVEL[app]
    ]
    assert upward == []


def test_every_installed_project_app_has_a_layer() -> None:
    from django.conf import settings

    project_apps = {name for name in settings.INSTALLED_APPS if (ROOT / name / "apps.py").exists()}
    assert project_apps == set(LEVEL)


def test_the_reader_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "services.py"
    module.write_text("import json\nfrom diagnostics.models import X\n\ndef f():\n    import maintenance.tasks\n")
    assert imported_apps(module) == {("diagnostics", 2), ("maintenance", 5)}
