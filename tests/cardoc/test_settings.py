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


STORAGE_PROBE = """
from django.core.files.storage import storages
for alias in ("default", "private"):
    storage = storages[alias]
    print(alias, type(storage).__name__, storage.bucket_name, storage.location, storage.endpoint_url)
print(storages["default"].url("garages/x/photo.jpg"))
"""


def test_uploads_go_to_s3_compatible_storage_when_a_storage_url_is_set() -> None:
    # Building the storages and a public URL needs no network: nothing here reaches the bucket.
    url = (
        "s3://cardoc-media/prod?endpoint_url=https://s3.example.net&region_name=eu-west-3&custom_domain=cdn.example.net"
    )
    env = {"DEBUG": "true", "MEDIA_STORAGE_URL": url, "DJANGO_SETTINGS_MODULE": "cardoc.settings"}
    result = _run(["-c", f"import django; django.setup()\n{STORAGE_PROBE}"], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "default S3Storage cardoc-media prod/public https://s3.example.net"
    assert lines[1] == "private S3Storage cardoc-media prod/private https://s3.example.net"
    assert lines[2] == "https://cdn.example.net/prod/public/garages/x/photo.jpg"


def test_private_files_may_live_in_a_bucket_of_their_own() -> None:
    env = {
        "DEBUG": "true",
        "MEDIA_STORAGE_URL": "s3://cardoc-public",
        "PRIVATE_STORAGE_URL": "s3://cardoc-private/uploads",
        "DJANGO_SETTINGS_MODULE": "cardoc.settings",
    }
    result = _run(["-c", f"import django; django.setup()\n{STORAGE_PROBE}"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "default S3Storage cardoc-public public None",
        "private S3Storage cardoc-private uploads/private None",
    ]


def test_files_stay_on_disk_without_a_storage_url() -> None:
    probe = (
        "from django.core.files.storage import storages as s\n"
        "print(type(s['default']).__name__, type(s['private']).__name__)"
    )
    result = _run(
        ["-c", f"import django; django.setup()\n{probe}"],
        {"DEBUG": "true", "DJANGO_SETTINGS_MODULE": "cardoc.settings"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["FileSystemStorage", "FileSystemStorage"]


def test_a_malformed_storage_url_is_refused_at_start() -> None:
    for url in ("https://bucket.example", "s3://bucket?acl=public-read"):
        result = _run(["manage.py", "check"], {"DEBUG": "true", "MEDIA_STORAGE_URL": url})
        assert result.returncode != 0
        assert "storage URL" in result.stderr
