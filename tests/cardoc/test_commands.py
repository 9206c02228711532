"""Every management command of the project answers --help, the way `manage.py <command> --help` runs it.

Each command also has a test that runs it on real input: seed and load_catalog in
tests/catalog/test_load_catalog.py, load_models and diagnose in tests/mlops/test_commands.py, setup_schedules in
tests/maintenance/test_reminders.py, train_model in tests/mlops/test_train_command.py, export_feedback in
tests/diagnostics/test_export_feedback.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import execute_from_command_line, get_commands

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = {"cardoc", "accounts", "catalog", "tutorials", "directory", "mlops", "diagnostics", "maintenance"}
PROJECT_COMMANDS = sorted(name for name, app in get_commands().items() if app in PROJECT_APPS)


def test_the_project_has_its_commands() -> None:
    expected = {"diagnose", "load_catalog", "load_models", "seed", "setup_schedules", "train_model"}
    assert expected <= set(PROJECT_COMMANDS)


@pytest.mark.parametrize("name", PROJECT_COMMANDS)
def test_the_readme_documents_every_command(name: str) -> None:
    assert re.search(rf"\b{name}\b", (ROOT / "README.md").read_text(encoding="utf-8")), name


@pytest.mark.parametrize("name", PROJECT_COMMANDS)
def test_help_prints_the_usage_and_exits_cleanly(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", name, "--help"])

    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: manage.py {name}")
    assert "--version" in out  # Django's own flag is still there, so no option of ours shadows it


def test_train_model_help_works_from_a_shell() -> None:
    # The command that used to crash on every call, run exactly as a user would.
    result = subprocess.run(
        [sys.executable, "manage.py", "train_model", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--model-version" in result.stdout
