"""Settings refuse unsafe production configurations and pass Django's deployment checklist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x7$kq2!vT9pLm4@wZr8#nB6yHc3^dF5&gJ1*eA0sUoQiXtRlKbVwY",
    "ALLOWED_HOSTS": "api.cardoc.example",
    "SECURE_HSTS_PRELOAD": "true",
}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    # A developer's own .env (written by `make run`) must not decide these tests: read none unless told.
    clean["CARDOC_ENV_FILE"] = str(ROOT / "var" / "no-such.env")
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=120, check=False
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off() -> None:
    result = _run(["manage.py", "check"], {"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_the_refusal_says_how_to_develop() -> None:
    result = _run(["manage.py", "check"], {})
    assert result.returncode != 0
    assert "make run" in result.stderr
    assert "DEBUG=true" in result.stderr


def test_manage_py_works_by_hand_with_the_env_file_make_run_writes(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\nSECRET_KEY=generated-for-this-checkout-0123456789abcdefghijklmnop\n")
    result = _run(["manage.py", "check"], {"CARDOC_ENV_FILE": str(env_file)})
    assert result.returncode == 0, result.stderr


def test_production_still_refuses_with_an_env_file_that_sets_no_key(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ALLOWED_HOSTS=api.cardoc.example\n")
    result = _run(["manage.py", "check"], {"CARDOC_ENV_FILE": str(env_file)})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_the_environment_wins_over_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\n")
    result = _run(["manage.py", "check"], {"CARDOC_ENV_FILE": str(env_file), "DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_pytest_runs_in_development_mode_without_any_variable() -> None:
    # pytest-env sets DEBUG=true from pyproject.toml before pytest-django reads the settings.
    result = _run(["-m", "pytest", "-q", "-p", "no:randomly", "--no-header", "tests/cardoc/test_hooks.py"], {})
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_development_key_is_allowed_when_debug_is_on() -> None:
    result = _run(["manage.py", "check"], {"DEBUG": "true"})
    assert result.returncode == 0, result.stderr


def test_the_deployment_checklist_is_clean_with_production_variables() -> None:
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_the_models_and_migrations_agree() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
